"""conv against mlp from the grid's finished runs: the paper's three metrics per architecture,
paired differences (conv - mlp on the same seed), parameters and ms/step from the same runs.

    python -m experiments.architectures.compare --runs runs/architectures \
        --runs results/architectures/finished

The grid (docs/model.md) is three `scripts/sweep.py` commands, PSE* 10-d on MNIST and
Fashion-MNIST with one-hot and word-vector labels, `--grid architecture=mlp,conv`; this reads
every run folder under each --runs that has a metrics.json (its config.json and metrics.json
alone), so it tabulates a grid still running.
Writes results/architectures/comparison.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

METRICS = (("reconstruction_error", "reconstruction nats ↓", 1), ("annotation_accuracy",
           "annotation % ↑", 100), ("generation_accuracy", "generation % ↑", 100))


def read_runs(root: Path) -> list[dict]:
    """One dict per finished run folder under `root` (its config.json and metrics.json; the
    weights are not needed): setting, seed, metrics, ms/step and trainable weights."""
    from pse_tf.config import TrainConfig
    from pse_tf.models import create_model
    from pse_tf.runs import label_encoding

    runs = []
    for metrics_path in sorted(root.glob("*/metrics.json")):
        metrics = json.loads(metrics_path.read_text())
        if "generation_accuracy" not in metrics:
            continue
        config = TrainConfig.from_json(metrics_path.parent / "config.json")
        model = create_model(config, label_encoding(config))
        runs.append({"dataset": config.dataset, "label_encoding": config.label_encoding,
                     "architecture": config.model.architecture, "seed": config.seed,
                     "steps": config.steps, "run": metrics_path.parent.name,
                     "parameters": sum(int(w.numpy().size) for w in model.trainable_weights),
                     "ms_per_step": 1000 * metrics["train_seconds"] / config.steps,
                     **{key: metrics[key] for key, _, _ in METRICS}})
    return runs


def _mean_sd(values) -> dict:
    return {"mean": statistics.mean(values),
            "sd": statistics.stdev(values) if len(values) > 1 else None, "n": len(values)}


def compare(runs: list[dict]) -> list[dict]:
    """One row per (dataset, labels): each architecture's summary and conv - mlp per seed."""
    rows = {}
    for run in runs:
        row = rows.setdefault((run["dataset"], run["label_encoding"]), {})
        row.setdefault(run["architecture"], {})[run["seed"]] = run
    table = []
    for (dataset, labels), by_arch in sorted(rows.items()):
        entry = {"dataset": dataset, "label_encoding": labels, "architectures": {}}
        for arch, seeds in by_arch.items():
            entry["architectures"][arch] = {
                "seeds": sorted(seeds), "parameters": next(iter(seeds.values()))["parameters"],
                **{key: _mean_sd([r[key] for r in seeds.values()])
                   for key in [m for m, _, _ in METRICS] + ["ms_per_step"]}}
        both = sorted(set(by_arch.get("conv", {})) & set(by_arch.get("mlp", {})))
        entry["paired_seeds"] = both
        if both:
            entry["paired"] = {key: _mean_sd([by_arch["conv"][s][key] - by_arch["mlp"][s][key]
                                              for s in both]) for key, _, _ in METRICS}
        table.append(entry)
    return table


def _cell(summary: dict | None, scale: float, signed: bool = False) -> str:
    if summary is None:
        return "—"
    text = f"{summary['mean'] * scale:+.2f}" if signed else f"{summary['mean'] * scale:.1f}"
    return text + ("" if summary["sd"] is None else f" ± {summary['sd'] * scale:.2f}") + \
        f" (n={summary['n']})"


def markdown(table: list[dict]) -> str:
    lines = ["# conv against mlp: PSE* 10-d, 20,000 steps (beyond the paper)", "",
             "Mean ± sample sd over seeds (n = seeds finished); *paired* is conv − mlp on the "
             "same seeds; ms/step from the runs' own train_seconds (on a shared 2-core machine, "
             "beside other jobs).", "",
             "| data | labels | architecture | parameters | ms/step | "
             + " | ".join(title for _, title, _ in METRICS) + " |",
             "|---|---|---|---|---|---|---|---|"]
    for entry in table:
        for arch in ("mlp", "conv"):
            s = entry["architectures"].get(arch)
            if s is None:
                continue
            lines.append(f"| {entry['dataset']} | {entry['label_encoding']} | {arch} | "
                         f"{s['parameters']:,} | {s['ms_per_step']['mean']:.0f} | "
                         + " | ".join(_cell(s[key], scale) for key, _, scale in METRICS) + " |")
        if entry.get("paired"):
            lines.append(f"| {entry['dataset']} | {entry['label_encoding']} | paired | | | "
                         + " | ".join(_cell(entry["paired"][key], scale, signed=True)
                                      for key, _, scale in METRICS) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", action="append", metavar="FOLDER",
                   help="a folder of run folders, repeatable (default runs/architectures; "
                        "results/architectures/finished keeps the configs and metrics of "
                        "runs whose weights are gone)")
    p.add_argument("--results", default="results/architectures")
    args = p.parse_args(argv)
    from pse_tf.atomic import write_json, write_text

    folders = args.runs or ["runs/architectures"]
    runs = {}
    for run in (run for folder in folders for run in read_runs(Path(folder))):
        key = (run["dataset"], run["label_encoding"], run["architecture"], run["seed"])
        if key in runs and any(runs[key][m] != run[m] for m, _, _ in METRICS):
            p.error(f"two different runs of {run['run']} in the --runs folders: keep one")
        runs.setdefault(key, run)  # a copy of the same finished run counts once
    table = compare(list(runs.values()))
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "comparison.json", {"runs": folders, "rows": table,
                                         "written": time.strftime("%Y-%m-%d %H:%M")})
    write_text(out / "comparison.md", markdown(table))
    print(markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
