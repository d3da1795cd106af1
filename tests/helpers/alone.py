"""Train a run in a fresh process with TensorFlow's thread pools at a given size.

A Ray trial sizes TensorFlow's thread pools to its CPUs (one, by default). Float sums taken over
another number of threads are added in another order, so a run trained alone is compared with a
trial only when it ran with the same thread count: here, in its own process, set before
TensorFlow starts.
"""

from __future__ import annotations

import json
import subprocess
import sys

from pse_tf.config import TrainConfig

# The paper's three metrics: what a trial and the same run trained alone are compared on.
METRICS = ("reconstruction_error", "annotation_accuracy", "generation_accuracy")

_SCRIPT = """
import json, sys
import tensorflow as tf
threads = int(sys.argv[1])
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
from pse_tf.config import TrainConfig
from pse_tf.runs import train
metrics = train(TrainConfig.from_json(sys.argv[2]), verbose=0, export=False).metrics
print(json.dumps(metrics))
"""


def train_alone(config: TrainConfig, out, threads: int = 1) -> dict:
    """The metrics of `config` trained under `out` in a fresh process with `threads` threads."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "alone-config.json"
    path.write_text(json.dumps({**config.to_dict(), "out": str(out)}))
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(threads), str(path)],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
