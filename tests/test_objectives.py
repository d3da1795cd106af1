"""Each objective (eqs. 1-6, SCAN) against a hand computation on tiny tensors."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import objectives
from pse_tf.networks import label_likelihood

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
    x = np.array([[0.0, 1.0, 0.5]], np.float32)
    logits = np.array([[0.0, np.log(3.0), 0.0]], np.float32)  # p = 1/2, 3/4, 1/2
    # -[log(1 - 1/2)] - [log 3/4] - [1/2 log 1/2 + 1/2 log 1/2] = ln 2 + ln 4/3 + ln 2 = ln 16/3
    np.testing.assert_allclose(objectives.reconstruction_nll(x, logits).numpy(), [1.6739764],
                               rtol=1e-6)


def test_reconstruction_sums_over_pixels_per_example():
    x = np.array([[1.0, 1.0], [0.0, 1.0]], np.float32)
    logits = np.zeros((2, 2), np.float32)  # every p = 1/2: ln 2 per pixel, 2 ln 2 per example
    np.testing.assert_allclose(objectives.reconstruction_nll(x, logits).numpy(),
                               [1.3862944, 1.3862944], rtol=1e-6)


def test_label_nll_onehot_is_cross_entropy():
    labels = np.array([[0, 1, 0]], np.float32)
    logits = np.array([[1.0, 2.0, 0.5]], np.float32)
    expected = -(2.0 - np.log(np.exp(1.0) + np.exp(2.0) + np.exp(0.5)))
    p_l = label_likelihood("onehot")(tf.constant(logits))
    np.testing.assert_allclose(objectives.label_nll(labels, p_l).numpy(), [expected], rtol=1e-5)


def test_label_nll_word2vec_is_gaussian_nll():
    labels = np.array([[0.5, -1.0]], np.float32)
    pred = np.array([[0.0, 1.0]], np.float32)
    sigma = 2.0
    expected = np.sum(0.5 * ((labels - pred) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi))
    p_l = label_likelihood("word2vec", sigma)(tf.constant(pred))
    np.testing.assert_allclose(objectives.label_nll(labels, p_l).numpy(), [expected], rtol=1e-5)


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
    terms = objectives.pse_star(x, logits, labels, label_likelihood("onehot")(tf.constant(pred)),
                                q_x, q_l)
    assert set(terms) == {"reconstruction", "kl", "label"}
    expected = -(0.3 - np.log(np.exp(0.3) + np.exp(-0.3)))
    np.testing.assert_allclose(terms["label"].numpy(), [expected], rtol=1e-5)
    weighted = objectives.pse_star(x, logits, labels,
                                   label_likelihood("onehot")(tf.constant(pred)), q_x, q_l,
                                   label_weight=10.0)
    np.testing.assert_allclose(weighted["label"].numpy(), [10 * expected], rtol=1e-5)
    np.testing.assert_allclose(weighted["kl"].numpy(), terms["kl"].numpy())


def test_vae_uses_beta_on_the_kl():
    x = np.array([[0.5]], np.float32)
    q, prior = gaussian([[1.0]], [[0.5]]), gaussian([[0.0]], [[1.0]])
    one = objectives.vae(x, np.zeros((1, 1), np.float32), q, prior)["kl"].numpy()
    ten = objectives.vae(x, np.zeros((1, 1), np.float32), q, prior, beta=10.0)["kl"].numpy()
    np.testing.assert_allclose(ten, 10 * one, rtol=1e-6)
    np.testing.assert_allclose(one, kl_closed_form([[1.0]], [[0.5]], [[0.0]], [[1.0]]), rtol=1e-5)


# -- the baselines (eqs. 4-6, SCAN) ----------------------------------------------------------------
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


def gaussian_of(params):
    return gaussian(*params)


def kl_of(q, p):
    return kl_closed_form(*q, *p)


def bernoulli_nll(x, logits):
    p = 1 / (1 + np.exp(-logits))
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)


def cross_entropy(labels, logits):
    return -np.sum(labels * (logits - np.log(np.sum(np.exp(logits), -1, keepdims=True))), -1)


def gaussian_nll(labels, mean, sigma):
    return np.sum(0.5 * ((labels - mean) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi),
                  axis=-1)


def joint(prediction, encoding, scale=1.0):
    return objectives.JointPass(
        labels=LABELS, q_z_xl=gaussian_of(XL), q_z_x=gaussian_of(XO), q_z_l=gaussian_of(LO),
        prior=gaussian_of(PRIOR), logits=LOGITS,
        p_l=label_likelihood(encoding, scale)(tf.constant(prediction)))


def close(terms, expected):
    assert list(terms) == list(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(terms[name].numpy(), value, rtol=1e-5, err_msg=name)


def test_cvae_is_eq4_with_the_kl_subtracted_from_the_bound():
    terms = objectives.cvae(X, LOGITS, gaussian_of(XL), gaussian_of(PRIOR))
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS), "kl": kl_of(XL, PRIOR)})
    # -elbo(x|l) = NLL + KL: the KL lowers the bound (the paper's "+ D_KL" is a sign typo).
    elbo = -(bernoulli_nll(X, LOGITS) + kl_of(XL, PRIOR))
    np.testing.assert_allclose(objectives.total(terms).numpy(), -elbo[0], rtol=1e-5)


def test_jmvae_terms_are_eq5_with_alpha_on_both_unimodal_kls():
    alpha = 0.3
    terms = objectives.jmvae(X, joint(PRED_XL, "onehot"), alpha)
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS),
                  "label_reconstruction": cross_entropy(LABELS, PRED_XL),
                  "kl": kl_of(XL, PRIOR),
                  "kl_image": alpha * kl_of(XL, XO),
                  "kl_label": alpha * kl_of(XL, LO)})


def test_jmvae_word_vector_labels_use_the_gaussian_likelihood():
    terms = objectives.jmvae(X, joint(PRED_XL, "word2vec", 2.0), 1.0)
    np.testing.assert_allclose(terms["label_reconstruction"].numpy(),
                               gaussian_nll(LABELS, PRED_XL, 2.0), rtol=1e-5)


def test_trelbo_terms_are_eq6_with_lambda1_and_lambda2_on_the_label_likelihoods():
    lambda1, lambda2 = 2.0, 50.0
    terms = objectives.trelbo(X, joint(PRED_XL, "onehot"), LOGITS_X,
                              label_likelihood("onehot")(tf.constant(PRED_L)), lambda1, lambda2)
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS),
                  "label_reconstruction": lambda1 * cross_entropy(LABELS, PRED_XL),
                  "image_reconstruction": bernoulli_nll(X, LOGITS_X),
                  "label_only_reconstruction": lambda2 * cross_entropy(LABELS, PRED_L),
                  "kl": kl_of(XL, PRIOR),
                  "kl_image": kl_of(XO, PRIOR),
                  "kl_label": kl_of(LO, PRIOR)})


def test_scan_symbols_fits_q_z_l_to_q_z_x_and_reports_an_ungradiented_reconstruction():
    logits = tf.Variable(LOGITS)
    with tf.GradientTape() as tape:
        terms = objectives.scan_symbols(X, logits, gaussian_of(XO), gaussian_of(LO))
    close(terms, {"reconstruction": bernoulli_nll(X, LOGITS), "kl": kl_of(XO, LO)})
    assert tape.gradient(terms["reconstruction"], logits) is None
