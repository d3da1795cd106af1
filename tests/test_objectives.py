"""Each objective against a hand computation on tiny tensors."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import objectives

tfd = tfp.distributions


def gaussian(loc, scale):
    return tfd.MultivariateNormalDiag(tf.constant(loc, tf.float32), tf.constant(scale, tf.float32))


def kl_closed_form(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(np.asarray, (m1, s1, m2, s2))
    return np.sum(np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5, axis=-1)


def test_kl_matches_closed_form():
    m1, s1 = [[0.5, -1.0], [2.0, 0.0]], [[0.7, 1.3], [0.2, 2.0]]
    m2, s2 = [[0.0, 1.0], [1.0, 1.0]], [[1.5, 0.4], [1.0, 0.5]]
    got = objectives.kl(gaussian(m1, s1), gaussian(m2, s2)).numpy()
    np.testing.assert_allclose(got, kl_closed_form(m1, s1, m2, s2), rtol=1e-5)


def test_reconstruction_is_summed_bernoulli_nll_on_grey_levels():
    x = np.array([[0.0, 0.25, 1.0]], np.float32)
    logits = np.array([[0.3, -1.2, 2.0]], np.float32)
    p = 1 / (1 + np.exp(-logits))
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)
    np.testing.assert_allclose(objectives.reconstruction_nll(x, logits).numpy(), expected,
                               rtol=1e-5)


def test_label_nll_onehot_is_cross_entropy():
    labels = np.array([[0, 1, 0]], np.float32)
    logits = np.array([[1.0, 2.0, 0.5]], np.float32)
    expected = -(2.0 - np.log(np.exp(1.0) + np.exp(2.0) + np.exp(0.5)))
    np.testing.assert_allclose(objectives.label_nll(labels, logits, "onehot").numpy(), [expected],
                               rtol=1e-5)


def test_label_nll_word2vec_is_gaussian_nll():
    labels = np.array([[0.5, -1.0]], np.float32)
    pred = np.array([[0.0, 1.0]], np.float32)
    sigma = 2.0
    expected = np.sum(0.5 * ((labels - pred) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi))
    np.testing.assert_allclose(objectives.label_nll(labels, pred, "word2vec", sigma).numpy(),
                               [expected], rtol=1e-5)


def test_label_nll_rejects_unknown_encoding():
    with pytest.raises(ValueError, match="bag-of-words"):
        objectives.label_nll(np.zeros((1, 2)), np.zeros((1, 2)), "bag-of-words")


def test_pse_terms_are_eq2():
    x = np.array([[0.2, 0.9]], np.float32)
    logits = np.array([[0.1, 1.0]], np.float32)
    q_x, q_l = gaussian([[0.0, 1.0]], [[1.0, 0.5]]), gaussian([[1.0, 1.0]], [[2.0, 1.0]])
    terms = objectives.pse(x, logits, q_x, q_l)
    assert set(terms) == {"reconstruction", "kl"}
    np.testing.assert_allclose(terms["kl"].numpy(),
                               kl_closed_form([[0, 1]], [[1, .5]], [[1, 1]], [[2, 1]]), rtol=1e-5)
    total = objectives.total(terms).numpy()
    np.testing.assert_allclose(total, (terms["reconstruction"] + terms["kl"]).numpy()[0], rtol=1e-6)


def test_pse_star_adds_the_label_term_of_eq3():
    x = np.array([[0.2, 0.9]], np.float32)
    logits = np.array([[0.1, 1.0]], np.float32)
    q_x, q_l = gaussian([[0.0, 1.0]], [[1.0, 0.5]]), gaussian([[1.0, 1.0]], [[2.0, 1.0]])
    labels, pred = np.array([[1.0, 0.0]], np.float32), np.array([[0.3, -0.3]], np.float32)
    terms = objectives.pse_star(x, logits, labels, pred, q_x, q_l, "onehot")
    assert set(terms) == {"reconstruction", "kl", "label"}
    expected = -(0.3 - np.log(np.exp(0.3) + np.exp(-0.3)))
    np.testing.assert_allclose(terms["label"].numpy(), [expected], rtol=1e-5)


def test_vae_uses_beta_on_the_kl():
    x = np.array([[0.5]], np.float32)
    q, prior = gaussian([[1.0]], [[0.5]]), gaussian([[0.0]], [[1.0]])
    one = objectives.vae(x, np.zeros((1, 1), np.float32), q, prior)["kl"].numpy()
    ten = objectives.vae(x, np.zeros((1, 1), np.float32), q, prior, beta=10.0)["kl"].numpy()
    np.testing.assert_allclose(ten, 10 * one, rtol=1e-6)
    np.testing.assert_allclose(one, kl_closed_form([[1.0]], [[0.5]], [[0.0]], [[1.0]]), rtol=1e-5)
