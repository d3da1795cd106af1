"""Checkpoints survive kills mid-write and damage: fall back, or fail loudly, never restart."""

import dataclasses
import json
import os

import numpy as np
import pytest

from pse_tf import checkpoints
from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.data import load_dataset
from pse_tf.labels import LabelEncoding
from pse_tf.distribute import RunContext
from pse_tf.training import build_model, fit

CONFIG = TrainConfig(dataset="mnist", label_encoding="onehot", steps=60, steps_per_execution=20,
                     checkpoint_every=20, model=ModelConfig(name="pse"), seed=4)


def model_for(config):
    return build_model(config, LabelEncoding.build(load_dataset("mnist").class_names, "onehot"),
                       RunContext.create(config))


def train(config, run_dir):
    model = model_for(config)
    history = fit(model, config, load_dataset("mnist"), RunContext.create(config, run_dir),
                  verbose=0)
    return model, history


def same_weights(a, b):
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted 60-step run every recovery must end equal to."""
    return train(CONFIG, tmp_path_factory.mktemp("reference"))[0]


def forty_steps(tmp_path):
    """A run stopped after step 40: checkpoints at 20 and 40."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    train(dataclasses.replace(CONFIG, steps=40), run_dir)
    return run_dir


def test_only_the_newest_two_complete_checkpoints_are_kept(tmp_path, reference):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    train(CONFIG, run_dir)
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert names == ["step-000000040", "step-000000060"]
    assert checkpoints.latest(run_dir).step == 60


def test_a_kill_during_the_write_leaves_the_previous_checkpoint(tmp_path, reference):
    run_dir = forty_steps(tmp_path)
    # What a kill in the middle of writing step 60 leaves: a temporary folder, half written.
    partial = run_dir / "checkpoints" / ".tmp-step-000000060"
    partial.mkdir()
    (partial / checkpoints.WEIGHTS).write_bytes(b"\x89HDF half")
    assert checkpoints.latest(run_dir).step == 40
    resumed, history = train(CONFIG, run_dir)
    assert history["step"] == [20, 40, 60]
    same_weights(reference, resumed)


def test_a_truncated_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, reference):
    run_dir = forty_steps(tmp_path)
    weights = run_dir / "checkpoints" / "step-000000040" / checkpoints.WEIGHTS
    os.truncate(weights, weights.stat().st_size // 2)
    with pytest.warns(UserWarning, match="step-000000040.*SHA-256.*resuming from step 20"):
        resumed, history = train(CONFIG, run_dir)
    assert history["step"] == [20, 40, 60]
    same_weights(reference, resumed)


def test_every_checkpoint_damaged_is_an_error_not_a_restart(tmp_path):
    run_dir = forty_steps(tmp_path)
    for folder in (run_dir / "checkpoints").iterdir():
        state = json.loads((folder / checkpoints.STATE).read_text())
        state["sha256"][checkpoints.OPTIMIZER] = "0" * 64
        (folder / checkpoints.STATE).write_text(json.dumps(state))
    with pytest.raises(checkpoints.CheckpointError, match="every checkpoint.*--overwrite"):
        train(CONFIG, run_dir)
