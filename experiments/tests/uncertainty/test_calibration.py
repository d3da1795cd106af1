"""The uncertainty measurements on toy inputs: calibration error by hand, seeded corruptions."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.uncertainty.calibration import add_noise, expected_calibration_error, occlude


def test_ece():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    labels = np.array([0, 1, 0, 1])
    ece, bins = expected_calibration_error(probs, labels, bins=10)
    # bin (0.8, 0.9]: 2 images, accuracy 0.5, confidence 0.9; bin (0.5, 0.6]: 2, 1.0, 0.6.
    assert ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert sum(b["count"] for b in bins) == 4
    perfect = expected_calibration_error(np.eye(3)[[0, 1, 2]], np.array([0, 1, 2]))[0]
    assert perfect == pytest.approx(0.0)


def test_corruptions_are_seeded_and_in_range():
    images = np.ones((3, 28, 28), np.float32)
    occluded = occlude(images, seed=1)
    assert np.all((occluded == 0).sum(axis=(1, 2)) == 14 * 14)
    np.testing.assert_array_equal(occluded, occlude(images, seed=1))
    noisy = add_noise(images * 0.5, seed=2)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, 0.5)
