"""The learning curve: one run trained through `runs.train` keeps its weights at each budget, and
each budget is evaluated from the weights of that step (by hand: a reading of the step's weights
loaded into the reloaded run)."""

import json

import numpy as np
import pytest

from experiments.curves import learning_curve
from experiments.curves.curve import curve_config, curve_key, kept_weights, render_curve
from experiments.study.readings import READINGS
from pse_tf.config import ConfigError


def test_the_curve_run_trains_to_the_largest_budget_and_keeps_the_others():
    config = curve_config([300, 100, 200], 100, dataset="mnist", label_encoding="onehot",
                          seed=3, out="runs", model="pse", latent_dim=4)
    assert config.steps == 300 and config.keep_weights_at == (100, 200)
    assert (config.model.name, config.model.latent_dim, config.seed) == ("pse", 4, 3)
    with pytest.raises(ConfigError, match="multiples of checkpoint_every"):
        curve_config([150, 300], 100, dataset="mnist")


def test_kept_weights_are_the_step_files_and_the_final_weights(tmp_path):
    config = curve_config([100, 300], 100, dataset="mnist")
    (tmp_path / "weights").mkdir()
    for name in ("weights/step-100.weights.h5", "model.weights.h5", "weights/other.txt"):
        (tmp_path / name).write_bytes(b"")
    assert kept_weights(tmp_path, config) == {100: tmp_path / "weights/step-100.weights.h5",
                                              300: tmp_path / "model.weights.h5"}


def test_curve_table_has_a_row_per_budget_in_order_and_no_issue_number():
    row = {"dataset": "mnist", "model": "pse_star", "label_encoding": "onehot", "latent_dim": 10,
           "seed": 0, "image_sigma_mean": 0.25, "label_sigma_mean": 1.5,
           **{k: 0.5 for k, _ in READINGS}}
    rows = [dict(row, steps=5000, reconstruction_error=85.0),
            dict(row, steps=2000, reconstruction_error=95.0)]
    text = render_curve({"rows": rows})
    assert text.startswith("# Learning curve (reproduction study)\n") and "issue" not in text
    table = [line for line in text.splitlines() if line[:3] == "| 2" or line[:3] == "| 5"]
    assert [line.split(" | ")[0:2] for line in table] == [["| 2,000", "95.0"], ["| 5,000", "85.0"]]


def test_a_run_with_model_options_is_its_own_curve():
    from dataclasses import replace

    config = curve_config([100], 100, dataset="mnist", model="jmvae")
    default = curve_key(config)
    alpha1 = curve_key(replace(config, model=replace(config.model, options={"alpha": 1.0})))
    assert "options" not in default  # rows read before options existed keep matching
    assert alpha1 == {**default, "options": {"alpha": 1.0}}
    row = {"label_encoding": "onehot", "steps": 100, "image_sigma_mean": 0.25,
           "label_sigma_mean": 1.5, **{k: 0.5 for k, _ in READINGS}}
    text = render_curve({"rows": [{**default, **row}, {**alpha1, **row}]})
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## mnist · jmvae 10-d · onehot labels · seed 0",
                        "## mnist · jmvae 10-d · alpha=1.0 · onehot labels · seed 0"]


@pytest.mark.slow
def test_learning_curve_trains_once_and_reads_each_budget_from_its_weights(tmp_path):
    from experiments.study.readings import all_readings
    from pse_tf.evaluation.evaluators import load_evaluator
    from pse_tf.runs import load_data, load_run

    args = ["--dataset", "mnist", "--model", "pse", "--latent-dim", "2", "--budgets", "100",
            "200", "--checkpoint-every", "100", "--generation-samples-per-label", "20",
            "--out", str(tmp_path / "runs"), "--results", str(tmp_path)]
    assert learning_curve.main(args) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "weights" / "step-100.weights.h5").is_file()
    rows = json.loads((tmp_path / "learning_curve.json").read_text())["rows"]
    assert [(r["steps"], r["run"], r["model"]) for r in rows] == [(100, run_dir.name, "pse"),
                                                                (200, run_dir.name, "pse")]
    # Step 100 by hand: its weights in the reloaded run, read with the same protocol.
    model, config, _ = load_run(run_dir)
    model.load_weights(run_dir / "weights" / "step-100.weights.h5")
    dataset, _ = load_data(config)
    expected = all_readings(model, dataset, load_evaluator("mnist"), seed=0, samples_per_label=20)
    for key in ("reconstruction_error_mean", "annotation_accuracy", "generation_accuracy"):
        assert rows[0][key] == pytest.approx(expected[key], rel=1e-6)
    assert rows[0]["reconstruction_error_mean"] != rows[1]["reconstruction_error_mean"]
    # Read again from the run directory: every row exists, nothing is evaluated.
    assert learning_curve.main(["--runs", str(run_dir), "--results", str(tmp_path)]) == 0
    assert len(json.loads((tmp_path / "learning_curve.json").read_text())["rows"]) == 2
    md = (tmp_path / "learning_curve.md").read_text()
    assert "| 100 |" in md and "| 200 |" in md and np.isfinite(rows[1]["annotation_accuracy"])

    # Trained on to 300 steps in a copy: the run's final weights become its step-200 weights.
    assert learning_curve.main(["--runs", str(run_dir), "--extend-to", "300", "--out",
                                str(tmp_path / "longer"), "--generation-samples-per-label",
                                "20", "--results", str(tmp_path)]) == 0
    longer = tmp_path / "longer" / f"{run_dir.name}-to300"
    assert (run_dir / "weights" / "step-200.weights.h5").exists() is False  # left as it was
    assert (longer / "weights" / "step-200.weights.h5").read_bytes() == (
        run_dir / "model.weights.h5").read_bytes()
    history = json.loads((longer / "history.json").read_text())
    assert history["step"][-2:] == [200, 300]
    # Steps 100 and 200 are the same weights (the same config but for its length): not read again.
    rows = json.loads((tmp_path / "learning_curve.json").read_text())["rows"]
    assert [(r["steps"], r["run"]) for r in rows[2:]] == [(300, longer.name)]
    assert "| 300 |" in (tmp_path / "learning_curve.md").read_text()
    # Not to fewer steps than it has: one line and exit code 2, nothing copied.
    assert learning_curve.main(["--runs", str(run_dir), "--extend-to", "200", "--out",
                                str(tmp_path / "shorter"), "--results", str(tmp_path)]) == 2
    assert not (tmp_path / "shorter").exists()
