"""Which meaning each mixture component draws, and what the fixed evaluator allows.

For every finished grouped run (10-d, under --runs): `--draws` images from each component of each
label's q(z|l) (diag: its one Gaussian), classified by the data set's fixed evaluator. Per
component: its weight, its share of in-set images, the class most of its in-set images are
(its meaning) and that class's share of them (purity). Per label: how many of its classes are
the meaning of a component of weight > 0.1 ("meanings found").

Beside them, two readings of what the coverage score can show at best:
- the evaluator's own reading of the real test images of each label's classes, through the same
  two scores (in-set share, coverage distance): a generator that drew the test images scores this;
- the coverage implied by the ten-label diag model (the original labels' runs): a label whose
  images were drawn meaning by meaning in the training shares, each meaning recognised as often
  as the ten-label model's images of that class are, would score this.

    python -m experiments.polysemy.components [--runs runs/polysemy] [--out results/polysemy/components]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from experiments.polysemy.report import grouping_of, variant_of
from experiments.polysemy.run_grid import GROUPINGS

USED = 0.1  # a component of weight above this counts as used


def component_classes(model, evaluator, draws: int, seed: int) -> tuple:
    """(weights [C, K], class counts [C, K, classes]) of `draws` images per component."""
    import tensorflow as tf

    from pse_tf import mixtures
    from pse_tf.evaluation.evaluators import classify

    q = model.label_distribution()
    weights = mixtures.weights(q).numpy() if mixtures.is_mixture(q) else np.ones([len(
        model.class_names), 1], np.float32)
    parts = q.components_distribution if mixtures.is_mixture(q) else q
    z = parts.sample(draws, seed=tf.constant([seed, 1]))  # [draws, C, (K,) Z]
    z = tf.reshape(z, [draws, *weights.shape, -1])
    num_classes = int(evaluator.output_shape[-1])
    counts = np.zeros([*weights.shape, num_classes], np.int64)
    for c in range(weights.shape[0]):
        for k in range(weights.shape[1]):
            images = tf.sigmoid(model.decode_logits(z[:, c, k]))
            counts[c, k] = np.bincount(classify(evaluator, images), minlength=num_classes)
    return weights, counts


def describe(weights, counts, members) -> list:
    """Per label: its components (weight, in-set share, meaning, purity) and meanings found."""
    labels = []
    for g, classes in enumerate(members):
        parts, found = [], set()
        for k in np.argsort(-weights[g]):
            inside = counts[g, k, list(classes)]
            meaning = int(classes[int(np.argmax(inside))])
            purity = float(inside.max() / inside.sum()) if inside.sum() else 0.0
            parts.append({"weight": float(weights[g, k]), "meaning": meaning, "purity": purity,
                          "in_set": float(inside.sum() / counts[g, k].sum())})
            if weights[g, k] > USED and inside.sum():
                found.add(meaning)
        labels.append({"components": parts, "meanings_found": len(found),
                       "meanings": len(classes)})
    return labels


def evaluator_reading(data, groups: dict, evaluator) -> dict:
    """In-set share and coverage distance of the real test images of `data` (a Dataset, its own
    classes), as the evaluator reads them."""
    from pse_tf.data.label_groups import LabelGroups
    from pse_tf.evaluation.evaluators import classify
    from pse_tf.evaluation.run_metrics import grouped_generation

    built = LabelGroups.grouped(data, groups).label_groups
    predicted = classify(evaluator, data.test_images)
    counts = np.zeros([len(built.members), len(data.class_names)], np.int64)
    for g, classes in enumerate(built.members):
        counts[g] = np.bincount(predicted[np.isin(data.test_labels, classes)],
                                minlength=len(data.class_names))
    reading = grouped_generation(counts, built)
    return {k: reading[k] for k in ("in_set_generation_grouped", "coverage_distance",
                                    "coverage_distance_by_label")}


def implied_coverage(rates, members, training_mix) -> float:
    """Mean coverage distance over labels of several classes when class c's images are drawn in
    its training share and recognised at `rates[c]` (the ten-label model's per-class rate)."""
    distances = []
    for classes, mix in zip(members, training_mix):
        if len(classes) > 1:
            inside = mix * np.asarray(rates)[list(classes)]
            distances.append(0.5 * np.abs(inside / inside.sum() - mix).sum())
    return float(np.mean(distances))


def ten_label_bound(dataset: str, data, rates: list) -> dict:
    """`implied_coverage` of each grouping of `dataset` (`data`, its Dataset) from per-class
    rates of each seed."""
    from pse_tf.data.label_groups import LabelGroups

    out = {"per_class_rate": np.mean(rates, axis=0).tolist()}
    for grouping, spec in GROUPINGS[dataset].items():
        built = LabelGroups.grouped(data, spec["groups"]).label_groups
        values = [implied_coverage(r, built.members, built.training_mix()) for r in rates]
        out[grouping] = {"mean": float(np.mean(values)),
                         "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", default="runs/polysemy")
    p.add_argument("--out", default="results/polysemy/components")
    p.add_argument("--draws", type=int, default=2000, help="images per component (default 2000)")
    p.add_argument("--update", action="store_true",
                   help="keep the settings of the existing --out file that these runs do not "
                        "redo (runs read before, whose folders are gone)")
    args = p.parse_args(argv)
    from pse_tf.data.catalog import load
    from pse_tf.data.label_groups import LabelGroups
    from pse_tf.evaluation.evaluators import load_evaluator
    from pse_tf.runs import load_run

    rows, references, evaluators, ten_label = defaultdict(list), {}, {}, defaultdict(list)
    datasets = {}  # each data set loaded once, with its own (ungrouped) classes
    for metrics in sorted(Path(args.runs).glob("*/metrics.json")):
        config = json.loads((metrics.parent / "config.json").read_text())
        grouping, variant = grouping_of(config), variant_of(config)
        if config["model"]["latent_dim"] != 10 or (grouping == "original" and variant != "diag"):
            continue
        dataset = config["dataset"]
        evaluator = evaluators.setdefault(dataset, load_evaluator(dataset))
        model = load_run(metrics.parent)[0]
        if grouping == "original":  # the ten-label diag model: its per-class rates
            _, counts = component_classes(model, evaluator, args.draws, config["seed"])
            ten_label[dataset].append(np.diag(counts[:, 0]) / counts[:, 0].sum(-1))
            continue
        members = LabelGroups.build(config["label_groups"], _class_names(dataset)).members
        weights, counts = component_classes(model, evaluator, args.draws, config["seed"])
        key = f"{dataset} | {grouping} | {config['model']['name']} | {variant_of(config)}"
        rows[key].append({"seed": config["seed"], "labels": dict(zip(
            model.class_names, describe(weights, counts, members)))})
        if (dataset, grouping) not in references:
            data = datasets.setdefault(dataset, load(dataset))
            references[(dataset, grouping)] = evaluator_reading(data, config["label_groups"],
                                                                evaluator)
        print(f"read {metrics.parent.name}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"draws_per_component": args.draws, "used_weight": USED, "settings": rows,
               "evaluator_on_test_images": {" | ".join(k): v for k, v in references.items()},
               "coverage_implied_by_ten_labels": {
                   d: ten_label_bound(d, datasets.setdefault(d, load(d)), r)
                   for d, r in ten_label.items()}}
    if args.update and out.with_suffix(".json").exists():
        payload = merged(json.loads(out.with_suffix(".json").read_text()), payload)
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1))
    out.with_suffix(".md").write_text(markdown(payload))
    print(f"wrote {out}.json and .md")
    return 0


