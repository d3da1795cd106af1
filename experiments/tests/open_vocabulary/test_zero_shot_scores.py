"""Zero-shot protocol: held-out classes never reach training; ZSL/GZSL/H by hand."""

import numpy as np
import pytest

from pse_tf.data.datasets import Dataset
from experiments.open_vocabulary import zero_shot_scores as zs


def tiny_dataset(num_classes=5, per_class=3):
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), per_class)
    images = (labels[:, None, None] * np.ones((1, 28, 28))).astype(np.uint8)  # pixel = class
    return Dataset("tiny", tuple(f"c{i}" for i in range(num_classes)), images, labels,
                       images.copy(), labels.copy(), images.copy(), labels.copy())


def test_splits_are_disjoint_pairs_covering_every_class():
    splits = zs.held_out_splits(10, 2)
    assert len(splits) == 5 and all(len(s) == 2 for s in splits)
    assert sorted(c for s in splits for c in s) == list(range(10))
    assert splits == zs.held_out_splits(10, 2)  # fixed


@pytest.mark.parametrize("held_out", [(1, 3), (0,), (4, 0)])
def test_held_out_classes_never_reach_training(held_out):
    data = tiny_dataset()
    seen = zs.seen_classes(5, held_out)
    filtered = zs.seen_dataset(data, held_out)
    held_names = {data.class_names[c] for c in held_out}
    assert not held_names & set(filtered.class_names)  # the label table has seen names only
    assert filtered.class_names == tuple(data.class_names[c] for c in seen)
    for images, labels in ((filtered.train_images, filtered.train_labels),
                           (filtered.val_images, filtered.val_labels)):
        original = images[:, 0, 0]  # the pixel value is the original class
        assert not np.isin(original, held_out).any()
        assert set(labels) == set(range(len(seen)))  # renumbered 0..S-1
        np.testing.assert_array_equal(np.asarray(seen)[labels], original)
    np.testing.assert_array_equal(filtered.test_labels, data.test_labels)  # test untouched


def test_seen_classes_refuses_unknown():
    with pytest.raises(ValueError, match="not in"):
        zs.seen_classes(5, (7,))


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
