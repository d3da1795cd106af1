"""The paper's three metrics summarised over the seeds of one setting."""

from __future__ import annotations

import numpy as np

# The paper's three test metrics (§4), as `pse_tf.evaluation.run_metrics.evaluate` names them in metrics.json.
METRICS = ("reconstruction_error", "annotation_accuracy", "generation_accuracy")


def summarise(runs: list[dict]) -> dict:
    """Mean and sample standard deviation (ddof = 1) over seeds of each metric (accuracies
    in %); one seed has no spread (std None). `runs` are metrics.json contents."""
    out = {}
    for key in METRICS:
        values = [r[key] for r in runs if r.get(key) is not None]
        if not values:
            continue
        scale = 100.0 if key.endswith("accuracy") else 1.0
        std = scale * float(np.std(values, ddof=1)) if len(values) > 1 else None
        out[key] = {"mean": scale * float(np.mean(values)), "std": std, "n": len(values)}
    return out
