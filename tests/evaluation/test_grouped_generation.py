"""Generation judged against labels that cover several classes: in-set share and coverage."""

import numpy as np
import pytest

from pse_tf.data.label_groups import LabelGroups
from pse_tf.evaluation.metrics import coverage_distance
from pse_tf.evaluation.run_metrics import grouped_generation

CLASSES = ("a", "b", "c", "d")


def groups(counts=(10, 10, 10, 30)):
    built = LabelGroups.build({"ab": ["a", "b"], "cd": ["c", "d"]}, CLASSES)
    return LabelGroups(built.names, built.members, built.class_names, counts)


def test_coverage_is_the_total_variation_to_the_training_mix():
    g = groups()
    counts = np.array([[50, 50, 0, 0],     # "ab": half a, half b, as in training
                       [0, 10, 90, 0]])    # "cd": all c (in its group), training 1/4 c 3/4 d
    distances = coverage_distance(counts, g.members, g.training_mix())
    assert distances == pytest.approx([0.0, 0.75])


def test_a_label_whose_images_never_land_in_its_group_has_the_largest_distance():
    g = groups()
    assert coverage_distance(np.array([[0, 0, 5, 5], [1, 1, 1, 1]]), g.members,
                             g.training_mix())[0] == 1.0


def test_grouped_generation_reads_in_set_share_and_coverage():
    g = groups()
    counts = np.array([[40, 40, 20, 0], [0, 0, 25, 75]])
    out = grouped_generation(counts, g)
    assert out["in_set_generation_by_label"] == {"ab": pytest.approx(0.8), "cd": 1.0}
    assert out["in_set_generation_grouped"] == pytest.approx(0.9)
    assert out["coverage_distance_by_label"]["cd"] == pytest.approx(0.0)
    assert out["coverage_distance"] == pytest.approx(0.0)
