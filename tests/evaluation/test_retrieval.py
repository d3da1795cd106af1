"""Retrieval metrics and the closed-form scores on toy inputs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow_probability as tfp

from pse_tf.evaluation import scores
from pse_tf.evaluation.retrieval import r_precision_and_map

tfd = tfp.distributions


def test_r_precision_and_map_by_hand():
    # Query 0: R = 2, ranked [rel, irr, rel, irr] -> RP 1/2, AP@R (1/1) / 2 = 0.5.
    # Query 1: R = 1, ranked [rel, ...] -> RP 1, AP@R 1.
    s = np.array([[4.0, 3.0, 2.0, 1.0], [1.0, 0.0, 0.0, 0.0]])
    rel = np.array([[1, 0, 1, 0], [1, 0, 0, 0]], bool)
    assert r_precision_and_map(s, rel) == pytest.approx((0.75, 0.75))
    # R = 2 with matches at ranks 2 and 1 -> RP 1, AP (1/1 + 2/2) / 2 = 1.
    assert r_precision_and_map(np.array([[1.0, 2.0, 0.0]]), np.array([[1, 1, 0]], bool)) == \
        pytest.approx((1.0, 1.0))
    # R = 2 with a match at rank 2 only -> RP 1/2, AP (1/2) / 2.
    assert r_precision_and_map(np.array([[2.0, 1.0, 0.0]]), np.array([[0, 1, 1]], bool)) == \
        pytest.approx((0.5, 0.25))
    with pytest.raises(ValueError, match="at least one relevant"):
        r_precision_and_map(np.zeros((1, 2)), np.zeros((1, 2), bool))


def test_scores_match_tfp():
    rng = np.random.default_rng(0)
    xm, lm = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    xs, ls = rng.uniform(0.2, 2, (4, 3)), rng.uniform(0.2, 2, (5, 3))
    q_x = tfd.MultivariateNormalDiag(xm[:, None], xs[:, None])
    q_l = tfd.MultivariateNormalDiag(lm[None], ls[None])
    np.testing.assert_allclose(scores.log_likelihood(xm, lm, ls), q_l.log_prob(xm[:, None]),
                               rtol=1e-10)
    np.testing.assert_allclose(scores.kl(xm, xs, lm, ls), tfd.kl_divergence(q_x, q_l), rtol=1e-8)
    w2 = np.sqrt(((xm[:, None] - lm[None]) ** 2 + (xs[:, None] - ls[None]) ** 2).sum(-1))
    np.testing.assert_allclose(scores.wasserstein(xm, xs, lm, ls), w2)
    assert np.allclose(scores.wasserstein(xm, xs, xm, xs).diagonal(), 0)
    with pytest.raises(ValueError, match="unknown score"):
        scores.score("cosine", xm, xs, lm, ls)
