"""The paper's networks and the distributions they give (shapes on tiny tensors)."""

import numpy as np
import pytest
import tensorflow as tf

from pse_tf import networks
from pse_tf.config import ModelConfig

CONFIG = ModelConfig(latent_dim=3, image_dim=12, hidden_units=(8, 4), classifier_units=(6, 5))


def dense_widths(net):
    return [layer.units for layer in net.layers]


def test_builders_follow_appendix_a():
    assert dense_widths(networks.image_decoder(CONFIG)) == [4, 8, 12]  # z-64-512-784
    assert dense_widths(networks.label_decoder(CONFIG, 7)) == [4, 8, 7]
    assert dense_widths(networks.classifier(CONFIG, 7)) == [6, 5, 7]  # 784-512-64-L
    assert dense_widths(networks.image_encoder(CONFIG).net) == [8, 4, 6]  # to loc and scale
    assert dense_widths(networks.label_encoder(CONFIG).net) == [6]  # one dense layer
    assert networks.image_encoder(CONFIG, name="joint_encoder").name == "joint_encoder"
    hidden = networks.image_decoder(CONFIG).layers
    assert [l.activation.__name__ for l in hidden] == ["relu", "relu", "linear"]


def test_gaussian_encoder_gives_a_diagonal_gaussian_with_positive_scale():
    q = networks.image_encoder(CONFIG)(tf.random.normal([5, 12]))
    assert q.batch_shape == (5,) and q.event_shape == (3,)
    assert np.all(q.stddev().numpy() >= networks.MIN_SCALE)


def test_scale_function_exp_reads_the_raw_output_as_log_sigma():
    import dataclasses

    x = tf.random.normal([5, 4])
    soft = networks.label_encoder(CONFIG)
    exp = networks.label_encoder(dataclasses.replace(CONFIG, scale_function="exp"))
    soft(x), exp(x)
    exp.set_weights(soft.get_weights())
    raw = soft.net(x)[:, 3:]
    np.testing.assert_allclose(exp(x).stddev(), np.exp(raw) + networks.MIN_SCALE, rtol=1e-5)
    np.testing.assert_allclose(soft(x).stddev(), np.log1p(np.exp(raw)) + networks.MIN_SCALE,
                               rtol=1e-5)


def test_pytorch_initializer_is_uniform_within_one_over_root_fan_in():
    import dataclasses

    net = networks.image_decoder(dataclasses.replace(CONFIG, kernel_initializer="pytorch",
                                                     hidden_units=(400, 300)))
    net.build((None, 3))
    kernel = net.layers[-1].kernel.numpy()  # fan_in 400: U(+-0.05)
    assert np.abs(kernel).max() <= 0.05 and np.abs(kernel).max() > 0.049
    assert np.std(kernel) == pytest.approx(0.05 / np.sqrt(3), rel=0.05)
    glorot = networks.image_decoder(dataclasses.replace(CONFIG, hidden_units=(400, 300)))
    glorot.build((None, 3))  # U(+-sqrt(6 / (400 + 12)))
    assert np.abs(glorot.layers[-1].kernel.numpy()).max() > 0.1


def test_rsample_is_loc_plus_scale_times_philox_noise():
    q = networks.label_encoder(CONFIG)(tf.ones([2, 4]))
    seed = tf.constant([3, 9])
    eps = tf.random.stateless_normal([2, 3], seed=seed, alg="philox")
    np.testing.assert_allclose(networks.rsample(q, seed).numpy(),
                               (q.mean() + q.stddev() * eps).numpy(), rtol=1e-6)


def test_standard_normal_is_the_prior():
    prior = networks.standard_normal(4, 3)
    assert prior.batch_shape == (4,) and prior.event_shape == (3,)
    # log N(0; 0, I) in 3-d = -3/2 log(2 pi)
    np.testing.assert_allclose(prior.log_prob(tf.zeros([4, 3])).numpy(), -2.7568156, rtol=1e-6)


