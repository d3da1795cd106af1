"""The baselines' objectives (eqs. 4-6, SCAN) against hand computations on tiny tensors."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import objectives

tfd = tfp.distributions

X = np.array([[0.2, 0.9, 0.0]], np.float32)
LOGITS = np.array([[0.1, 1.0, -0.5]], np.float32)
LOGITS_X = np.array([[-0.4, 2.0, 0.3]], np.float32)
LABELS = np.array([[0.0, 1.0]], np.float32)
PRED_XL = np.array([[0.3, -0.3]], np.float32)
PRED_L = np.array([[-1.0, 0.5]], np.float32)
XL = ([[0.0, 1.0]], [[1.0, 0.5]])
XO = ([[0.5, -1.0]], [[0.7, 1.3]])
LO = ([[1.0, 1.0]], [[2.0, 0.4]])
PRIOR = ([[0.0, 0.0]], [[1.0, 1.0]])


def gaussian(params):
    loc, scale = params
    return tfd.MultivariateNormalDiag(tf.constant(loc, tf.float32), tf.constant(scale, tf.float32))


def kl_closed_form(q, p):
    (m1, s1), (m2, s2) = [tuple(map(np.asarray, d)) for d in (q, p)]
    return np.sum(np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5, axis=-1)


def bernoulli_nll(x, logits):
    p = 1 / (1 + np.exp(-logits))
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)


def cross_entropy(labels, logits):
    return -np.sum(labels * (logits - np.log(np.sum(np.exp(logits), -1, keepdims=True))), -1)


def gaussian_nll(labels, mean, sigma):
    return np.sum(0.5 * ((labels - mean) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi),
                  axis=-1)


def close(terms, expected):
    assert list(terms) == list(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(terms[name].numpy(), value, rtol=1e-5, err_msg=name)


def test_cvae_is_eq4_with_the_kl_subtracted_from_the_bound():
    terms = objectives.cvae(X, LOGITS, gaussian(XL), gaussian(PRIOR))
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS), "kl": kl_closed_form(XL, PRIOR)})
    # -elbo(x|l) = NLL + KL: the KL lowers the bound (the paper's "+ D_KL" is a sign typo).
    elbo = -(bernoulli_nll(X, LOGITS) + kl_closed_form(XL, PRIOR))
    np.testing.assert_allclose(objectives.total(terms).numpy(), -elbo[0], rtol=1e-5)


def test_jmvae_terms_are_eq5_with_alpha_on_both_unimodal_kls():
    alpha = 0.3
    terms = objectives.jmvae(X, LOGITS, LABELS, PRED_XL, gaussian(XL), gaussian(XO), gaussian(LO),
                             gaussian(PRIOR), alpha, "onehot")
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS),
                  "label_reconstruction": cross_entropy(LABELS, PRED_XL),
                  "kl": kl_closed_form(XL, PRIOR),
                  "kl_image": alpha * kl_closed_form(XL, XO),
                  "kl_label": alpha * kl_closed_form(XL, LO)})


def test_jmvae_word_vector_labels_use_the_gaussian_likelihood():
    terms = objectives.jmvae(X, LOGITS, LABELS, PRED_XL, gaussian(XL), gaussian(XO), gaussian(LO),
                             gaussian(PRIOR), 1.0, "word2vec", scale=2.0)
    np.testing.assert_allclose(terms["label_reconstruction"].numpy(),
                               gaussian_nll(LABELS, PRED_XL, 2.0), rtol=1e-5)


def test_trelbo_terms_are_eq6_with_lambda1_and_lambda2_on_the_label_likelihoods():
    lambda1, lambda2 = 2.0, 50.0
    terms = objectives.trelbo(
        X, LABELS, logits_xl=LOGITS, label_prediction_xl=PRED_XL, logits_x=LOGITS_X,
        label_prediction_l=PRED_L, q_z_xl=gaussian(XL), q_z_x=gaussian(XO), q_z_l=gaussian(LO),
        prior=gaussian(PRIOR), lambda1=lambda1, lambda2=lambda2, encoding="onehot")
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS),
                  "label_reconstruction": lambda1 * cross_entropy(LABELS, PRED_XL),
                  "image_reconstruction": bernoulli_nll(X, LOGITS_X),
                  "label_only_reconstruction": lambda2 * cross_entropy(LABELS, PRED_L),
                  "kl": kl_closed_form(XL, PRIOR),
                  "kl_image": kl_closed_form(XO, PRIOR),
                  "kl_label": kl_closed_form(LO, PRIOR)})


def test_scan_symbols_fits_q_z_l_to_q_z_x_and_reports_an_ungradiented_reconstruction():
    logits = tf.Variable(LOGITS)
    with tf.GradientTape() as tape:
        terms = objectives.scan_symbols(X, logits, gaussian(XO), gaussian(LO))
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS), "kl": kl_closed_form(XO, LO)})
    assert tape.gradient(terms["reconstruction"], logits) is None
