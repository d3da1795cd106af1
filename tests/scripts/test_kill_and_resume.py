"""A real `scripts/train.py` process killed with SIGKILL resumes and ends as if never killed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pse_tf.runs import load_run

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"
ARGS = ["--dataset", "mnist", "--model", "pse", "--label-encoding", "onehot", "--steps", "600",
        "--checkpoint-every", "100", "--generation-repeats", "1",
        "--generation-samples-per-label", "200", "--no-export"]


def command(run_dir):
    return [sys.executable, str(SCRIPT), *ARGS, "--run-dir", str(run_dir)]


def run_to_the_end(run_dir):
    done = subprocess.run(command(run_dir), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_sigkill_after_the_first_checkpoint_then_the_same_command(tmp_path):
    run_to_the_end(tmp_path / "straight")

    killed = tmp_path / "killed"
    process = subprocess.Popen(command(killed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not list((killed / "checkpoints").glob("step-*")) and time.time() < deadline:
            assert process.poll() is None, "the run ended before its first checkpoint"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert not (killed / "model.weights.h5").exists(), "killed too late: the run had finished"
    assert json.loads((killed / "status.json").read_text())["state"] == "training"

    output = run_to_the_end(killed)
    assert "resuming" in output and "at step" in output
    straight_model, _, _ = load_run(tmp_path / "straight")
    resumed_model, _, _ = load_run(killed)
    for a, b in zip(straight_model.weights, resumed_model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (tmp_path / "straight", killed)]
    for key in ("reconstruction_error", "annotation_accuracy", "generation_accuracy"):
        assert metrics[0][key] == pytest.approx(metrics[1][key], rel=1e-4), key
    assert json.loads((killed / "status.json").read_text())["state"] == "finished"
