#!/usr/bin/env python
"""Which reading of "reconstruction error" could the paper's Fashion-MNIST values be?

    python -m experiments.study.reconstruction_readings results/runs/fashion_mnist-pse_star-onehot-z10-seed0 ...

Each finished run's summed Bernoulli NLL of the images, one z ~ q(z|x) (the literal reading,
`pse_tf.evaluation.metrics.reconstruction_error`), on the test set (the literal reading), the
validation split and the first 10,000 training images, with grey levels scaled by 1/255 (ours)
and by 1/256, and on the test set from the *mean* of q(z|x) (`test mean`). Runs that make a row
of Tables 1-3 are also summarised by row (mean over seeds) beside the paper's value. Beside
them, for each data set: the pixel mean and standard deviation of its
60,000 training + validation images against the values published for it (a check that the images
are the ones the paper used, loaded as it would), and the test images' entropy floor, the summed
Bernoulli NLL that a perfect model of grey targets still pays. Writes
results/reconstruction_readings.md/.json after each run (a rerun skips runs already read); no
training.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SPLITS = ("test", "val", "train")
SCALES = (255.0, 256.0)
MEAN = "test mean"  # z = the mean of q(z|x), grey levels / 255
KEYS = tuple(f"{s} /{c:g}" for s in SPLITS for c in SCALES) + (MEAN,)
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
    out[MEAN] = reconstruction_error(model, dataset.test_images, dataset.test_labels,
                                     seed=config.seed, z="mean")
    return out


def table_rows() -> dict:
    """{run name: [(table, row label, the paper's reconstruction error), ...]} of Tables 1-3
    at the converged budget (a run two tables share is in both)."""
    from pse_tf.run_folder import run_name
    from reproduction.job import Spec

    out = {}
    for table in (1, 2, 3):
        for row, configs in Spec().table_rows(table)[1]:
            for config in configs:
                out.setdefault(run_name(config), []).append(
                    (table, row.label, row.paper["reconstruction_error"]))
    return out


def by_table_row(rows: list[dict], known: dict) -> list[dict]:
    """Rows of Tables 1-3 among `rows`, seeds pooled: the literal and the mean-z readings (mean
    over seeds) beside the paper's value, in table order."""
    import numpy as np

    groups = {}
    for row in rows:
        for key in known.get(row["run"], []) if MEAN in row else []:
            groups.setdefault(key, []).append(row)
    order = list(dict.fromkeys(key for keys in known.values() for key in keys))
    return [{"table": key[0], "row": key[1], "paper": key[2], "seeds": len(group),
             "literal": float(np.mean([r["test /255"] for r in group])),
             "mean_z": float(np.mean([r[MEAN] for r in group]))}
            for key, group in sorted(groups.items(), key=lambda kv: order.index(kv[0]))]


def render(rows: list[dict], data: list[dict] = (), summary: list[dict] = ()) -> str:
    lines = ["# Reconstruction error under other readings", "",
             "Summed Bernoulli NLL per image (nats), one z ~ q(z|x); `test /255` is the literal "
             "reading the tables use. `val`: the 10,000 validation images; `train`: the first "
             "10,000 training images; `/256`: grey levels scaled by 1/256 instead of 1/255; "
             "`test mean`: the test images decoded from the mean of q(z|x) (no draw). "
             "Written by `experiments/study/reconstruction_readings.py`.", "",
             "| run | steps | " + " | ".join(KEYS) + " |", "|---" * (len(KEYS) + 2) + "|"]
    for row in rows:
        lines.append(f"| {row['run']} | {row['steps']:,} | "
                     + " | ".join("—" if k not in row else f"{row[k]:.1f}" for k in KEYS)
                     + " |")
    if summary:
        lines += ["", "## By table row", "",
                  "Mean over the row's seeds read here; the paper's value and our distance to "
                  "it (positive: above the paper) under each reading.", "",
                  "| table | row | seeds | paper | literal (z ~ q(z\\|x)) | Δ | "
                  "mean of q(z\\|x) | Δ |", "|---|---|---|---|---|---|---|---|"]
        for r in summary:
            lines.append(f"| {r['table']} | {r['row']} | {r['seeds']} | {r['paper']:.1f} | "
                         f"{r['literal']:.1f} | {r['literal'] - r['paper']:+.1f} | "
                         f"{r['mean_z']:.1f} | {r['mean_z'] - r['paper']:+.1f} |")
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
    from experiments.results_file import ResultsFile
    from pse_tf.config import TrainConfig
    from pse_tf.runs import CONFIG

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--results", default="results", type=Path)
    args = p.parse_args(argv)
    known = table_rows()

    def rendered(state):
        return render(state["rows"], state["data"], by_table_row(state["rows"], known))

    results = ResultsFile(args.results, "reconstruction_readings", {"rows": [], "data": []},
                          rendered)
    names = []
    for run in args.runs:
        try:
            config = TrainConfig.from_json(run / CONFIG)
        except (FileNotFoundError, ValueError) as e:
            print(f"skipping {run}: {e}", file=sys.stderr)
            continue
        names.append(config.dataset)
        if results.has_run(run.name, config.steps, needs=KEYS):
            continue
        results.replace_row(readings(run))
        results.save(f"reconstruction readings: {run.name}")
        print(f"{run.name}: read", flush=True)
    read = {d["dataset"] for d in results.state["data"]}
    results.state["data"] += [data_statistics(name) for name in dict.fromkeys(names)
                              if name not in read]
    results.save("reconstruction readings: data")
    print(results.md_path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
