#!/usr/bin/env python
"""The reproduction study: each setting the paper leaves open, its effect on the three metrics.

    python -m experiments.study.reproduction_study                  # MNIST PSE* 10-d, 2 seeds
    python -m experiments.study.reproduction_study --dataset fashion_mnist \
        --variants baseline binarize-dynamic

Every variant changes one thing from the paper's literal configuration (`baseline`) and is trained
for each seed; every run is scored under every metric reading (`experiments.study.readings`).
A row is appended to results/reproduction_study.json (and the .md re-rendered) as soon as its
run is scored; a killed study resumes (scored rows are skipped, a run in progress resumes from its
checkpoint).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    from pse_tf.config import ModelConfig, TrainConfig
    from experiments.study import readings
    from pse_tf.evaluation.evaluators import load_evaluator
    from experiments.results_file import ResultsFile
    from experiments.study.variants import VARIANTS, apply_variant, render_study
    from pse_tf.runs import load_data, train

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument("--model", default="pse_star")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--generation-samples-per-label", type=int, default=2000,
                   help="images per label for each generation reading (one repeat; default 2,000)")
    p.add_argument("--out", default="runs/study")
    p.add_argument("--results", default="results", help="folder of reproduction_study.json/.md")
    args = p.parse_args(argv)

    results = ResultsFile(args.results, "reproduction_study", {"rows": []}, render_study)
    evaluators = {}
    # Seeds outer: every variant gets its first seed before any gets its second.
    for seed in args.seeds:
        for variant in args.variants:
            key = {"dataset": args.dataset, "model": args.model, "variant": variant,
                   "seed": seed, "steps": args.steps}
            if any(all(row.get(k) == v for k, v in key.items()) for row in results.state["rows"]):
                continue
            config = apply_variant(TrainConfig(
                dataset=args.dataset, label_encoding="onehot", steps=args.steps, seed=seed,
                out=str(Path(args.out) / variant), model=ModelConfig(name=args.model)), variant)
            print(f"== {args.dataset} {args.model} · {variant} · seed {seed}", flush=True)
            run = train(config, verbose=2, run_evaluation=False, export=False)
            dataset, _ = load_data(config)  # binarised test images for a binarised variant
            if args.dataset not in evaluators:
                evaluators[args.dataset] = load_evaluator(args.dataset)
            t0 = time.time()
            row = {**key, **readings.all_readings(
                run.model, dataset, evaluators[args.dataset], seed=seed,
                samples_per_label=args.generation_samples_per_label),
                "train_seconds": run.history.get("train_seconds"),
                "evaluation_seconds": time.time() - t0,
                "generation_samples_per_label": args.generation_samples_per_label}
            results.state["rows"].append(row)
            results.save(f"reproduction study: {args.dataset} {variant} seed {seed}")
            print("   " + "  ".join(f"{k} {v:.4g}" for k, v in row.items()
                                    if isinstance(v, float)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
