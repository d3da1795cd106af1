"""One multi_worker worker for tests/test_multi_worker.py: `runs.train` as scripts/train.py runs
it (TF_CONFIG names the cluster and this task), then this worker's final weights saved to
WEIGHTS_NPZ so the test can compare the workers.

    TF_CONFIG=... python tests/helpers/worker.py CONFIG_JSON RUN_DIR EXPORT_DIR WEIGHTS_NPZ
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from pse_tf.config import TrainConfig  # noqa: E402
from pse_tf.runs import train  # noqa: E402

if __name__ == "__main__":
    config_json, run_dir, export_dir, weights_npz = sys.argv[1:]
    result = train(TrainConfig.from_json(config_json), run_dir=run_dir, verbose=2,
                   export_dir=export_dir)
    np.savez(weights_npz, *[w.numpy() for w in result.model.weights])
    print(json.dumps({"metrics": sorted(result.metrics), "steps": result.history["step"]}))
