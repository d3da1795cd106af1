"""experiments/evaluator_reading.py: both evaluators score the same generated images of a real (short)
run; a rerun skips it; a folder that is not a finished run is skipped with a message."""

import json
import runpy
from pathlib import Path

import pytest

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.evaluation import metrics
from pse_tf.evaluation.evaluators import load_evaluator
from pse_tf.runs import train

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "evaluator_reading.py"


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=50, seed=0,
                         out=str(out), model=ModelConfig(name="pse_star"))
    return train(config, verbose=0, run_evaluation=False, export=False)


def test_both_evaluators_read_the_same_images(short_run, tmp_path, capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    args = [str(short_run.run_dir), str(not_a_run), "--samples-per-label", "200",
            "--results", str(tmp_path)]
    assert main(args) == 0
    assert "skipping" in capsys.readouterr().err
    state = json.loads((tmp_path / "evaluator_reading.json").read_text())
    (row,) = state["rows"]
    assert row["run"] == short_run.run_dir.name and row["steps"] == 50
    # The default column is exactly metrics.generation_accuracy with the same seed ...
    ours = metrics.generation_accuracy(short_run.model, load_evaluator("mnist"), 200, repeats=1,
                                       seed=0)["mean"]
    assert row["generation_accuracy"] == ours
    paper = metrics.generation_accuracy(short_run.model, load_evaluator("mnist", variant="paper"),
                                        200, repeats=1, seed=0)["mean"]
    assert row["generation_accuracy_paper"] == paper
    assert set(state["evaluators"]) == {"mnist ours", "mnist paper"}
    md = (tmp_path / "evaluator_reading.md").read_text()
    assert f"| {row['run']} | {100 * ours:.1f} | {100 * paper:.1f} |" in md
    # ... and a rerun scores nothing again.
    assert main(args) == 0
    assert len(json.loads((tmp_path / "evaluator_reading.json").read_text())["rows"]) == 1
