"""IDX parsing on small synthetic buffers built here, independently of the encoder."""

import struct

import numpy as np
import pytest

from pse_tf.data import DataError, IdxError, parse_idx
from pse_tf.data.idx import encode_idx, read_header


def _buffer(type_code: int, dims: tuple, payload: bytes) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def test_uint8_images_round_trip():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = _buffer(0x08, (2, 3, 4), images.tobytes())
    assert data[:4] == b"\x00\x00\x08\x03"  # 2051, the MNIST image magic
    parsed = parse_idx(data)
    assert parsed.dtype == np.uint8 and parsed.shape == (2, 3, 4)
    np.testing.assert_array_equal(parsed, images)
    assert encode_idx(images) == data


def test_labels_and_wider_types_are_big_endian():
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    assert read_header(_buffer(0x08, (5,), labels.tobytes()))[0] == 2049
    np.testing.assert_array_equal(parse_idx(_buffer(0x08, (5,), labels.tobytes())), labels)

    values = np.array([[1, -2], [70000, -70000]], dtype=np.int32)
    parsed = parse_idx(_buffer(0x0C, (2, 2), values.astype(">i4").tobytes()))
    assert parsed.dtype == np.int32 and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, values)

    floats = np.array([0.5, -1.25, 3e10], dtype=np.float32)
    np.testing.assert_array_equal(parse_idx(_buffer(0x0D, (3,), floats.astype(">f4").tobytes())),
                                  floats)
    assert parse_idx(encode_idx(values)).tolist() == values.tolist()


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x00\x07\x01", b"PK\x03\x04"])
def test_bad_magic(magic):
    with pytest.raises(IdxError, match="bad IDX magic"):
        parse_idx(magic + struct.pack(">I", 1) + b"\x00")


def test_truncated_payload_names_sizes():
    data = _buffer(0x08, (10, 28, 28), bytes(10 * 28 * 28))
    with pytest.raises(IdxError, match=r"payload is 7839 bytes .* need 7840 bytes \(truncated"):
        parse_idx(data[:-1])
    with pytest.raises(IdxError, match="payload is 7841 bytes"):
        parse_idx(data + b"\x00")


def test_short_header():
    with pytest.raises(IdxError, match="shorter than the 4-byte magic"):
        parse_idx(b"\x00\x00")
    with pytest.raises(IdxError, match="declares 3 dimensions"):
        parse_idx(b"\x00\x00\x08\x03" + bytes(8))


def test_idx_error_is_a_data_error():
    assert issubclass(IdxError, DataError) and issubclass(DataError, RuntimeError)
