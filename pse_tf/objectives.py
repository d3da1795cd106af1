"""The paper's objectives, one pure function per equation.

Each function returns a dict of per-example loss terms, shape [N], whose sum is the NEGATIVE of
the equation's objective (we minimise). Term names are the same everywhere: trackers, History,
metrics.json and TensorBoard. Label likelihoods p(l|z) arrive as distributions built once from
the label encoding (`networks.label_likelihood`), so no objective knows how labels are encoded.
"""

from __future__ import annotations

from typing import NamedTuple

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


def label_nll(labels, p_l):
    """-log p(l | l_hat) (paper §2.1): `p_l` is the label likelihood at the prediction l_hat
    (batch [N], event [L]), `labels` the label vectors [N, L]."""
    return -p_l.log_prob(labels)


def vae(images, logits, q_z_x, prior, beta: float = 1.0):
    """eq. 1: -elbo(x) = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)). beta = 1 is eq. 1; SCAN's
    beta-VAE uses beta = 10."""
    return {"reconstruction": reconstruction_nll(images, logits), "kl": beta * kl(q_z_x, prior)}


def pse(images, logits, q_z_x, q_z_l, kl=kl):
    """eq. 2: -L_PSE = -E_q(z|x)[log p(x|z)] + KL(q(z|x) || q(z|l)). The label prior replaces N(0, I).

    `kl` computes D_KL (here and below): closed-form by default; a model whose q(z|l) is a
    mixture passes its Monte Carlo estimate (`LatentModel.kl`)."""
    return {"reconstruction": reconstruction_nll(images, logits), "kl": kl(q_z_x, q_z_l)}


def pse_star(images, logits, labels, p_l, q_z_x, q_z_l, label_weight: float = 1.0, kl=kl):
    """eq. 3: -L_PSE* = eq. 2 - E_q(z|x)[log p(l|z)], with p(l|z) = p(l | Cla(Dec(z))) = `p_l`.

    `label_weight` scales the label term (1 in eq. 3; an option of the reproduction study)."""
    return {**pse(images, logits, q_z_x, q_z_l, kl), "label": label_weight * label_nll(labels, p_l)}


def total(terms: dict):
    """Batch mean of the summed terms: the scalar the optimiser minimises."""
    return tf.add_n([tf.reduce_mean(t) for t in terms.values()])


# -- the baselines (paper §3) -------------------------------------------------------------------
def cvae(images, logits, q_z_xl, prior):
    """eq. 4: -elbo(x|l) = -E_q(z|x,l)[log p(x|z,l)] + KL(q(z|x,l) || p(z)).

    The paper prints eq. 4 with "+ D_KL"; the conditional bound (Sohn et al., 2015) subtracts the
    KL from the expected log-likelihood, so its negative adds it, as here. `logits` come from the
    label-conditioned decoder.
    """
    return vae(images, logits, q_z_xl, prior)


class JointPass(NamedTuple):
    """One pass of a joint model (JMVAE, TrELBO) over N pairs: what eq. 5 and eq. 6 read.

    Distributions have batch [N] and event [Z] (p_l: event [L]).
    """

    labels: tf.Tensor  # [N, L] label vectors l
    q_z_xl: tfd.Distribution  # joint encoder q(z|x,l)
    q_z_x: tfd.Distribution  # image encoder q(z|x)
    q_z_l: tfd.Distribution  # label encoder q(z|l)
    prior: tfd.Distribution  # p(z) = N(0, I)
    logits: tf.Tensor  # [N, D] Bernoulli logits of p(x|z), z ~ q(z|x,l)
    p_l: tfd.Distribution  # p(l|z), the same z


def jmvae(images, joint: JointPass, alpha: float, kl=kl):
    """eq. 5 (JMVAE-kl, Suzuki et al., 2016): -L_JMVAE = -E_q(z|x,l)[log p(x|z) + log p(l|z)]
    + KL(q(z|x,l) || p(z)) + alpha * (KL(q(z|x,l) || q(z|x)) + KL(q(z|x,l) || q(z|l))).

    The alpha-weighted terms are reported weighted, so the terms still sum to the loss.
    """
    return {"reconstruction": reconstruction_nll(images, joint.logits),
            "label_reconstruction": label_nll(joint.labels, joint.p_l),
            "kl": kl(joint.q_z_xl, joint.prior),
            "kl_image": alpha * kl(joint.q_z_xl, joint.q_z_x),
            "kl_label": alpha * kl(joint.q_z_xl, joint.q_z_l)}


def trelbo(images, joint: JointPass, logits_x, p_l_from_label, lambda1: float, lambda2: float,
           kl=kl):
    """eq. 6 (triple ELBO, Vedantam et al., 2018): the negatives of three ELBOs sharing p(x|z) and
    p(l|z):
    -E_q(z|x,l)[log p(x|z) + lambda1 log p(l|z)] + KL(q(z|x,l) || p(z))   (`joint`: z ~ q(z|x,l))
    -E_q(z|x)[log p(x|z)] + KL(q(z|x) || p(z))                            (`logits_x`: z ~ q(z|x))
    -lambda2 E_q(z|l)[log p(l|z)] + KL(q(z|l) || p(z))             (`p_l_from_label`: z ~ q(z|l)).

    The lambda-weighted terms are reported weighted, so the terms still sum to the loss.
    """
    return {"reconstruction": reconstruction_nll(images, joint.logits),
            "label_reconstruction": lambda1 * label_nll(joint.labels, joint.p_l),
            "image_reconstruction": reconstruction_nll(images, logits_x),
            "label_only_reconstruction": lambda2 * label_nll(joint.labels, p_l_from_label),
            "kl": kl(joint.q_z_xl, joint.prior),
            "kl_image": kl(joint.q_z_x, joint.prior),
            "kl_label": kl(joint.q_z_l, joint.prior)}


def scan_symbols(images, logits, q_z_x, q_z_l, kl=kl):
    """SCAN's second stage (Higgins et al., 2018, as described in paper §3): fit q(z|l) to the
    frozen beta-VAE's image posteriors by KL(q(z|x) || q(z|l)).

    The image reconstruction is reported but carries no gradient: only q(z|l) is fitted here.
    """
    return {"reconstruction": tf.stop_gradient(reconstruction_nll(images, logits)),
            "kl": kl(q_z_x, q_z_l)}
