"""pse_tf.grids on a two-node loopback cluster: its trials run on both nodes, and a node
SIGKILLed mid-trial loses no run (the killed one resumes from its checkpoint). A file of its own,
so that `make test`'s two workers share the Ray tests."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pse_tf.config import TrainConfig
from tests.helpers.alone import METRICS, train_alone

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_loopback_cluster_runs_on_both_nodes_and_a_killed_node_loses_no_run(tmp_path):
    """Two 1-CPU nodes, two runs through scripts/sweep.py --address. Once the second node's run
    has a checkpoint, every process of that node is SIGKILLed: Ray retries the trial on the
    head, it resumes from the checkpoint, and its metrics equal an uninterrupted run's."""
    from tests.helpers.ray_cluster import loopback_cluster

    out = tmp_path / "runs"
    argv = ["--dataset", "mnist", "--model", "pse", "--grid", "latent_dim=2,3", "--seeds", "1",
            "--steps", "1000", "--checkpoint-every", "100", "--generation-repeats", "1",
            "--out", str(out), "--results", str(tmp_path / "results"), "--name", "sweep"]
    with loopback_cluster(tmp_path / "cluster") as (address, env, (head, second)):
        head_id, second_id = head.node_id, second.node_id
        sweep = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "sweep.py"), *argv,
                                  "--address", address], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            killed = _wait_for_a_checkpoint_on(second_id, out, sweep)
            second.kill()
            log, _ = sweep.communicate(timeout=900)
        finally:
            if sweep.poll() is None:
                sweep.kill()
    assert sweep.returncode == 0, log[-3000:]
    assert "2/2 finished" in log
    table = json.loads((tmp_path / "results" / "sweep.json").read_text())
    assert [row["seeds"] for row in table["rows"]] == [[0], [0]]

    placements = {d.name: json.loads((d / "metrics.json").read_text())["ray"]
                  for d in out.iterdir() if d.name.startswith("mnist-")}
    assert set(placements) == {"mnist-pse-onehot-z2-seed0", "mnist-pse-onehot-z3-seed0"}
    # The killed run started on the second node and finished on the head, from its checkpoint.
    (other,) = set(placements) - {killed}
    assert placements[other]["node_id"] == placements[killed]["node_id"] == head_id
    assert head_id != second_id
    assert placements[killed]["resumed_from_step"] >= 100
    assert placements[other]["resumed_from_step"] == 0

    config = TrainConfig.from_json(out / killed / "config.json")
    uninterrupted = train_alone(config, tmp_path / "alone", threads=1)  # a 1-CPU node's trial
    resumed = json.loads((out / killed / "metrics.json").read_text())
    assert {k: resumed[k] for k in METRICS} == pytest.approx(
        {k: uninterrupted[k] for k in METRICS}, rel=1e-4, abs=1e-3)


def _wait_for_a_checkpoint_on(node_id: str, out: Path, process, seconds: float = 600) -> str:
    """The name of the run whose trial runs on `node_id`, once it has a checkpoint."""
    assert node_id
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert process.poll() is None, process.stdout.read()[-3000:]
        for placement in out.glob("*/ray.json"):
            run = placement.parent
            if json.loads(placement.read_text())["node_id"] == node_id and \
                    list((run / "checkpoints").glob("step-*")) and \
                    not (run / "model.weights.h5").exists():
                return run.name
        time.sleep(0.05)
    raise TimeoutError("no run reached a checkpoint on the second node")
