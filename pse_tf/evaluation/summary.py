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


def mean_sd(summary: dict | None, missing: str = "—") -> str:
    """One cell of `summarise`'s entry for a metric: "mean ± sd" at 0.1, the mean alone for one
    seed; `missing` for none."""
    if summary is None:
        return missing
    if summary.get("n", 2) == 1 or summary.get("std") is None:  # one seed: no spread
        return f"{summary['mean']:.1f}"
    return f"{summary['mean']:.1f} ± {summary['std']:.1f}"
