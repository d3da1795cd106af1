"""scripts/reproduce.py: --seeds-together (a row's unfinished seeds go to one program, finished
ones are reused, runs stopped at different steps fall back to training alone) and
--finished-only (tabulate what has finished, train nothing)."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reproduce.py"


def _script():
    spec = importlib.util.spec_from_file_location("reproduce_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def calls(monkeypatch):
    """Record what the row trains, without training: seed 1 is already finished."""
    import pse_tf.multiseed as multiseed
    import pse_tf.runs as runs

    record = {"together": [], "alone": []}

    def together(configs, verbose=1):
        record["together"].append([c.seed for c in configs])
        return [SimpleNamespace(metrics={"seed": c.seed, "how": "together"}) for c in configs]

    def alone(config, verbose=1, export=True):
        record["alone"].append(config.seed)
        return SimpleNamespace(metrics={"seed": config.seed, "how": "alone"})

    monkeypatch.setattr(multiseed, "train_together", together)
    monkeypatch.setattr(runs, "train", alone)
    monkeypatch.setattr(runs, "finished_run", lambda c: Path("done") if c.seed == 1 else None)
    return record


def _configs():
    from pse_tf.config import ModelConfig, TrainConfig

    return [TrainConfig(dataset="mnist", label_encoding="onehot", seed=s,
                        model=ModelConfig(name="pse")) for s in range(3)]


def test_unfinished_seeds_train_together_and_finished_ones_are_reused(calls):
    metrics = _script()._train_row_together(_configs())
    assert calls == {"together": [[0, 2]], "alone": [1]}
    assert [m["seed"] for m in metrics] == [0, 1, 2]
    assert [m["how"] for m in metrics] == ["together", "alone", "together"]


def test_runs_stopped_at_different_steps_train_alone(calls, monkeypatch):
    import pse_tf.multiseed as multiseed
    from pse_tf.checkpoints import CheckpointError

    def refuse(configs, verbose=1):
        raise CheckpointError("different steps")

    monkeypatch.setattr(multiseed, "train_together", refuse)
    metrics = _script()._train_row_together(_configs())
    assert calls["alone"] == [0, 1, 2]
    assert [m["seed"] for m in metrics] == [0, 1, 2]


def test_finished_only_tabulates_finished_seeds_and_trains_nothing(monkeypatch, tmp_path):
    """Only seed 1 of PSE (10D) has finished: the table has that row with that seed alone, and
    the rows with no finished run are left out."""
    import json

    import pse_tf.runs as runs

    finished = {("pse", 1)}
    seen = []

    def reuse(config, verbose=1, export=True):
        assert (config.model.name, config.seed) in finished, "trained an unfinished run"
        seen.append(config.seed)
        return SimpleNamespace(metrics={"seed": config.seed, "reconstruction_error": 83.0,
                                        "annotation_accuracy": 0.95, "generation_accuracy": 0.9,
                                        "train_seconds": 1.0, "evaluation_seconds": 1.0})

    monkeypatch.setattr(runs, "train", reuse)
    monkeypatch.setattr(runs, "finished_run", lambda c: Path("done") if (c.model.name, c.seed)
                        in finished else None)
    assert _script().main(["--table", "1", "--rows", "pse", "pse_star", "--finished-only",
                           "--out", str(tmp_path)]) == 0
    table = json.loads((tmp_path / "table1.json").read_text())
    assert [(r["label"], r["seeds"]) for r in table["rows"]] == [("PSE (10D)", [1])]
    assert seen == [1]
    assert "| PSE (10D) | 83.0 (82.8) ✗ 0.2 |" in (tmp_path / "table1.md").read_text()
