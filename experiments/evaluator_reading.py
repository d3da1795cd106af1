#!/usr/bin/env python
"""Generation accuracy read by two evaluators: ours and one as accurate as the paper's.

    python scripts/train_evaluators.py --dataset mnist --paper-accuracy   # once (committed)
    python -m experiments.evaluator_reading results/runs/mnist-pse*-onehot-*
    python -m experiments.evaluator_reading RUN@120000    # the weights a run kept at 120,000 steps

Each finished run generates the paper's 10,000 images per label once (seeded), and both
evaluators classify the same images: the default one (`weights/<dataset>.keras`) and the "paper"
variant, trained only until its validation accuracy reached the paper's 96.86 %
(`weights/<dataset>-paper.keras`). Rows are appended to results/evaluator_reading.json/.md as
each run is scored; a rerun skips runs already scored at their budget.

A row's `steps` is the step of the weights scored: a plain run directory is read at its final
weights (`config.steps`); `RUN@N` reads the weights the run kept at step N
(`TrainConfig.keep_weights_at`, <run>/weights/step-N.weights.h5) in a row named `<run>-stepN`
at N steps. Score kept weights this way, never by a copy of the run directory with other
weights in it: its config.json still names the final budget.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def render(state: dict) -> str:
    lines = ["# Generation accuracy under two evaluators", "",
             "Each run's 10,000 images per label (one seeded draw) classified by our evaluator "
             "and by one trained only until its validation accuracy reached the paper's (§4). "
             "Accuracies in %; `experiments/evaluator_reading.py` writes this file.", ""]
    for name, info in state["evaluators"].items():
        lines.append(f"- {name}: {info}")
    lines += ["", "| run | steps | ours | paper-accuracy evaluator | difference |",
              "|---|---|---|---|---|"]
    for row in state["rows"]:
        ours, paper = 100 * row["generation_accuracy"], 100 * row["generation_accuracy_paper"]
        lines.append(f"| {row['run']} | {row['steps']:,} | {ours:.1f} | {paper:.1f} | "
                     f"{paper - ours:+.1f} |")
    return "\n".join(lines) + "\n"


def run_and_step(argument: str) -> tuple[Path, int | None]:
    """`RUN` -> (RUN, None), the final weights; `RUN@N` -> (RUN, N), the weights kept at N."""
    head, sep, tail = argument.rpartition("@")
    if sep and tail.isdigit():
        return Path(head), int(tail)
    return Path(argument), None


def main(argv=None) -> int:
    from pse_tf.evaluation import metrics
    from pse_tf.evaluation.evaluators import evaluator_info, load_evaluator
    from experiments.curves.curve import kept_weights
    from experiments.results_file import ResultsFile
    from pse_tf.runs import load_run

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+",
                   help="finished run directories; RUN@N for the weights RUN kept at step N")
    p.add_argument("--samples-per-label", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--results", default="results")
    args = p.parse_args(argv)

    results = ResultsFile(args.results, "evaluator_reading", {"evaluators": {}, "rows": []},
                          render)
    evaluators = {}
    for run_dir, step in map(run_and_step, args.runs):
        try:
            model, config, _ = load_run(run_dir)
        except FileNotFoundError as e:
            print(f"skipping {run_dir}: {e}", file=sys.stderr)
            continue
        # The row names the step of the weights it scores, not the run's final budget.
        name, steps = run_dir.name, config.steps
        if step is not None and step != config.steps:
            kept = kept_weights(run_dir, config)
            if step not in kept:
                print(f"skipping {run_dir}@{step}: it kept no weights at step {step} "
                      f"(kept: {sorted(kept)})", file=sys.stderr)
                continue
            name, steps = f"{run_dir.name}-step{step}", step
        if results.has_run(name, steps):
            continue
        if steps != config.steps:
            model.load_weights(kept[steps])
        if config.dataset not in evaluators:
            try:
                evaluators[config.dataset] = (load_evaluator(config.dataset),
                                              load_evaluator(config.dataset, variant="paper"))
            except FileNotFoundError as e:
                print(f"error: {e}", file=sys.stderr)
                return 1
            for variant in (None, "paper"):
                info = evaluator_info(config.dataset, variant=variant)
                results.state["evaluators"][f"{config.dataset} {variant or 'ours'}"] = (
                    f"train {100 * info['train_accuracy']:.2f} %, validation "
                    f"{100 * info['val_accuracy']:.2f} %, test {100 * info['test_accuracy']:.2f} %")
        started = time.time()
        row = {"run": name, "dataset": config.dataset, "model": config.model.name,
               "seed": config.seed, "steps": steps}
        for key, evaluator in zip(("generation_accuracy", "generation_accuracy_paper"),
                                  evaluators[config.dataset]):
            # The same seed draws the same images for both evaluators.
            row[key] = metrics.generation_accuracy(model, evaluator, args.samples_per_label,
                                                   repeats=1, seed=args.seed)["mean"]
        row["seconds"] = round(time.time() - started, 1)
        results.state["rows"].append(row)
        results.save(f"evaluator reading: {run_dir.name}")
        print(f"{name}: ours {100 * row['generation_accuracy']:.1f} %, paper-accuracy "
              f"evaluator {100 * row['generation_accuracy_paper']:.1f} %", flush=True)
    print(f"wrote {results.md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
