"""multi_worker: two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy) train a few
hundred steps, end with equal weights, and only the chief writes the run directory and export."""

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from pse_tf.config import ModelConfig, TrainConfig

WORKER = Path(__file__).resolve().parent / "helpers" / "worker.py"
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 900


def free_ports(n: int) -> list[int]:
    """Ports free on 127.0.0.1 now (held open together, so they are distinct)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


@pytest.mark.slow
def test_two_workers_train_to_equal_weights_and_only_the_chief_writes(tmp_path):
    config = TrainConfig(dataset="mnist", label_encoding="onehot", model=ModelConfig(name="pse"),
                         steps=300, steps_per_execution=50, checkpoint_every=100, seed=3,
                         generation_repeats=1, generation_samples_per_label=100,
                         strategy="multi_worker")
    config_json = tmp_path / "config.json"
    config.to_json(config_json)
    ports = free_ports(2)
    processes = []
    try:
        for i in range(2):
            # Each worker is given its own run and export folders: a fresh run reads no
            # checkpoint, so the folders need not be shared, and what lands where shows who wrote.
            env = {**os.environ, "TF_CONFIG": tf_config(ports, i), "PYTHONPATH": str(ROOT)}
            args = [config_json, tmp_path / f"run{i}", tmp_path / f"export{i}",
                    tmp_path / f"weights{i}.npz"]
            processes.append(subprocess.Popen(
                [sys.executable, str(WORKER), *map(str, args)], env=env, cwd=tmp_path,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outputs = [p.communicate(timeout=TIMEOUT_S)[0] for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, out in zip(processes, outputs):
        assert p.returncode == 0, out[-3000:]
    # The worker prints its result as one JSON line; TF's coordination service may log after it
    # at shutdown (when the other worker has already left), so take the last JSON line.
    results = [json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
               for out in outputs]
    assert results[0]["steps"] == results[1]["steps"] == [100, 200, 300]
    assert "strategy multi_worker: 2 replica(s), 50 rows each" in outputs[0]

    chief, other = (np.load(tmp_path / f"weights{i}.npz") for i in range(2))
    assert len(chief.files) == len(other.files) > 0
    for key in chief.files:
        np.testing.assert_allclose(chief[key], other[key], rtol=1e-6, atol=1e-6)

    # Worker 0 is the chief (the cluster has no "chief" task): it alone wrote and evaluated.
    assert results[0]["metrics"] and not results[1]["metrics"]
    chief_dir = tmp_path / "run0"
    assert (chief_dir / "model.weights.h5").is_file() and (chief_dir / "metrics.json").is_file()
    assert sorted(p.name for p in (chief_dir / "checkpoints").iterdir()) == [
        "step-000000200", "step-000000300"]
    assert any((tmp_path / "export0").iterdir())
    assert not (tmp_path / "run1").exists() and not (tmp_path / "export1").exists()
    temp = Path(tempfile.gettempdir())
    assert not list(temp.glob(f"pse_tf-worker{processes[1].pid}-*"))  # its temporary folders
