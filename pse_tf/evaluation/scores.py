"""Image-label scores between diagonal Gaussians q(z|x) and q(z|l), in numpy.

Every score is "higher = a better match", for N images against C labels, [N, C]:

    log_likelihood   log q(mean of q(z|x) | l)                 (paper §2, image annotation)
    neg_kl           -KL(q(z|x) || q(z|l))                       (the divergence eq. 2 minimises)
    neg_wasserstein  -W2(q(z|x), q(z|l)), the 2-Wasserstein distance; for diagonal Gaussians
                     W2^2 = ||mu_x - mu_l||^2 + ||sigma_x - sigma_l||^2 (closed form)

Computed in float64 from means and standard deviations alone, so a run and an export score
identically. For a mixture q(z|l) (components [C, K, Z], weights [C, K]) each score is
log sum_k w_k exp(score_k): exact for log_likelihood, Hershey & Olsen's (2007) approximation for
neg_kl, a soft minimum for neg_wasserstein.
"""

from __future__ import annotations

import numpy as np

SCORES = ("log_likelihood", "neg_kl", "neg_wasserstein")
SCORE_TEXT = {"log_likelihood": "log q(mean | l)", "neg_kl": "-KL(q(z|x) || q(z|l))",
              "neg_wasserstein": "-W2(q(z|x), q(z|l))"}


def _pairs(x_mean, x_std, l_mean, l_std):
    x_mean, x_std = np.asarray(x_mean, np.float64), np.asarray(x_std, np.float64)
    l_mean, l_std = np.asarray(l_mean, np.float64), np.asarray(l_std, np.float64)
    if x_mean.ndim != 2 or l_mean.ndim != 2 or x_mean.shape[1] != l_mean.shape[1]:
        raise ValueError(f"means must be [N, Z] and [C, Z], got {x_mean.shape} and {l_mean.shape}")
    return x_mean[:, None, :], x_std[:, None, :], l_mean[None], l_std[None]


def log_likelihood(x_mean, l_mean, l_std) -> np.ndarray:
    """log N(x_mean; l_mean, diag(l_std^2)): [N, C]."""
    x, _, m, s = _pairs(x_mean, np.ones_like(x_mean), l_mean, l_std)
    return np.sum(-0.5 * ((x - m) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi), axis=-1)


def kl(x_mean, x_std, l_mean, l_std) -> np.ndarray:
    """KL(N(x_mean, x_std^2) || N(l_mean, l_std^2)) summed over z: [N, C]."""
    mx, sx, ml, sl = _pairs(x_mean, x_std, l_mean, l_std)
    return np.sum(np.log(sl / sx) + (sx ** 2 + (mx - ml) ** 2) / (2 * sl ** 2) - 0.5, axis=-1)


def wasserstein(x_mean, x_std, l_mean, l_std) -> np.ndarray:
    """2-Wasserstein distance between diagonal Gaussians: [N, C]."""
    mx, sx, ml, sl = _pairs(x_mean, x_std, l_mean, l_std)
    return np.sqrt(np.sum((mx - ml) ** 2 + (sx - sl) ** 2, axis=-1))


def score(kind: str, x_mean, x_std, l_mean, l_std, l_weights=None) -> np.ndarray:
    """The score `kind` (one of `SCORES`) of every image against every label: [N, C].

    With `l_weights` [C, K], `l_mean` and `l_std` are the components' [C, K, Z] (module
    docstring)."""
    if l_weights is not None:
        l_mean, l_std = np.asarray(l_mean), np.asarray(l_std)
        c, k, z = l_mean.shape
        per = score(kind, x_mean, x_std, l_mean.reshape(c * k, z), l_std.reshape(c * k, z))
        with np.errstate(divide="ignore"):  # a weight of 0 is log 0 = -inf: no contribution
            weighted = np.log(np.asarray(l_weights, np.float64))[None] + per.reshape(-1, c, k)
        top = weighted.max(-1, keepdims=True)
        return (top + np.log(np.exp(weighted - top).sum(-1, keepdims=True)))[..., 0]
    if kind == "log_likelihood":
        return log_likelihood(x_mean, l_mean, l_std)
    if kind == "neg_kl":
        return -kl(x_mean, x_std, l_mean, l_std)
    if kind == "neg_wasserstein":
        return -wasserstein(x_mean, x_std, l_mean, l_std)
    raise ValueError(f"unknown score {kind!r}; expected one of {SCORES}")


def softmax(scores, axis=-1) -> np.ndarray:
    scores = np.asarray(scores, np.float64)
    shifted = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)
