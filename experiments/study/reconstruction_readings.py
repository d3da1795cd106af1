#!/usr/bin/env python
"""Which reading of "reconstruction error" could the paper's Fashion-MNIST values be?

    python experiments/study/reconstruction_readings.py results/runs/fashion_mnist-pse_star-onehot-z10-seed0 ...

Each finished run's summed Bernoulli NLL of the images, one z ~ q(z|x) (the literal reading,
`pse_tf.evaluation.metrics.reconstruction_error`), on the test set (the literal reading), the
validation split and the first 10,000 training images, with grey levels scaled by 1/255 (ours)
and by 1/256. Writes results/reconstruction_readings.md/.json; no training.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SPLITS = ("test", "val", "train")
SCALES = (255.0, 256.0)


def readings(run_dir: Path) -> dict:
    """{"<split> /<scale>": reconstruction error} of one finished run."""
    import numpy as np

    from pse_tf.evaluation.metrics import reconstruction_error
    from pse_tf.runs import load_data, load_run

    model, config, _ = load_run(run_dir)
    dataset, _ = load_data(config)
    out = {"run": run_dir.name, "steps": config.steps}
    for split in SPLITS:
        images = getattr(dataset, f"{split}_images")[:10000]
        labels = getattr(dataset, f"{split}_labels")[:10000]
        for scale in SCALES:
            # uint8 grey levels: pass floats so flat_float does not rescale them again.
            x = images.astype(np.float32) / scale if images.dtype == np.uint8 else images
            out[f"{split} /{scale:g}"] = reconstruction_error(model, x, labels, seed=config.seed)
    return out


def render(rows: list[dict]) -> str:
    keys = [f"{s} /{c:g}" for s in SPLITS for c in SCALES]
    lines = ["# Reconstruction error under other readings", "",
             "Summed Bernoulli NLL per image (nats), one z ~ q(z|x); `test /255` is the literal "
             "reading the tables use. `val`: the 10,000 validation images; `train`: the first "
             "10,000 training images; `/256`: grey levels scaled by 1/256 instead of 1/255. "
             "Written by `experiments/study/reconstruction_readings.py`.", "",
             "| run | steps | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    for row in rows:
        lines.append(f"| {row['run']} | {row['steps']:,} | "
                     + " | ".join(f"{row[k]:.1f}" for k in keys) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--results", default="results", type=Path)
    args = p.parse_args(argv)
    rows = [readings(run) for run in args.runs]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "reconstruction_readings.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.results / "reconstruction_readings.md").write_text(render(rows))
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
