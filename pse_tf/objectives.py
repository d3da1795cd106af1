"""The paper's objectives, one pure function per equation.

Each function returns a dict of per-example loss terms, shape [N], whose sum is the NEGATIVE of
the equation's objective (we minimise). Term names are the same everywhere: trackers, History,
metrics.json and TensorBoard.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf.networks import bernoulli_likelihood

tfd = tfp.distributions


def reconstruction_nll(images, logits):
    """-log p(x|z): Bernoulli NLL summed over pixels; grey levels in [0, 1] are kept, not binarised."""
    return -bernoulli_likelihood(logits).log_prob(images)


def kl(q, p):
    """D_KL(q || p) per example, in closed form for the Gaussians used here."""
    return tfd.kl_divergence(q, p)


def label_nll(labels, prediction, encoding: str, scale: float = 1.0):
    """-log p(l | l_hat), the PSE* label term (paper §2.1).

    One-hot labels: cross-entropy with `prediction` as logits. Word vectors:
    -log N(l | l_hat, scale^2 I), summed over the vector's dimensions.
    """
    if encoding == "onehot":
        return -tf.reduce_sum(labels * tf.nn.log_softmax(prediction, axis=-1), axis=-1)
    if encoding == "word2vec":
        return -tfd.Independent(tfd.Normal(prediction, scale), 1).log_prob(labels)
    raise ValueError(f"label encoding must be 'onehot' or 'word2vec', got {encoding!r}")


def vae(images, logits, q_z_x, prior, beta: float = 1.0):
    """eq. 1: -elbo(x) = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)). beta = 1 is eq. 1; SCAN's
    beta-VAE uses beta = 10."""
    return {"reconstruction": reconstruction_nll(images, logits), "kl": beta * kl(q_z_x, prior)}


def pse(images, logits, q_z_x, q_z_l):
    """eq. 2: -L_PSE = -E_q(z|x)[log p(x|z)] + KL(q(z|x) || q(z|l)). The label prior replaces N(0, I)."""
    return {"reconstruction": reconstruction_nll(images, logits), "kl": kl(q_z_x, q_z_l)}


def pse_star(images, logits, labels, label_prediction, q_z_x, q_z_l, encoding: str,
             scale: float = 1.0):
    """eq. 3: -L_PSE* = eq. 2 - E_q(z|x)[log p(l|z)], with p(l|z) = p(l | Cla(Dec(z)))."""
    return {**pse(images, logits, q_z_x, q_z_l),
            "label": label_nll(labels, label_prediction, encoding, scale)}


def total(terms: dict):
    """Batch mean of the summed terms: the scalar the optimiser minimises."""
    return tf.add_n([tf.reduce_mean(t) for t in terms.values()])
