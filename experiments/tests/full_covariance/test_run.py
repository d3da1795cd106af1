"""The full-covariance study: each row's config is its diagonal row's plus the one option, and
the summary pairs seeds with the committed diagonal row's."""

import json
import math
import shutil
from pathlib import Path

import pytest

from experiments.full_covariance import run

ROOT = Path(__file__).resolve().parents[3]


def test_each_row_trains_as_its_diagonal_row_with_the_full_covariance_option():
    for row in run.ROWS:
        config = run.Row.config(row, seed=1, out="runs")
        assert config.model.options["label_covariance"] == "full"
        assert (config.steps, config.seed, config.generation_repeats) == (run.STEPS, 1, 3)
        diagonal = run.diagonal_row(ROOT / "results", row)  # the row exists in the tables
        assert diagonal["steps"] == run.STEPS and diagonal["latent_dim"] == row.latent_dim
        assert {k: v for k, v in diagonal["options"].items()} == dict(row.options)


@pytest.fixture
def results(tmp_path):
    for name in ("table1.json", "table2.json"):
        shutil.copy(ROOT / "results" / name, tmp_path / name)
    return tmp_path


def test_summary_pairs_each_seed_with_the_diagonal_rows_same_seed(results):
    row = run.ROWS[0]
    diagonal = {r["seed"]: r for r in run.diagonal_row(results, row)["runs"]}
    for seed, shift in ((0, 0.01), (2, 0.03)):
        path = run.run_file(results, row, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "reconstruction_error": diagonal[seed]["reconstruction_error"] - 1.0,
            "annotation_accuracy": diagonal[seed]["annotation_accuracy"],
            "generation_accuracy": diagonal[seed]["generation_accuracy"] + shift,
            "train_seconds": 1600.0}))
    summary = run.summarise(results)
    first = summary["rows"][0]
    assert first["seeds"] == [0, 2]
    generation = first["metrics"]["generation_accuracy"]
    mean, sd = generation["paired_difference"]
    assert mean == pytest.approx(2.0) and sd == pytest.approx(math.sqrt(2.0))  # 1 and 3 points
    assert first["metrics"]["reconstruction_error"]["paired_difference"][0] == pytest.approx(-1.0)
    assert first["metrics"]["ms_per_step"]["full"][0] == pytest.approx(10.0)
    assert all(not r["seeds"] for r in summary["rows"][1:])
    text = run.render(summary)
    assert "beyond the paper" in text and "2.00 ± 1.41" in text
    assert "Not measured yet" in text  # no timing file in this folder


def test_summary_shows_the_quiet_machine_timing_where_it_exists(results):
    rows = [{"row": row.key, "steps": 200, "repeats": 5, "diag_ms": 4.0, "full_ms": 5.0,
             "ratio": 1.25} for row in run.ROWS]
    (results / "full_covariance_timing.json").write_text(json.dumps({"threads": 1,
                                                                     "rows": rows}))
    text = run.render(run.summarise(results))
    assert "| mnist-pse_star-z20 | 4.00 | 5.00 | 1.25 |" in text
    assert "median of 5 interleaved timings of 200 steps, 1 TF thread(s)" in text


def test_timing_refuses_an_empty_measurement():
    from experiments.full_covariance import timing

    with pytest.raises(SystemExit):
        timing.main(["--steps", "0"])
