"""End to end on real MNIST with a tiny budget: unseen_words.py and zero_shot.py write their rows,
resume without redoing them, draw their figures, and leave runs that reload by directory."""

import json

import numpy as np
import pytest

from experiments.open_vocabulary import unseen_words, zero_shot, zero_shot_scores


def _image(path):
    from matplotlib.image import imread

    image = imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= 200 and image.std() > 0  # drawn, not blank
    return image


@pytest.mark.slow
def test_unseen_words_end_to_end(tmp_path):
    args = ["--datasets", "mnist", "--seeds", "0", "--steps", "30", "--out", str(tmp_path),
            "--samples", "20", "--runs", str(tmp_path / "runs")]
    assert unseen_words.main(args) == 0
    state = json.loads((tmp_path / "unseen_words.json").read_text())
    options = unseen_words.options()
    assert [r["option"] for r in state["rows"]] == [o.name for o in options]
    words = state["words"]["mnist"]
    for row in state["rows"]:
        assert len(row["landed"]) == len(row["accuracy"]) == len(words)
        # landed means the majority class is the intended one
        assert row["landed"] == [m == w["class"] for m, w in zip(row["majority"], words)]
        assert row["fraction_landed_all_words"] == pytest.approx(np.mean(row["landed"]))
        # the headline leaves out the words the option rewrites into a label (MNIST: 19 of 41)
        counts = row["headline"]["landed_counts"]
        assert counts["all"]["words"] + counts["rewritten"]["words"] == len(words)
        assert counts["rewritten"]["words"] == (19 if row["option"].endswith("numerals") else
                                                9 if "plurals" in row["option"] else 0)
        assert row["half"] == [w["half"] for w in words]
        assert 0 <= row["word_vectors_alone_all_words"] <= 1
        assert 0 <= row["headline"]["word_vectors_alone"] <= 1
    md = (tmp_path / "unseen_words.md").read_text()
    assert md.count("| mnist | `paper` |") == len(options) and "(default)" in md
    _image(tmp_path / "figures" / "unseen_words_mnist.png")
    assert unseen_words.main(args) == 0  # resumed: nothing to redo
    assert len(json.loads((tmp_path / "unseen_words.json").read_text())["rows"]) == len(options)


@pytest.mark.slow
def test_zero_shot_end_to_end_trains_a_run_that_reloads_without_the_held_out_classes(tmp_path):
    from pse_tf.runs import load_run

    args = ["--datasets", "mnist", "--seeds", "0", "--steps", "30", "--out", str(tmp_path),
            "--splits", "0", "--samples", "20", "--runs", str(tmp_path / "zs"),
            "--full-runs", str(tmp_path / "full")]
    assert zero_shot.main(args) == 0
    state = json.loads((tmp_path / "zero_shot.json").read_text())
    (row,) = state["rows"]
    assert row["held_out"] == [4, 6] and row["held_out_names"] == ["four", "six"]
    assert set(zero_shot.MAPPINGS) == {"raw", "project", "default"}
    assert all(0 <= row["seen"][k] <= 1 for k in ("split_model", "full_model",
                                                  "full_model_seen_names"))
    (full,) = (tmp_path / "full").iterdir()  # the full model, trained once at the same budget
    assert load_run(full)[1].held_out_classes == () and load_run(full)[1].steps == 30
    for mapping in zero_shot.MAPPINGS:
        scores = row[mapping]
        s, u = scores["S"], scores["U"]
        assert scores["H"] == pytest.approx(2 * s * u / (s + u) if s + u else 0.0)
        stacked = scores["stacking"]
        assert 0 <= scores["ausuc"] <= 1 and np.isfinite(stacked["gamma"])
        assert stacked["H"] == pytest.approx(zero_shot_scores.harmonic_mean(stacked["S"],
                                                                            stacked["U"]))
        assert len(scores["generation_per_class"]) == 2
        assert scores["generation_unseen"] == pytest.approx(np.mean(scores["generation_per_class"]))
    model, config, encoding = load_run(row["run"])
    assert config.held_out_classes == (4, 6) and config.steps == 30
    assert "four" not in encoding.class_names and len(encoding.class_names) == 8
    assert model.label_vectors.shape[0] == 8
    assert set(state["devise"]) == {"mnist/0"}
    md = (tmp_path / "zero_shot.md").read_text()
    assert "| mnist | PSE* raw | 1 | [30] |" in md and "| mnist | 0 | four, six | 0 |" in md
    assert zero_shot.main(args) == 0  # resumed: nothing to redo
    assert len(json.loads((tmp_path / "zero_shot.json").read_text())["rows"]) == 1
    _image(tmp_path / "figures" / "zero_shot.png")
