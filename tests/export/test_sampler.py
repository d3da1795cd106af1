"""Seeds, and the builtin-op Philox sampler and softplus: equal to TF's words and numbers."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tensorflow.compat.v2 as tf_v2

from pse_tf.export import sampler


def test_seed_pair_is_the_low_and_high_words():
    cases = {0: [0, 0], 5: [5, 0], 2**32 + 1: [1, 1], -1: [-1, -1], 2**31: [-2**31, 0],
             2**63 - 1: [-1, 2**31 - 1], -2**63: [0, -2**31]}
    for seed, pair in cases.items():
        seed = tf.constant(seed, tf.int64)
        assert sampler.seed_pair(seed).numpy().tolist() == pair
        assert sampler.builtin_seed_pair(seed).numpy().tolist() == pair  # TFLite's bitcast form


@pytest.mark.parametrize("shape", [[1], [7], [3, 5], [10, 4], [0, 3]])
@pytest.mark.parametrize("seed", [[0, 0], [7, -2], [-2**31, 2**31 - 1], [123456789, 1]])
def test_builtin_philox_normal_matches_tf(shape, seed):
    seed = tf.constant(seed, tf.int32)
    ours = sampler.philox_stateless_normal(shape, seed).numpy()
    theirs = tf.random.stateless_normal(shape, seed=seed).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_builtin_stateless_normal_swaps_in_and_restores():
    originals = (tf.random.stateless_normal, tf_v2.random.stateless_normal)
    with pytest.raises(RuntimeError, match="inside"):
        with sampler.builtin_stateless_normal():
            assert tf.random.stateless_normal is sampler.philox_stateless_normal
            assert tf_v2.random.stateless_normal is sampler.philox_stateless_normal
            raise RuntimeError("inside")  # restored on errors too
    assert (tf.random.stateless_normal, tf_v2.random.stateless_normal) == originals


def test_stable_softplus_matches_tf_and_does_not_overflow():
    x = tf.constant(np.concatenate([np.linspace(-30, 30, 601), [-1e30, 88.0, 89.0, 200.0, 3e38]]),
                    tf.float32)
    ours = sampler.stable_softplus(x).numpy()
    np.testing.assert_allclose(ours, tf.nn.softplus(x).numpy(), rtol=1e-6, atol=1e-6)
    assert np.isfinite(ours).all()


def test_tflite_builtins_swaps_softplus_too_and_restores():
    originals = (tf.nn.softplus, tf.math.softplus, tf.random.stateless_normal)
    with pytest.raises(RuntimeError, match="inside"):
        with sampler.tflite_builtins():
            assert tf.nn.softplus is tf.math.softplus is sampler.stable_softplus
            assert tf_v2.nn.softplus is sampler.stable_softplus
            assert tf.random.stateless_normal is sampler.philox_stateless_normal
            raise RuntimeError("inside")
    assert (tf.nn.softplus, tf.math.softplus, tf.random.stateless_normal) == originals