def merged(old: dict, new: dict) -> dict:
    """`new`, with each setting, evaluator reading and bound of `old` that `new` lacks."""
    if old["draws_per_component"] != new["draws_per_component"]:
        raise SystemExit(f"error: the existing file drew {old['draws_per_component']} images "
                         f"per component, this run {new['draws_per_component']}; use the same")
    out = dict(new)
    for part in ("settings", "evaluator_on_test_images", "coverage_implied_by_ten_labels"):
        out[part] = {**old.get(part, {}), **new[part]}
    return out


def _class_names(dataset: str) -> list:
    from pse_tf.data import CLASS_NAMES

    return list(CLASS_NAMES[dataset])


def markdown(payload: dict) -> str:
    """Meanings found per label (mean over seeds) and each component's meaning and purity."""
    lines = ["# Mixture components and the meanings they draw", "",
             f"{payload['draws_per_component']} images per component, classified by the fixed "
             f"evaluator. Meanings found: classes of the label that are the majority class of a "
             f"component of weight > {payload['used_weight']} (mean ± sample sd over seeds). "
             "Purity: the majority class's share of a component's in-set images (mean over "
             "seeds and components).", "",
             "| setting | label | classes | meanings found | purity % | in-set % per component |",
             "|---|---|---|---|---|---|"]
    for key, seeds in payload["settings"].items():
        for label in seeds[0]["labels"]:
            found = [s["labels"][label]["meanings_found"] for s in seeds]
            parts = [c for s in seeds for c in s["labels"][label]["components"]]
            in_set = ", ".join(f"{100 * c['in_set']:.0f}" for c in
                               seeds[0]["labels"][label]["components"])
            spread = f" ± {np.std(found, ddof=1):.1f}" if len(found) > 1 else ""
            lines.append(f"| {key} ({len(seeds)} seeds) | {label} | "
                         f"{seeds[0]['labels'][label]['meanings']} | {np.mean(found):.1f}{spread} | "
                         f"{100 * np.mean([c['purity'] for c in parts]):.0f} | {in_set} (seed "
                         f"{seeds[0]['seed']}) |")
    lines += ["", "## The evaluator on the real test images of each label's classes", "",
              "| data set, grouping | in-set % | coverage distance | by label |", "|---|---|---|---|"]
    for key, r in payload["evaluator_on_test_images"].items():
        by_label = ", ".join(f"{k} {v:.3f}" for k, v in r["coverage_distance_by_label"].items())
        lines.append(f"| {key} | {100 * r['in_set_generation_grouped']:.1f} | "
                     f"{r['coverage_distance']:.3f} | {by_label} |")
    lines += ["", "## Coverage implied by the ten-label diag model", "",
              "Each meaning drawn in its training share and recognised as often as the ten-label "
              "diag model's images of that class (mean ± sample sd over its seeds).", "",
              "| data set | per-class generation % | grouping | implied coverage |", "|---|---|---|---|"]
    for dataset, bound in payload["coverage_implied_by_ten_labels"].items():
        rates = ", ".join(f"{100 * r:.0f}" for r in bound["per_class_rate"])
        for grouping, value in bound.items():
            if grouping != "per_class_rate":
                sd = f" ± {value['sd']:.3f}" if value["sd"] is not None else ""
                lines.append(f"| {dataset} | {rates} | {grouping} | {value['mean']:.3f}{sd} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
