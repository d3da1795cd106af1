#!/usr/bin/env python
"""Annotation of the joint baselines (and PSE*) read two ways: the paper's q(z|l) rule, and the
model's own p(l|z).

    python -m experiments.study.annotation_readings results/runs/mnist-jmvae-* results/runs/mnist-trelbo-*

The paper annotates every model by the label whose q(z|l) is densest at the mean of q(z|x)
(`metrics.annotate`, reading "q_z_l", the tables' reading). JMVAE and TrELBO also have a label
decoder p(l|z), and PSE* a classifier on Dec(z): reading "p_l_z" takes the label of largest
log p(l | z = mean of q(z|x)). Both on the whole test set, with the accuracy of each class so a
reading that favours some classes shows. No training; rows are appended to
results/annotation_readings.json/.md as each run is read, and a rerun skips runs already read at
their budget.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

READINGS = ("q_z_l", "p_l_z")


def read_run(run_dir: Path) -> dict:
    """Both readings' test accuracy (overall and per class) of one finished run."""
    import numpy as np

    from pse_tf.evaluation import metrics
    from pse_tf.runs import load_data, load_run

    model, config, _ = load_run(run_dir)
    dataset, _ = load_data(config)
    labels = np.asarray(dataset.test_labels)
    row = {"run": run_dir.name, "dataset": config.dataset, "model": config.model.name,
           "options": dict(config.model.options or {}), "seed": config.seed,
           "steps": config.steps}
    for reading in READINGS:
        predicted = metrics.annotate(model, dataset.test_images, reading=reading)
        row[reading] = float(np.mean(predicted == labels))
        row[f"{reading}_per_class"] = [float(np.mean(predicted[labels == c] == c))
                                       for c in range(model.num_classes)]
    return row


def render(state: dict) -> str:
    lines = ["# Annotation under two readings", "",
             "Test-set annotation accuracy (%) of finished runs. `q(z|l)`: the paper's rule and "
             "the tables' (the label whose q(z|l) is densest at the mean of q(z|x)); `p(l|z)`: "
             "the label of largest log p(l | z = mean of q(z|x)), through JMVAE's and TrELBO's "
             "label decoder or PSE*'s classifier on Dec(z). Lowest class: the class each reading "
             "annotates worst, and its accuracy. Written by "
             "`experiments/study/annotation_readings.py`; no training.", "",
             "| run | options | steps | q(z\\|l) | p(l\\|z) | difference | lowest class, q(z\\|l) "
             "| lowest class, p(l\\|z) |", "|---|---|---|---|---|---|---|---|"]
    for row in state["rows"]:
        options = ", ".join(f"{k}={v}" for k, v in row["options"].items()) or "defaults"
        lowest = []
        for reading in READINGS:
            per_class = row[f"{reading}_per_class"]
            c = min(range(len(per_class)), key=per_class.__getitem__)
            lowest.append(f"{c}: {100 * per_class[c]:.1f}")
        lines.append(f"| {row['run']} | {options} | {row['steps']:,} | {100 * row['q_z_l']:.2f} "
                     f"| {100 * row['p_l_z']:.2f} | {100 * (row['p_l_z'] - row['q_z_l']):+.2f} "
                     f"| {lowest[0]} | {lowest[1]} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from experiments.results_file import ResultsFile
    from pse_tf.config import TrainConfig
    from pse_tf.runs import CONFIG

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--results", default="results")
    args = p.parse_args(argv)
    results = ResultsFile(args.results, "annotation_readings", {"rows": []}, render)
    for run_dir in args.runs:
        try:
            if results.has_run(run_dir.name, TrainConfig.from_json(run_dir / CONFIG).steps):
                continue
            row = read_run(run_dir)
        except (FileNotFoundError, ValueError) as e:
            print(f"skipping {run_dir}: {e}", file=sys.stderr)
            continue
        results.state["rows"].append(row)
        results.save(f"annotation readings: {run_dir.name}")
        print(f"{run_dir.name}: q(z|l) {100 * row['q_z_l']:.2f} %, p(l|z) "
              f"{100 * row['p_l_z']:.2f} %", flush=True)
    print(f"wrote {results.md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
