"""A NaN or Inf stops training at once, names the step and the term, and keeps the checkpoint."""

import dataclasses
import json

import numpy as np
import pytest

from pse_tf import checkpoints, run_folder, runs
from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.data import load_dataset
from pse_tf.training import EpochBatches, NonFiniteError

CONFIG = TrainConfig(dataset="mnist", label_encoding="onehot", steps=60, steps_per_execution=20,
                     checkpoint_every=20, model=ModelConfig(name="pse"), seed=0)


def test_a_huge_learning_rate_stops_the_run_and_says_so(tmp_path):
    config = dataclasses.replace(CONFIG, learning_rate=1e30, out=str(tmp_path))
    with pytest.raises(NonFiniteError, match=r"step \d+: non-finite .*no checkpoint") as error:
        runs.train(config, verbose=0, export=False)
    run_dir = tmp_path / run_folder.run_name(config)
    status = json.loads((run_dir / run_folder.STATUS).read_text())
    assert status["state"] == "failed" and status["step"] == error.value.step <= 20
    assert not (run_dir / run_folder.FINAL_WEIGHTS).exists()
    assert not (run_dir / run_folder.METRICS).exists()


def test_a_nan_in_the_data_stops_at_its_batch_and_keeps_the_last_checkpoint(tmp_path,
                                                                             monkeypatch):
    data = load_dataset("mnist")
    config = dataclasses.replace(CONFIG, steps=500, out=str(tmp_path))
    # One poisoned image, in the 46th batch of epoch 0: after two checkpoints, before a third.
    batches = EpochBatches(len(data.train_images), config.batch_size, config.seed)(0, 500)
    poisoned_row = int(batches[45, 17])
    images = data.train_images.astype(np.float32) / 255.0
    images[poisoned_row] = np.nan
    poisoned = dataclasses.replace(data, train_images=images)
    monkeypatch.setattr("pse_tf.data.catalog.load_dataset", lambda name: poisoned)
    with pytest.raises(NonFiniteError, match="non-finite reconstruction") as error:
        runs.train(config, verbose=0, export=False)
    # The batch holding the poisoned row is the first that fails.
    expected = int(np.argmax((batches == poisoned_row).any(axis=1))) + 1  # counted from 1
    assert expected == 46
    assert error.value.step == expected and "gradient" in error.value.names
    run_dir = tmp_path / run_folder.run_name(config)
    last = checkpoints.latest(run_dir)
    assert last.step == (expected - 1) // 20 * 20 if last else expected <= 20
    status = json.loads((run_dir / run_folder.STATUS).read_text())
    assert status == {**status, "state": "failed", "step": expected,
                      "last_checkpoint": last.step if last else None}
