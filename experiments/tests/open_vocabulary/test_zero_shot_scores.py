"""Zero-shot scores: fixed held-out splits; ZSL/GZSL/H, calibrated stacking and the DeViSE-style
map by hand."""

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


def test_calibrated_stacking_by_hand():
    # seen (0, 1), unseen (2,); margins (best seen - best unseen): 3, -1, 1, 0.5
    labels = np.array([0, 1, 2, 2])
    scores = np.array([[4.0, 0, 1], [0, 1, 2], [1, 0, 0], [0, 2.5, 2]])
    assert zs.calibrated_gzsl(scores, labels, (0, 1), (2,), 0.0) == pytest.approx(
        {**zs.gzsl(scores, labels, (0, 1), (2,)), "gamma": 0.0})
    lowered = zs.calibrated_gzsl(scores, labels, (0, 1), (2,), 2.0)  # image 0 stays seen
    assert (lowered["S"], lowered["U"]) == pytest.approx((0.5, 1.0))
    gammas, s, u = zs.seen_unseen_curve(scores, labels, (0, 1), (2,))
    assert list(gammas) == pytest.approx([-2.0, -0.25, 0.75, 2.0, 4.0])
    assert list(s) == pytest.approx([1.0, 0.5, 0.5, 0.5, 0.0])
    assert list(u) == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])
    assert zs.best_gamma(scores, labels, (0, 1), (2,)) == pytest.approx(2.0)
    # gamma falling: (0, 1) -> (0.5, 1) -> (0.5, 0.5) -> (0.5, 0) -> (1, 0): area 0.5 x 1
    assert zs.ausuc(scores, labels, (0, 1), (2,)) == pytest.approx(0.5)
    assert zs.ausuc(np.eye(3)[labels], labels, (0, 1), (2,)) == pytest.approx(1.0)


def test_the_seen_unseen_curve_equals_stacking_at_each_gamma():
    rng = np.random.default_rng(1)
    for _ in range(10):
        n = int(rng.integers(5, 200))
        labels, scores = rng.integers(0, 5, n), rng.normal(size=(n, 5)).round(1)
        gammas, s, u = zs.seen_unseen_curve(scores, labels, (0, 1, 4), (2, 3))
        for gamma, si, ui in zip(gammas, s, u):
            point = zs.calibrated_gzsl(scores, labels, (0, 1, 4), (2, 3), gamma)
            assert (point["S"], point["U"]) == pytest.approx((si, ui))


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
