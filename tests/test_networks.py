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
