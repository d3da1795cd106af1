"""The strategies measurement: the CPU split refused once TensorFlow has set up its devices; a
small measurement end to end through `python -m experiments.benchmark.benchmark --strategies`
(its own process)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from experiments.benchmark.strategies import split_cpu

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="splits the CPU")
def test_the_cpu_split_after_tensorflow_set_up_its_devices_says_so():
    tf.config.list_logical_devices()  # sets the devices up
    with pytest.raises(RuntimeError, match="set up its devices already"):
        split_cpu(2)


@pytest.mark.slow
def test_strategies_alone_time_none_and_mirrored_on_one_and_two_devices(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "experiments.benchmark.benchmark", "--strategies", "--models",
         "vae", "--steps", "100", "--repeats", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    section = json.loads((tmp_path / "benchmark.json").read_text())["strategies"]
    settings = [(r["strategy"], r["devices"], r["xla"]) for r in section["rows"]]
    assert settings == [("none", 1, "loop"), ("mirrored", 1, "replica"),
                        ("mirrored", 2, "replica"), ("none", 1, "off"), ("mirrored", 1, "off"),
                        ("mirrored", 2, "off")]
    assert all(r["ms"] > 0 for r in section["rows"])
    assert "## Strategies" in (tmp_path / "benchmark.md").read_text()
