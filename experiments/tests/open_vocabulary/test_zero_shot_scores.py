"""Zero-shot scores: fixed held-out splits; ZSL/GZSL/H and the DeViSE-style map by hand."""

import numpy as np
import pytest

from experiments.open_vocabulary import zero_shot_scores as zs


def test_splits_are_disjoint_pairs_covering_every_class():
    splits = zs.held_out_splits(10, 2)
    assert len(splits) == 5 and all(len(s) == 2 for s in splits)
    assert sorted(c for s in splits for c in s) == list(range(10))
    assert splits == zs.held_out_splits(10, 2)  # fixed


def test_zsl_top1_by_hand():
    labels = np.array([0, 2, 2, 3, 3, 3])
    # columns: unseen classes (2, 3)
    scores = np.array([[9, 0], [1, 0], [0, 1], [0, 1], [0, 1], [1, 0]])
    # class 2: 1/2 right, class 3: 2/3 right -> (0.5 + 0.667) / 2; image of class 0 ignored
    assert zs.zsl_top1(scores, labels, (2, 3)) == pytest.approx((0.5 + 2 / 3) / 2)


def test_gzsl_and_harmonic_mean_by_hand():
    labels = np.array([0, 0, 1, 2, 2])
    predicted = np.array([0, 1, 1, 0, 2])
    scores = np.eye(3)[predicted]
    result = zs.gzsl(scores, labels, seen=(0, 1), unseen=(2,))
    s, u = (0.5 + 1.0) / 2, 0.5
    assert result["S"] == pytest.approx(s) and result["U"] == pytest.approx(u)
    assert result["H"] == pytest.approx(2 * s * u / (s + u))
    assert zs.harmonic_mean(0.0, 0.0) == 0.0
    assert zs.harmonic_mean(1.0, 0.0) == 0.0


def test_linear_map_recovers_a_linear_target():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(200, 784)).astype(np.float32)
    true = rng.normal(size=(785, 3))
    targets = np.concatenate([images, np.ones((200, 1))], 1) @ true
    weights = zs.fit_linear_map(images, targets, ridge=1e-6)
    classes = np.eye(3)
    scores = zs.linear_map_scores(weights, images[:5], classes)
    expected = targets[:5] / np.linalg.norm(targets[:5], axis=1, keepdims=True)
    np.testing.assert_allclose(scores, expected, atol=1e-3)