def test_bernoulli_likelihood_has_one_event_per_image():
    p = networks.bernoulli_likelihood(tf.zeros([2, 5]))
    assert p.batch_shape == (2,) and p.event_shape == (5,)
    np.testing.assert_allclose(p.log_prob(tf.ones([2, 5])).numpy(), 5 * np.log(0.5), rtol=1e-6)


def test_label_likelihoods():
    prediction = tf.constant([[2.0, 0.0], [0.0, 0.0]])
    onehot = networks.label_likelihood("onehot")(prediction)
    assert onehot.batch_shape == (2,) and onehot.event_shape == (2,)
    # log softmax([2, 0])[0] = 2 - log(e^2 + 1); log softmax([0, 0])[1] = -log 2
    np.testing.assert_allclose(onehot.log_prob(tf.constant([[1.0, 0.0], [0.0, 1.0]])).numpy(),
                               [-0.1269280, -0.6931472], rtol=1e-5)
    words = networks.label_likelihood("word2vec", scale=0.5)(prediction)
    assert words.batch_shape == (2,) and words.event_shape == (2,)
    # two dims of N(x; mu, 0.5): -log(0.5) - log(2 pi)/2 - 2 (x - mu)^2, here (x - mu) = 1 and 0
    np.testing.assert_allclose(words.log_prob(tf.constant([[1.0, 0.0], [0.0, 0.0]])).numpy(),
                               [2 * (np.log(2) - 0.9189385) - 2, 2 * (np.log(2) - 0.9189385)],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="bag-of-words"):
        networks.label_likelihood("bag-of-words")


# -- the full-covariance label encoder (model option label_covariance=full) ----------------------
def _full_encoder(latent_dim=3):
    import dataclasses

    return networks.label_encoder(dataclasses.replace(CONFIG, latent_dim=latent_dim), "full")


def test_full_covariance_encoder_gives_a_tril_gaussian_with_a_free_lower_triangle():
    encoder = _full_encoder()
    assert dense_widths(encoder.net) == [3 + 3 + 3]  # loc, diagonal, Z(Z-1)/2 below it
    q = encoder(tf.random.normal([5, 4]))
    assert type(q).__name__ == "MultivariateNormalTriL"
    assert q.batch_shape == (5,) and q.event_shape == (3,)
    tril = q.scale_tril.numpy()
    np.testing.assert_array_equal(np.triu(tril, 1), 0)
    assert np.all(np.diagonal(tril, axis1=-2, axis2=-1) >= networks.MIN_SCALE)
    assert np.any(np.abs(np.tril(tril, -1)) > 1e-3)  # correlations, not a diagonal in disguise


def test_cholesky_factor_places_the_free_entries_row_by_row_below_the_diagonal():
    tril = networks.cholesky_factor(tf.constant([1.0, 2.0, 3.0]), tf.constant([4.0, 5.0, 6.0]))
    # fill_triangular's packing of [4, 5, 6] into 2 x 2 is [[6, 0], [4, 5]] (its documented
    # clockwise spiral); shifted down one row, it sits strictly below the diagonal.
    expected = tfp_fill([4.0, 5.0, 6.0])
    np.testing.assert_array_equal(tril.numpy(), [[1, 0, 0], [expected[0, 0], 2, 0],
                                                 [expected[1, 0], expected[1, 1], 3]])
    np.testing.assert_array_equal(networks.cholesky_factor(tf.constant([[2.0]]),
                                                           tf.zeros([1, 0])).numpy(), [[[2.0]]])


def tfp_fill(values):
    import tensorflow_probability as tfp

    return tfp.math.fill_triangular(tf.constant(values)).numpy()


