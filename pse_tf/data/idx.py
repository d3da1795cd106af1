"""Parser for the IDX format of the original MNIST / Fashion-MNIST files.

An IDX file is a 4-byte magic number `0x00 0x00 <type code> <ndim>`, then `ndim` big-endian
uint32 dimensions, then the row-major payload in big-endian order.
"""

from __future__ import annotations

import struct

import numpy as np


class DataError(RuntimeError):
    """A data set could not be fetched, verified or parsed."""


class IdxError(DataError):
    """A buffer is not a well-formed IDX file."""


# IDX type code -> big-endian element dtype (http://yann.lecun.com/exdb/mnist/).
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MAGIC_IMAGES = 2051  # 0x00000803: uint8, 3 dims.
MAGIC_LABELS = 2049  # 0x00000801: uint8, 1 dim.


def read_header(data: bytes) -> tuple[int, np.dtype, tuple[int, ...], int]:
    """Parses and checks the IDX header of `data`: (magic as a big-endian int, element dtype,
    dims, byte offset of the payload).

    Raises:
        IdxError: the magic is not `0x0000 <known type> <ndim>` or the header is cut short.
    """
    if len(data) < 4:
        raise IdxError(f"IDX buffer of {len(data)} bytes is shorter than the 4-byte magic number")
    magic = struct.unpack(">I", data[:4])[0]
    zero, type_code, ndim = data[0] << 8 | data[1], data[2], data[3]
    if zero != 0 or type_code not in IDX_DTYPES:
        raise IdxError(
            f"bad IDX magic 0x{magic:08x}; expected 0x0000 then a type code in "
            f"{sorted(hex(c) for c in IDX_DTYPES)} then the number of dimensions"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IdxError(
            f"IDX header declares {ndim} dimensions ({header_len} header bytes) "
            f"but the buffer has only {len(data)} bytes"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    return magic, IDX_DTYPES[type_code], tuple(dims), header_len


def parse_idx(data: bytes) -> np.ndarray:
    """A whole decompressed IDX file as an array of the header's shape, in native byte order
    (for uint8 files a read-only view on `data`, no copy).

    Raises:
        IdxError: bad magic, short header, or a payload whose length does not match the dims.
    """
    _, dtype, dims, header_len = read_header(data)
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header_len
    if got != expected:
        raise IdxError(
            f"IDX payload is {got} bytes but the header dims {dims} of {dtype.name} "
            f"need {expected} bytes" + (" (truncated file?)" if got < expected else "")
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
    return array


def encode_idx(array: np.ndarray) -> bytes:
    """`array` (uint8, int8, int16, int32, float32 or float64) as IDX bytes, the inverse of
    `parse_idx` (used to build test files)."""
    array = np.asarray(array)
    for code, dtype in IDX_DTYPES.items():
        if array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize:
            header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            return header + array.astype(dtype).tobytes()
    raise IdxError(f"dtype {array.dtype} has no IDX type code; expected one of "
                   f"{[d.name for d in IDX_DTYPES.values()]}")
