"""Tables 1-3: the summary over seeds, the paired test and the written report."""

import json

import numpy as np
import pytest

from reproduction.tables import (TABLES, gap, paired_test, paper_values, summarise,
                                 unpaired_test, write_table)


def test_every_row_names_a_registered_model():
    from pse_tf.models import model_names

    for dataset, rows in TABLES.values():
        assert dataset in ("mnist", "fashion_mnist")
        assert {r.model for r in rows} <= set(model_names())


def test_summarise_is_mean_and_sample_std_over_seeds_in_percent():
    runs = [{"reconstruction_error": 80.0, "annotation_accuracy": 0.90},
            {"reconstruction_error": 82.0, "annotation_accuracy": 0.94}]
    s = summarise(runs)
    # Sample std (ddof = 1) of 80 and 82 is sqrt(2); the population std would be 1.
    assert s["reconstruction_error"]["mean"] == 81.0 and s["reconstruction_error"]["n"] == 2
    assert s["reconstruction_error"]["std"] == pytest.approx(2 ** 0.5)
    assert s["annotation_accuracy"]["mean"] == pytest.approx(92.0)
    assert s["annotation_accuracy"]["std"] == pytest.approx(4 / 2 ** 0.5)
    assert "generation_accuracy" not in s
    assert summarise(runs[:1])["reconstruction_error"]["std"] is None  # one seed: no spread


def test_paired_test_matches_a_hand_computed_t():
    a, b = [0.80, 0.81, 0.79], [0.82, 0.84, 0.80]
    d = np.subtract(b, a)  # 0.02, 0.03, 0.01
    t = d.mean() / (d.std(ddof=1) / np.sqrt(3))  # 0.02 / (0.01 / sqrt 3)
    result = paired_test(a, b)
    assert result["t"] == pytest.approx(t) and result["n"] == 3
    assert result["p"] == pytest.approx(0.0742, abs=1e-3)  # two-sided, 2 degrees of freedom
    assert paired_test([0.8], [0.9])["p"] is None  # one pair: no test


def test_unpaired_test_is_welchs_t():
    a, b = [0.80, 0.81, 0.79], [0.82, 0.84, 0.80]
    # Welch: (mean b - mean a) / sqrt(var_a / 3 + var_b / 3) = 0.02 / sqrt((1e-4 + 4e-4) / 3)
    t = 0.02 / np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 3)
    result = unpaired_test(a, b)
    assert result["t"] == pytest.approx(t) and result["p"] > paired_test(a, b)["p"]
    assert unpaired_test([0.8], [0.9, 0.8])["p"] is None


def test_write_table_puts_ours_beside_the_papers_value(tmp_path):
    row = {"label": "PSE (10D)", "model": "pse", "latent_dim": 10, "label_encoding": "onehot",
           "steps": 5000, "seeds": [0, 1], "generation_repeats": 3,
           "train_seconds": 100.0, "evaluation_seconds": 20.0,
           "summary": summarise([{"reconstruction_error": 80.0, "annotation_accuracy": 0.96,
                                  "generation_accuracy": 0.95},
                                 {"reconstruction_error": 82.0, "annotation_accuracy": 0.96,
                                  "generation_accuracy": 0.93}]),
           "paper": paper_values(1, "PSE (10D)"), "runs": [{}, {}]}
    write_table(1, [row], tmp_path / "table1", {"invocation_seconds": 90.0})
    text = (tmp_path / "table1.md").read_text()
    assert "| PSE (10D) | 81.0 ± 1.4 (82.8) ✓ | 96.0 ± 0.0 (96.0) ✓ | 94.0 ± 1.4 (93.9) ✓ | 2 " \
           "| 5000 | 100 + 20 |" in text
    assert "2.0 min (1.7 training, 0.3 evaluation)" in text and "1.5 min wall time" in text
    saved = json.loads((tmp_path / "table1.json").read_text())
    assert saved["rows"][0]["summary"] == row["summary"] and saved["dataset"] == "mnist"


def test_write_table_reports_the_paired_test_and_only_relevant_notes(tmp_path):
    row = {"label": "one-hot (PSE*)", "model": "pse_star", "steps": 5000, "seeds": [0, 1],
           "generation_repeats": 3, "train_seconds": 1.0, "evaluation_seconds": 1.0,
           "summary": {}, "paper": paper_values(3, "one-hot (PSE*)"), "runs": [{}, {}]}
    extra = {"significance": {"t": 3.0524939, "p": 0.0926489, "n": 3},
             "significance_unpaired": {"t": 2.5, "p": 0.0712, "n": 3}}
    write_table(3, [row], tmp_path / "table3", extra)
    text = (tmp_path / "table3.md").read_text()
    assert "t = 3.05, p = 0.093 (n = 3" in text
    assert "Welch's unpaired t-test, the same accuracies: t = 2.50, p = 0.071." in text
    assert "CVAE" not in text and "VAE annotation" not in text
    assert "Word vectors against one-hot" not in text  # no effects given, no section


def test_write_table_lists_the_word_vector_effect_on_every_metric(tmp_path):
    effects = [{"model": "PSE", "metric": "reconstruction_error", "difference": -0.2288,
                "paired": {"t": -1.7, "p": 0.1634, "n": 5},
                "unpaired": {"t": None, "p": None, "n": 1}}]
    write_table(3, [], tmp_path / "t", {"word_vector_effects": effects})
    assert "| PSE | reconstruction error | -0.23 | 0.163 | — |" in (tmp_path / "t.md").read_text()


def test_one_seed_is_reported_without_a_spread(tmp_path):
    row = {"label": "PSE (10D)", "model": "pse", "steps": 20000, "seeds": [0],
           "generation_repeats": 3, "train_seconds": 1.0, "evaluation_seconds": 1.0,
           "summary": summarise([{"reconstruction_error": 83.54}]),
           "paper": paper_values(1, "PSE (10D)"), "runs": [{}]}
    write_table(1, [row], tmp_path / "t")
    assert "| PSE (10D) | 83.5 (82.8) ✗ 0.7 | — (96.0) |" in (tmp_path / "t.md").read_text()


def test_gap_is_how_far_behind_the_paper_at_its_precision():
    assert gap("reconstruction_error", 83.54, 82.8) == 0.7  # 83.5 - 82.8, higher is worse
    assert gap("reconstruction_error", 82.84, 82.8) == 0.0  # rounds to the paper's value: met
    assert gap("annotation_accuracy", 95.0, 96.3) == 1.3    # lower is worse
    assert gap("generation_accuracy", 96.0, 95.6) == -0.4   # beaten


def test_the_notes_say_what_the_runs_were_trained_with_not_what_the_writer_assumes(tmp_path):
    row = {"label": "PSE (10D)", "model": "pse", "steps": 300, "seeds": [0],
           "generation_repeats": 1, "train_seconds": 1.0, "evaluation_seconds": 1.0,
           "summary": {}, "paper": paper_values(1, "PSE (10D)"), "runs": [{}],
           "training": {"batch_size": [50], "validation_every": [1000], "strategy": ["none"],
                        "nodes": ["10.0.0.1", "10.0.0.2"]}}
    write_table(1, [row], tmp_path / "t")
    text = (tmp_path / "t.md").read_text()
    assert "300 steps of batch 50 per run" in text and "validation every 1,000 steps" in text
    assert "strategy none on 2 Ray node(s) (10.0.0.1, 10.0.0.2)" in text
    write_table(1, [{**row, "training": {}}], tmp_path / "t")  # rows that recorded nothing
    text = (tmp_path / "t.md").read_text()
    assert "batch not recorded" in text and "CPU cores" not in text and "batch 100" not in text
