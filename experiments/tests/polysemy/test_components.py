"""experiments/polysemy/components.py: a component's meaning, purity and the meanings found."""

import numpy as np
import pytest

from experiments.polysemy.components import describe, merged


def test_each_component_is_read_as_the_class_most_of_its_in_set_images_are():
    # One label of classes (1, 4) out of 5; two components: the first draws class 4 (8 of its 10
    # in-set images), the second class 1 only and half out of set.
    counts = np.zeros([1, 2, 5], np.int64)
    counts[0, 0, [1, 4]] = [2, 8]
    counts[0, 1, [1, 0]] = [5, 5]
    (label,) = describe(np.array([[0.3, 0.7]]), counts, [(1, 4)])
    assert [c["meaning"] for c in label["components"]] == [1, 4]  # largest weight first
    assert [c["purity"] for c in label["components"]] == [1.0, 0.8]
    assert [c["in_set"] for c in label["components"]] == [0.5, 1.0]
    assert label["meanings_found"] == 2 and label["meanings"] == 2


def test_a_light_component_or_one_never_in_set_finds_no_meaning():
    counts = np.zeros([1, 3, 4], np.int64)
    counts[0, 0, 2] = 10          # class 2, weight 0.85
    counts[0, 1, 3] = 10          # class 3, but weight 0.05: unused
    counts[0, 2, 0] = 10          # weight 0.1, never in set
    (label,) = describe(np.array([[0.85, 0.05, 0.1]]), counts, [(2, 3)])
    assert label["meanings_found"] == 1
    never = label["components"][1]
    assert never["weight"] == 0.1 and never["in_set"] == 0.0 and never["purity"] == 0.0


def test_implied_coverage_weighs_each_meaning_by_how_often_it_is_recognised():
    from experiments.polysemy.components import implied_coverage

    mix = [np.array([0.5, 0.5]), np.array([1.0])]
    # Recognised 90 % and 30 %: in-set mix 0.75 / 0.25 against 0.5 / 0.5; one-class labels skipped.
    assert implied_coverage([0.9, 0.3, 0.5], [(0, 1), (2,)], mix) == pytest.approx(0.25)
    assert implied_coverage([0.6, 0.6, 0.1], [(0, 1), (2,)], mix) == pytest.approx(0.0)


def test_an_update_keeps_the_settings_these_runs_do_not_redo():
    old = {"draws_per_component": 10, "settings": {"a": [1], "b": [2]},
           "evaluator_on_test_images": {"x": 1}, "coverage_implied_by_ten_labels": {"mnist": 3}}
    new = {"draws_per_component": 10, "settings": {"b": [5], "c": [6]},
           "evaluator_on_test_images": {}, "coverage_implied_by_ten_labels": {}}
    out = merged(old, new)
    assert out["settings"] == {"a": [1], "b": [5], "c": [6]}
    assert out["evaluator_on_test_images"] == {"x": 1}
    assert out["coverage_implied_by_ten_labels"] == {"mnist": 3}
    with pytest.raises(SystemExit, match="drew 10 images per component, this run 20"):
        merged(old, {**new, "draws_per_component": 20})
