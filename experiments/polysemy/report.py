"""The polysemy grid's answer: every setting's metrics over seeds, paired differences against
diag on the same seeds, the learned mixture weights, and the goal read against them.

    python -m experiments.polysemy.report [--runs runs/polysemy] [--out results/polysemy]

Reads each finished run's config.json and metrics.json under --runs (as
experiments/polysemy/run_grid.py leaves them); writes <out>.json and <out>.md. A setting is
(data set, grouping, model, q(z|l) variant); a grouping is read back from the run's groups by
experiments/polysemy/groupings.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from experiments.polysemy.run_grid import GROUPINGS

# What each metric reads (metrics.json key), in % for shares; lower is better for the others.
METRICS = {"in_set": ("generation_accuracy", 100), "in_set_grouped": ("in_set_generation_grouped", 100),
           "coverage": ("coverage_distance", 1), "annotation": ("annotation_accuracy", 100),
           "reconstruction": ("reconstruction_error", 1)}
COVERAGE_GOAL = 0.10


def grouping_of(config: dict) -> str:
    groups = config.get("label_groups") or {}
    if not groups:
        return "original"
    for name, spec in GROUPINGS[config["dataset"]].items():
        if spec["groups"] == groups:
            return name
    return "other"


def variant_of(config: dict) -> str:
    options = config["model"]["options"]
    k = int(options.get("label_components", 1))
    covariance = options.get("label_covariance", "diag")
    return f"mixture K={k}" if k > 1 else covariance


def collect(runs: Path) -> dict:
    """{(dataset, grouping, model, variant, latent_dim): {seed: metrics}} of the finished
    runs."""
    settings = defaultdict(dict)
    for metrics_file in sorted(runs.glob("*/metrics.json")):
        config = json.loads((metrics_file.parent / "config.json").read_text())
        metrics = json.loads(metrics_file.read_text())
        key = (config["dataset"], grouping_of(config), config["model"]["name"], variant_of(config),
               config["model"]["latent_dim"])
        settings[key][config["seed"]] = metrics
    return settings


def spread(values) -> dict:
    values = [float(v) for v in values if v is not None]
    if not values:
        return {"mean": None, "sd": None, "n": 0}
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return {"mean": float(np.mean(values)), "sd": sd, "n": len(values)}


def summarise(settings: dict) -> list:
    rows = []
    for key in sorted(settings):
        dataset, grouping, model, variant, latent_dim = key
        seeds = settings[key]
        row = {"dataset": dataset, "grouping": grouping, "model": model, "variant": variant,
               "latent_dim": latent_dim, "seeds": sorted(seeds)}
        for name, (metric, scale) in METRICS.items():
            row[name] = spread(scale * m[metric] if m.get(metric) is not None else None
                               for m in seeds.values())
        diag = settings.get((dataset, grouping, model, "diag", latent_dim), {})
        paired = sorted(set(seeds) & set(diag))
        if variant != "diag" and paired:
            row["paired_vs_diag"] = {
                name: spread(scale * (seeds[s][metric] - diag[s][metric]) for s in paired
                             if seeds[s].get(metric) is not None and diag[s].get(metric) is not None)
                for name, (metric, scale) in METRICS.items()}
            row["paired_seeds"] = paired
        weights = [np.array(m["label_mixture_weights"]) for m in seeds.values()
                   if m.get("label_mixture_weights")]
        if weights:
            names = list(seeds.values())[0].get("in_set_generation_by_label") or {}
            row["weights"] = _weights(weights, list(names) or None)
        row["in_set_by_label"] = _by_label(seeds.values(), "in_set_generation_by_label", 100)
        row["coverage_by_label"] = _by_label(seeds.values(), "coverage_distance_by_label", 1)
        rows.append(row)
    return rows


def _by_label(runs, key: str, scale: float) -> dict:
    tables = [r[key] for r in runs if r.get(key)]
    if not tables:
        return {}
    return {label: spread(scale * t[label] for t in tables) for label in tables[0]}


def _weights(weights: list, names) -> dict:
    """Per label: the mean over seeds of its sorted weights (largest first), and how many
    components it uses (weights above 0.1; and exp of their entropy, the effective number)."""
    stacked = np.sort(np.stack(weights), axis=-1)[..., ::-1]  # [S, C, K]
    entropy = -np.sum(np.where(stacked > 0, stacked * np.log(stacked), 0.0), axis=-1)
    names = names or [str(i) for i in range(stacked.shape[1])]
    return {name: {"sorted_weights": stacked[:, c].mean(0).round(3).tolist(),
                   "used": spread((stacked[:, c] > 0.1).sum(-1)),
                   "effective": spread(np.exp(entropy[:, c]))}
            for c, name in enumerate(names)}


def goal(rows: list) -> dict:
    """The goal, per data set: the mixtures' in-set generation on the polysemous grouping
    against diag's generation on the original labels, and coverage <= 0.10; on the original
    labels, K = 3 within one sd of diag (or better) on all three metrics."""
    find = {(r["dataset"], r["grouping"], r["model"], r["variant"]): r for r in rows
            if r["latent_dim"] == 10}
    out = {}
    for dataset in ("mnist", "fashion_mnist"):
        original = find.get((dataset, "original", "pse_star", "diag"))
        k3 = find.get((dataset, "original", "pse_star", "mixture K=3"))
        entry = {}
        if original:
            target = original["in_set"]["mean"]
            for variant in ("mixture K=2", "mixture K=5", "diag", "full"):
                row = find.get((dataset, "polysemous", "pse_star", variant))
                if row and row["in_set"]["mean"] is not None:
                    entry[f"polysemous {variant}"] = {
                        "in_set": row["in_set"]["mean"], "target": target,
                        "in_set_met": row["in_set"]["mean"] >= target,
                        "coverage": row["coverage"]["mean"],
                        "coverage_met": row["coverage"]["mean"] <= COVERAGE_GOAL}
        if original and k3:
            within = {}
            for name in ("in_set", "annotation", "reconstruction"):
                sd = original[name]["sd"] or 0.0
                better = (k3[name]["mean"] <= original[name]["mean"] if name == "reconstruction"
                          else k3[name]["mean"] >= original[name]["mean"])
                within[name] = better or abs(k3[name]["mean"] - original[name]["mean"]) <= sd
            entry["original K=3 within one sd of diag"] = within
        out[dataset] = entry
    return out


def cell(s: dict, digits: int = 1) -> str:
    if not s or s.get("mean") is None:
        return "—"
    sd = f" ± {s['sd']:.{digits}f}" if s.get("sd") is not None else ""
    return f"{s['mean']:.{digits}f}{sd}"


def markdown(rows: list, goals: dict) -> str:
    lines = ["# Polysemy grid (PSE*/PSE, 20,000 steps, one-hot labels)", "",
             "Mean ± sample sd (ddof = 1) over seeds; paired Δ = variant − diag on the same seeds "
             "(mean ± sd of the differences). In-set: % of generated images the fixed evaluator "
             "puts in one of the label's classes (all labels); grouped: labels of ≥ 2 classes "
             "only. Coverage: total-variation distance between the class mix of a label's "
             "in-set images and its training mix (mean over labels of ≥ 2 classes).", "",
             "| data | grouping | model | q(z\\|l) | z | seeds | in-set % | grouped in-set % | "
             "coverage | annotation % | reconstruction | Δ in-set | Δ coverage | Δ annotation | "
             "Δ reconstruction |", "|" + "---|" * 15]
    for r in rows:
        d = r.get("paired_vs_diag", {})
        lines.append(
            f"| {r['dataset']} | {r['grouping']} | {r['model']} | {r['variant']} | "
            f"{r['latent_dim']} | {len(r['seeds'])} | {cell(r['in_set'])} | {cell(r['in_set_grouped'])} | "
            f"{cell(r['coverage'], 3)} | {cell(r['annotation'])} | {cell(r['reconstruction'])} | "
            f"{cell(d.get('in_set'))} | {cell(d.get('coverage'), 3)} | {cell(d.get('annotation'))} "
            f"| {cell(d.get('reconstruction'))} |")
    lines += ["", "## Learned mixture weights (mean over seeds, largest first)", "",
              "| data | grouping | model | q(z\\|l) | label | weights | components > 0.1 | "
              "effective (exp entropy) |", "|" + "---|" * 8]
    for r in rows:
        for label, w in (r.get("weights") or {}).items():
            lines.append(f"| {r['dataset']} | {r['grouping']} | {r['model']} | {r['variant']} | "
                         f"{label} | {', '.join(f'{x:.2f}' for x in w['sorted_weights'])} | "
                         f"{cell(w['used'])} | {cell(w['effective'], 2)} |")
    lines += ["", "## Goal", "", "```json", json.dumps(goals, indent=2), "```", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", default="runs/polysemy")
    p.add_argument("--out", default="results/polysemy/summary")
    args = p.parse_args(argv)
    rows = summarise(collect(Path(args.runs)))
    goals = goal(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"rows": rows, "goal": goals}, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(rows, goals))
    print(f"wrote {out}.md and .json ({len(rows)} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
