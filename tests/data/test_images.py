import numpy as np
import pytest
import tensorflow as tf

from pse_tf.data import flat_float


def test_uint8_is_scaled_and_flattened():
    x = flat_float(np.array([[[0, 51], [128, 255]]], dtype=np.uint8))
    assert x.dtype == tf.float32 and x.shape == (1, 4)
    np.testing.assert_allclose(x.numpy(), [[0.0, 0.2, 128 / 255, 1.0]], rtol=1e-6)


def test_float_is_kept_and_channels_flatten():
    x = np.full([3, 4, 4, 3], 0.25, np.float64)
    out = flat_float(x)
    assert out.dtype == tf.float32 and out.shape == (3, 48)
    np.testing.assert_array_equal(out.numpy(), 0.25)


def test_in_graph_with_unknown_batch():
    fn = tf.function(flat_float, input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8)],
                     jit_compile=True)
    out = fn(tf.fill([5, 28, 28], tf.constant(255, tf.uint8)))
    assert out.shape == (5, 784) and float(tf.reduce_min(out)) == 1.0


@pytest.mark.parametrize("bad, error", [(np.zeros([2, 3], np.int64), TypeError),
                                        (np.zeros([3], np.uint8), ValueError)])
def test_bad_input_is_refused(bad, error):
    with pytest.raises(error):
        flat_float(bad)
