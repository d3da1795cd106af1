"""pse_tf.mixtures: the mixture q(z|l), its density, its draws and the Monte Carlo KL."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import mixtures, networks
from pse_tf.config import ModelConfig

tfd = tfp.distributions


def mixture(logits, loc, scale, covariance="diag"):
    components = (tfd.MultivariateNormalDiag(loc, scale) if covariance == "diag"
                  else tfd.MultivariateNormalTriL(loc, scale))
    return tfd.MixtureSameFamily(tfd.Categorical(logits=logits), components)


def random_mixture(n=4, k=3, z=2, covariance="diag", seed=0):
    rng = np.random.default_rng(seed)
    loc = rng.normal(0, 2, [n, k, z]).astype(np.float32)
    if covariance == "diag":
        scale = rng.uniform(0.3, 1.5, [n, k, z]).astype(np.float32)
    else:
        lower = np.tril(rng.normal(0, 0.4, [n, k, z, z]), -1)
        scale = (lower + np.eye(z) * rng.uniform(0.3, 1.5, [n, k, z, 1])).astype(np.float32)
    return mixture(rng.normal(size=[n, k]).astype(np.float32), loc, scale, covariance)


def gaussian(n=4, z=2, seed=1):
    rng = np.random.default_rng(seed)
    return tfd.MultivariateNormalDiag(rng.normal(size=[n, z]).astype(np.float32),
                                      rng.uniform(0.3, 1.2, [n, z]).astype(np.float32))


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_log_density_is_tfp_log_prob(covariance):
    q = random_mixture(covariance=covariance)
    z = tf.random.stateless_normal([5, 1, 2], seed=[3, 4])  # five points against four labels
    np.testing.assert_allclose(mixtures.log_density(q, z).numpy(), q.log_prob(z).numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_draws_follow_the_weights_and_the_components(covariance):
    q = random_mixture(n=2, k=3, covariance=covariance)
    z = mixtures.sample(tiled(q, 4000), tf.constant([7, 8])).numpy().reshape(4000, 2, 2)
    # Draws of the mixture have its mean and covariance.
    np.testing.assert_allclose(z.mean(0), q.mean().numpy(), atol=0.15)
    for n in range(2):
        np.testing.assert_allclose(np.cov(z[:, n].T), q.covariance().numpy()[n], atol=0.35)


def tiled(q, times):
    """`q` (batch [N]) repeated `times` times: batch [times * N]."""
    parts = q.components_distribution
    scale = parts.scale_tril if hasattr(parts, "scale_tril") else parts.stddev()
    repeat = lambda t: tf.tile(t, [times] + [1] * (len(t.shape) - 1))  # noqa: E731
    return mixture(repeat(q.mixture_distribution.logits), repeat(parts.loc), repeat(scale),
                   "full" if hasattr(parts, "scale_tril") else "diag")


def test_a_draw_picks_a_component_with_its_weight():
    # Components far apart: the component of a draw is read from its sign.
    loc = np.array([[[-50.0], [50.0]]], np.float32)
    q = mixture(np.log([[0.2, 0.8]]).astype(np.float32), loc, np.ones([1, 2, 1], np.float32))
    share = np.mean(mixtures.sample(tiled(q, 5000), tf.constant([1, 2])).numpy() > 0)
    assert abs(share - 0.8) < 3 * np.sqrt(0.8 * 0.2 / 5000)


@pytest.mark.parametrize("q_kind", ["gaussian", "mixture"])
def test_monte_carlo_kl_matches_a_many_draw_reference_within_its_standard_error(q_kind):
    p = random_mixture(seed=2)
    q = gaussian() if q_kind == "gaussian" else random_mixture(seed=3)
    reference = mixtures.monte_carlo_kl(q, p, 4000, tf.constant([0, 1])).numpy()
    runs = np.stack([mixtures.monte_carlo_kl(q, p, 8, tf.constant([i, 9])).numpy()
                     for i in range(100)])  # 100 estimates of 8 draws each
    standard_error = runs.std(0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(runs.mean(0) - reference) < 4 * standard_error + 0.02)


def test_monte_carlo_kl_of_gaussians_is_the_closed_form():
    q, p = gaussian(seed=1), gaussian(seed=2)
    estimate = mixtures.monte_carlo_kl(q, p, 20000, tf.constant([5, 5])).numpy()
    np.testing.assert_allclose(estimate, tfd.kl_divergence(q, p).numpy(), rtol=0.03, atol=0.02)


def test_monte_carlo_kl_gradient_matches_the_closed_form():
    # A mixture of K copies of one Gaussian is that Gaussian: the estimator's gradient with
    # respect to q(z|x)'s parameters must match the closed-form KL's.
    loc = tf.Variable([[0.5, -1.0]])
    log_scale = tf.Variable([[0.2, -0.3]])
    p_loc, p_scale = np.array([[1.0, 0.0]], np.float32), np.array([[0.8, 1.3]], np.float32)
    p = tfd.MultivariateNormalDiag(p_loc, p_scale)
    copies = mixture(tf.zeros([1, 3]), np.repeat(p_loc[:, None], 3, 1),
                     np.repeat(p_scale[:, None], 3, 1))

    def gradient(kl):
        with tf.GradientTape() as tape:
            q = tfd.MultivariateNormalDiag(loc, tf.exp(log_scale))
            value = tf.reduce_sum(kl(q))
        return [g.numpy() for g in tape.gradient(value, [loc, log_scale])]

    exact = gradient(lambda q: tfd.kl_divergence(q, p))
    estimate = gradient(lambda q: mixtures.monte_carlo_kl(q, copies, 20000, tf.constant([1, 1])))
    for e, g in zip(estimate, exact):
        np.testing.assert_allclose(e, g, atol=0.05)


def test_the_mixture_weights_get_a_gradient():
    logits = tf.Variable([[0.0, 0.0]])
    q = gaussian(n=1)
    with tf.GradientTape() as tape:
        p = mixture(logits, np.array([[[0.0, 0.0], [5.0, 5.0]]], np.float32),
                    np.ones([1, 2, 2], np.float32))
        value = tf.reduce_sum(mixtures.monte_carlo_kl(q, p, 64, tf.constant([2, 3])))
    grad = tape.gradient(value, logits).numpy()
    # q sits near the first component: raising its weight lowers the KL.
    assert grad[0, 0] < 0 < grad[0, 1]


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_the_encoder_gives_a_mixture_of_the_declared_shapes(covariance):
    config = ModelConfig(latent_dim=3)
    encoder = mixtures.label_encoder(config, 4, covariance)
    q = encoder(tf.eye(5))
    assert mixtures.is_mixture(q)
    assert q.batch_shape == [5] and q.event_shape == [3]
    assert q.components_distribution.batch_shape == [5, 4]
    assert mixtures.weights(q).shape == [5, 4]
    np.testing.assert_allclose(tf.reduce_sum(mixtures.weights(q), -1).numpy(), 1, rtol=1e-6)


def test_a_mixture_of_one_component_is_refused():
    with pytest.raises(ValueError, match="components >= 2"):
        mixtures.MixtureEncoder(3, 1)


def test_the_gaussian_encoder_is_unchanged_by_the_refactor():
    # `full` with its lower triangle at zero is `diag` exactly (the raw layout both share).
    encoder = networks.GaussianEncoder(3, (), covariance="full")
    encoder.build((None, 4))
    assert encoder.output_units() == 2 * 3 + 3
    q = encoder(tf.eye(4))
    assert isinstance(q, tfd.MultivariateNormalTriL) and q.batch_shape == [4]
