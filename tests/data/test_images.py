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


def test_binarize_is_one_bernoulli_draw_per_pixel_with_the_grey_level_as_probability():
    from pse_tf.data import binarize

    grey = np.full((400, 10, 10), 64, np.uint8)  # p = 64/255 = 0.251
    binary = binarize(grey, seed=3)
    assert binary.shape == grey.shape and binary.dtype == np.uint8
    assert set(np.unique(binary)) == {0, 255}
    assert np.mean(binary == 255) == pytest.approx(64 / 255, abs=0.01)
    np.testing.assert_array_equal(binarize(grey, seed=3), binary)  # static: a fixed draw
    assert not np.array_equal(binarize(grey, seed=4), binary)
    edges = np.array([[[0, 255]]], np.uint8)
    np.testing.assert_array_equal(binarize(edges, seed=0), edges)  # 0 and 1 stay


def test_bernoulli_draw_in_graph_is_seeded_and_keeps_the_mean():
    from pse_tf.data import bernoulli_draw

    x = tf.fill([500, 100], 0.3)
    a = bernoulli_draw(x, tf.constant([1, 2]))
    np.testing.assert_array_equal(a, bernoulli_draw(x, tf.constant([1, 2])))
    assert set(np.unique(a.numpy())) == {0.0, 1.0}
    assert float(tf.reduce_mean(a)) == pytest.approx(0.3, abs=0.01)
    assert not np.array_equal(a, bernoulli_draw(x, tf.constant([1, 3])))