def test_full_covariance_with_a_zero_lower_triangle_is_the_diagonal_encoder_exactly():
    """The diagonal case of the full code gives today's numbers: same parameters (up to the
    float rounding of a wider matmul, which Eigen may block differently), same KL, log-density
    and reparameterised draw as the paper's MultivariateNormalDiag."""
    x = tf.random.normal([5, 4], seed=1)
    image_q = networks.image_encoder(CONFIG)(tf.random.normal([5, 12], seed=2))
    diag, full = networks.label_encoder(CONFIG), _full_encoder()
    diag(x), full(x)
    kernel, bias = diag.net.layers[-1].get_weights()
    full_kernel = np.concatenate([kernel, np.zeros((4, 3), np.float32)], axis=1)
    full_bias = np.concatenate([bias, np.zeros(3, np.float32)])
    full.net.layers[-1].set_weights([full_kernel, full_bias])
    q_diag, q_full = diag(x), full(x)
    np.testing.assert_allclose(q_full.loc.numpy(), q_diag.loc.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.diagonal(q_full.scale_tril.numpy(), axis1=-2, axis2=-1),
                               q_diag.stddev().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tfd_kl(image_q, q_full), tfd_kl(image_q, q_diag), rtol=1e-5)
    z = tf.random.normal([5, 3], seed=3)
    np.testing.assert_allclose(q_full.log_prob(z), q_diag.log_prob(z), rtol=1e-5)
    np.testing.assert_allclose(networks.gaussian_log_prob(q_full, z), q_diag.log_prob(z),
                               rtol=1e-5)
    seed = tf.constant([4, 5])
    np.testing.assert_allclose(networks.rsample(q_full, seed), networks.rsample(q_diag, seed),
                               rtol=1e-6)


def tfd_kl(q, p):
    from pse_tf.objectives import kl

    return kl(q, p).numpy()


def test_kl_to_a_full_covariance_prior_matches_a_monte_carlo_estimate():
    """Eq. 2's KL(q(z|x) || q(z|l)) in closed form equals E_q[log q - log p] estimated from
    200,000 draws, for a diagonal q and a correlated full-covariance p."""
    import tensorflow_probability as tfp

    tfd = tfp.distributions
    rng = np.random.default_rng(0)
    q = tfd.MultivariateNormalDiag(rng.normal(size=(2, 3)).astype(np.float32),
                                   rng.uniform(0.5, 1.5, size=(2, 3)).astype(np.float32))
    tril = networks.cholesky_factor(tf.constant(rng.uniform(0.5, 1.5, (2, 3)), tf.float32),
                                    tf.constant(rng.normal(size=(2, 3)), tf.float32))
    p = tfd.MultivariateNormalTriL(rng.normal(size=(2, 3)).astype(np.float32), tril)
    closed = tfd_kl(q, p)
    z = q.sample(200_000, seed=tf.constant([7, 8]))
    samples = (q.log_prob(z) - p.log_prob(z)).numpy().astype(np.float64)
    estimate, error = samples.mean(axis=0), samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(closed > 0.1)  # not a trivially small KL
    np.testing.assert_array_less(np.abs(closed - estimate), 5 * error)


def test_gaussian_log_prob_is_the_log_density_of_a_full_covariance_gaussian():
    import tensorflow_probability as tfp

    rng = np.random.default_rng(1)
    tril = networks.cholesky_factor(tf.constant(rng.uniform(0.5, 1.5, (4, 3)), tf.float32),
                                    tf.constant(rng.normal(size=(4, 3)), tf.float32))
    p = tfp.distributions.MultivariateNormalTriL(rng.normal(size=(4, 3)).astype(np.float32), tril)
    z = tf.constant(rng.normal(size=(6, 1, 3)), tf.float32)
    np.testing.assert_allclose(networks.gaussian_log_prob(p, z), p.log_prob(z), rtol=1e-5)
    assert networks.gaussian_log_prob(p, z).shape == (6, 4)


def test_rsample_of_a_full_covariance_gaussian_has_its_covariance():
    import tensorflow_probability as tfp

    tril = networks.cholesky_factor(tf.constant([[1.0, 0.5, 2.0]]), tf.constant([[0.8, -1.0, 0.3]]))
    p = tfp.distributions.MultivariateNormalTriL(tf.constant([[1.0, -2.0, 0.5]]), tril)
    draws = np.stack([networks.rsample(p, tf.constant([i, 0])).numpy()[0] for i in range(4000)])
    np.testing.assert_allclose(draws.mean(axis=0), p.mean().numpy()[0], atol=0.15)
    np.testing.assert_allclose(np.cov(draws.T), p.covariance().numpy()[0], atol=0.25)
