"""The readings beyond the paper's literal metrics, on the hand-set tiny PSE* of
tests/evaluation/test_metrics.py (its docstring states every weight)."""

import numpy as np

from experiments.study.readings import classifier_annotate
from pse_tf.evaluation import metrics
from tests.evaluation.test_metrics import IMAGES, _tiny_pse


def test_classifier_reading_annotates_with_pse_stars_classifier_on_the_decoded_mean():
    # Decoded pixel 0 = sigmoid(z0), z0 = 2 x0 - 1: A 0.269 -> class 2, B 0.731 -> class 1,
    # C sigmoid(-0.6) = 0.354 -> class 2. (The Gaussian rule gives 2, 1, 0.)
    model = _tiny_pse(label_scales=(1.0, 1.0, 2.0), name="pse_star")
    np.testing.assert_array_equal(classifier_annotate(model, IMAGES, batch_size=2), [2, 1, 2])
    np.testing.assert_array_equal(metrics.annotate(model, IMAGES), [2, 1, 0])
