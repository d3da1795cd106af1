"""experiments/evaluator_reading.py: both evaluators score the same generated images of a real
(short) run, each in its own column; a rerun skips it; a folder that is not a finished run is
skipped with a message; `RUN@N` scores the weights the run kept at step N and labels the row
with N, not the run's final budget.

The evaluators are stand-ins whose accuracy is known by hand: the protocol generates
`samples_per_label` images of label 0, then of label 1, ... in one batch, so one that answers
"class 0" for every image is right on a tenth of them, and one that answers each image's position
// samples_per_label is right on all of them."""

import json
import shutil
from pathlib import Path

import keras
import pytest
import tensorflow as tf

from experiments import evaluator_reading
from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.evaluation import evaluators
from pse_tf.runs import train

SAMPLES = 200


def _stand_in(predict) -> keras.Model:
    images = keras.Input((28, 28))
    return keras.Model(images, keras.layers.Lambda(predict)(images))


def _always_zero(x):
    return tf.one_hot(tf.zeros(tf.shape(x)[0], tf.int32), 10)


def _in_order(x):
    return tf.one_hot(tf.range(tf.shape(x)[0]) // SAMPLES, 10)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=50, seed=0,
                         out=str(out), model=ModelConfig(name="pse_star"))
    return train(config, verbose=0, run_evaluation=False, export=False)


def test_both_evaluators_read_the_same_images(short_run, tmp_path, capsys, monkeypatch):
    stand_ins = {None: _stand_in(_always_zero), "paper": _stand_in(_in_order)}
    monkeypatch.setattr(evaluators, "load_evaluator",
                        lambda dataset, variant=None: stand_ins[variant])
    monkeypatch.setattr(evaluators, "evaluator_info", lambda dataset, variant=None: {
        "train_accuracy": 0.5, "val_accuracy": 0.25, "test_accuracy": 0.125})
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    args = [str(short_run.run_dir), str(not_a_run), "--samples-per-label", str(SAMPLES),
            "--results", str(tmp_path)]
    assert evaluator_reading.main(args) == 0
    assert "skipping" in capsys.readouterr().err
    state = json.loads((tmp_path / "evaluator_reading.json").read_text())
    (row,) = state["rows"]
    assert row["run"] == short_run.run_dir.name and row["steps"] == 50
    assert row["generation_accuracy"] == pytest.approx(0.1)  # ours: class 0 always
    assert row["generation_accuracy_paper"] == pytest.approx(1.0)  # paper: every label right
    assert state["evaluators"] == {
        "mnist ours": "train 50.00 %, validation 25.00 %, test 12.50 %",
        "mnist paper": "train 50.00 %, validation 25.00 %, test 12.50 %"}
    md = (tmp_path / "evaluator_reading.md").read_text()
    assert f"| {row['run']} | 50 | 10.0 | 100.0 | +90.0 |" in md
    # ... and a rerun scores nothing again, unless the run was trained on since.
    assert evaluator_reading.main(args) == 0
    assert len(json.loads((tmp_path / "evaluator_reading.json").read_text())["rows"]) == 1
    state["rows"][0]["steps"] = 20
    (tmp_path / "evaluator_reading.json").write_text(json.dumps(state))
    assert evaluator_reading.main(args) == 0
    rows = json.loads((tmp_path / "evaluator_reading.json").read_text())["rows"]
    assert [r["steps"] for r in rows] == [20, 50]


def test_kept_weights_are_labelled_with_their_step(short_run, tmp_path, capsys, monkeypatch):
    stand_in = _stand_in(_in_order)
    monkeypatch.setattr(evaluators, "load_evaluator", lambda dataset, variant=None: stand_in)
    monkeypatch.setattr(evaluators, "evaluator_info", lambda dataset, variant=None: {
        "train_accuracy": 0.5, "val_accuracy": 0.25, "test_accuracy": 0.125})
    # Stand-in kept weights at step 25 of the 50-step run (what keep_weights_at=(25,) writes).
    (short_run.run_dir / "weights").mkdir(exist_ok=True)
    shutil.copy(short_run.run_dir / "model.weights.h5",
                short_run.run_dir / "weights" / "step-25.weights.h5")
    args = [f"{short_run.run_dir}@25", f"{short_run.run_dir}@30", "--samples-per-label",
            str(SAMPLES), "--results", str(tmp_path)]
    assert evaluator_reading.main(args) == 0
    assert "kept no weights at step 30" in capsys.readouterr().err
    (row,) = json.loads((tmp_path / "evaluator_reading.json").read_text())["rows"]
    assert (row["run"], row["steps"]) == (f"{short_run.run_dir.name}-step25", 25)
    assert f"| {row['run']} | 25 |" in (tmp_path / "evaluator_reading.md").read_text()


def test_run_and_step():
    assert evaluator_reading.run_and_step("runs/a-seed0") == (Path("runs/a-seed0"), None)
    assert evaluator_reading.run_and_step("runs/a-seed0@120000") == (Path("runs/a-seed0"), 120000)
    assert evaluator_reading.run_and_step("runs/x@y") == (Path("runs/x@y"), None)
