#!/usr/bin/env python
"""Which reading of "reconstruction error" could the paper's Fashion-MNIST values be?

    python experiments/study/reconstruction_readings.py results/runs/fashion_mnist-pse_star-onehot-z10-seed0 ...

Each finished run's summed Bernoulli NLL of the images, one z ~ q(z|x) (the literal reading,
`pse_tf.evaluation.metrics.reconstruction_error`), on the test set (the literal reading), the
validation split and the first 10,000 training images, with grey levels scaled by 1/255 (ours)
and by 1/256. Beside them, for each data set: the pixel mean and standard deviation of its
60,000 training + validation images against the values published for it (a check that the images
are the ones the paper used, loaded as it would), and the test images' entropy floor, the summed
Bernoulli NLL that a perfect model of grey targets still pays. Writes
results/reconstruction_readings.md/.json; no training.
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
# Pixel mean and std (grey levels / 255) over the 60,000 training images, as commonly published
# (the normalisation constants of torchvision's MNIST example and of Fashion-MNIST users).
PUBLISHED = {"mnist": (0.1307, 0.3081), "fashion_mnist": (0.2860, 0.3530)}


def entropy_floor(images) -> float:
    """Mean over images of the summed binary entropy of their grey levels, in nats: the lowest
    summed Bernoulli NLL any model reaches on them (at Dec(z) = the image itself)."""
    import numpy as np

    x = np.asarray(images, dtype=np.float64)
    inside = np.clip(x, 1e-12, 1 - 1e-12)  # 0 log 0 = 0 at black and white pixels
    return float(np.mean(-(x * np.log(inside) + (1 - x) * np.log(1 - inside)).sum(axis=1)))


def data_statistics(dataset_name: str) -> dict:
    """Pixel statistics of a data set's training + validation images and its test entropy floor."""
    import numpy as np

    from pse_tf.config import TrainConfig
    from pse_tf.data import flat_float
    from pse_tf.runs import load_data

    dataset, _ = load_data(TrainConfig(dataset=dataset_name))
    train = np.concatenate([np.asarray(flat_float(dataset.train_images)),
                            np.asarray(flat_float(dataset.val_images))])
    published = PUBLISHED.get(dataset_name, (None, None))
    return {"dataset": dataset_name, "images": len(train), "pixel_mean": float(train.mean()),
            "pixel_std": float(train.std()), "published_mean": published[0],
            "published_std": published[1],
            "test_entropy_floor": entropy_floor(flat_float(dataset.test_images))}


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


def render(rows: list[dict], data: list[dict] = ()) -> str:
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
    if data:
        lines += ["", "## The images", "",
                  "Pixel mean and standard deviation of the training + validation images (grey "
                  "levels / 255) against the published values; the test entropy floor is the "
                  "summed Bernoulli NLL (nats) a perfect model still pays on grey targets.", "",
                  "| data set | images | pixel mean (published) | pixel std (published) | "
                  "test entropy floor |", "|---|---|---|---|---|"]
        for d in data:
            def value(ours, published):
                return f"{ours:.4f} ({'—' if published is None else f'{published:.4f}'})"
            lines.append(f"| {d['dataset']} | {d['images']:,} | "
                         f"{value(d['pixel_mean'], d['published_mean'])} | "
                         f"{value(d['pixel_std'], d['published_std'])} | "
                         f"{d['test_entropy_floor']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--results", default="results", type=Path)
    args = p.parse_args(argv)
    rows = [readings(run) for run in args.runs]
    from pse_tf.config import TrainConfig
    from pse_tf.runs import CONFIG

    names = dict.fromkeys(TrainConfig.from_json(run / CONFIG).dataset for run in args.runs)
    data = [data_statistics(name) for name in names]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "reconstruction_readings.json").write_text(
        json.dumps({"rows": rows, "data": data}, indent=2) + "\n")
    (args.results / "reconstruction_readings.md").write_text(render(rows, data))
    print(render(rows, data))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
