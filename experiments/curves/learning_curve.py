#!/usr/bin/env python
"""The reproduction study's learning curve: the test metrics of one run at each budget.

    python -m experiments.curves.learning_curve --dataset mnist        # train, then evaluate
    python -m experiments.curves.learning_curve --runs results/runs/mnist-pse_star-onehot-z10-seed0
    python -m experiments.curves.learning_curve --runs RUN --extend-to 200000   # train on, then read

Without --runs, one run (PSE* 10-d by default) trains through `pse_tf.runs.train` to the largest
budget, keeping its weights at the others (`TrainConfig.keep_weights_at`); killed, it resumes
from its checkpoint. With --runs, finished run directories are read as they are: each budget
whose weights the run kept (<run>/weights/step-N.weights.h5, and model.weights.h5 at its last
step) is evaluated, so the tables' runs give their curve for the cost of evaluation. Every
budget's test metrics, under every reading of `experiments/study/readings.py`, are appended to
results/learning_curve.json (and the .md re-rendered, `curve.render_curve`) as soon as they
exist; rows already there are skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BUDGETS = (2000, 5000, 10000, 20000, 40000, 80000, 120000, 160000, 200000)


def main(argv=None) -> int:
    """Train (or read) the runs, then evaluate every kept budget under every reading."""
    from experiments.curves.curve import curve_config, curve_rows, render_curve
    from experiments.results_file import ResultsFile
    from pse_tf.config import ConfigError
    from pse_tf.evaluation.evaluators import load_evaluator
    from pse_tf.runs import train

    args = parse_args(argv)
    runs = args.runs
    if not runs:
        try:
            config = curve_config(args.budgets or BUDGETS, args.checkpoint_every,
                                  dataset=args.dataset, label_encoding=args.label_encoding, seed=args.seed,
                                  out=args.out, model=args.model, latent_dim=args.latent_dim)
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        runs = [train(config, verbose=2, run_evaluation=False, export=False).run_dir]

    if args.extend_to:
        try:
            runs = [extend(run_dir, args.extend_to, args.out) for run_dir in runs]
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    results = ResultsFile(args.results, "learning_curve", {"rows": []}, render_curve,
                          commit=args.commit)

    def done(key: dict) -> bool:
        return any(all(row.get(k) == v for k, v in key.items()) for row in results.state["rows"])

    for run_dir in runs:
        for row in curve_rows(run_dir, load_evaluator, args.generation_samples_per_label, done,
                              steps=args.budgets):
            results.state["rows"].append(row)
            results.save(f"learning curve: {row['run']} step {row['steps']}")
            print(f"{row['run']} step {row['steps']}: " + "  ".join(
                f"{k} {v:.4g}" for k, v in row.items() if isinstance(v, float)), flush=True)
    print(f"wrote {results.md_path}")
    return 0


def extend(run_dir: Path, steps: int, out: str) -> Path:
    """A finished constant-learning-rate run trained on to `steps`, in a copy
    (<out>/<run>-to<steps>; the original is left as it is) whose final weights are kept as its
    step-N weights. It resumes from the run's last checkpoint, so it is the run that would have
    trained to `steps` from the start (a resumed run equals an uninterrupted one)."""
    import dataclasses
    import shutil

    from pse_tf.config import ConfigError, TrainConfig
    from pse_tf.runs import train

    run_dir = Path(run_dir)
    config = TrainConfig.from_json(run_dir / "config.json")
    if config.lr_schedule != "constant" or steps <= config.steps:
        raise ConfigError(f"{run_dir} cannot be extended to {steps} steps: it needs a constant "
                          f"learning rate and fewer steps (it has {config.lr_schedule}, "
                          f"{config.steps})")
    target = Path(out) / f"{run_dir.name}-to{steps}"
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        finished = {"metrics.json", "status.json", "samples.png", "model.weights.h5"}
        shutil.copytree(run_dir, partial, ignore=lambda folder, names: [
            n for n in names if Path(folder) == run_dir and n in finished])
        (partial / "weights").mkdir(exist_ok=True)
        shutil.copy2(run_dir / "model.weights.h5",
                     partial / "weights" / f"step-{config.steps}.weights.h5")
        partial.rename(target)
    longer = dataclasses.replace(config, steps=steps, out=str(out),
                                 keep_weights_at=tuple(sorted({*config.keep_weights_at,
                                                               config.steps})))
    return train(longer, run_dir=target, verbose=2, run_evaluation=False, export=False).run_dir


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", type=Path,
                   help="finished run directories to read (no training); default: train one")
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument("--model", default="pse_star")
    p.add_argument("--label-encoding", default="onehot")
    p.add_argument("--latent-dim", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budgets", type=int, nargs="+",
                   help="steps to evaluate at (multiples of --checkpoint-every); default "
                        f"{', '.join(map(str, BUDGETS))}, or with --runs every budget a run kept")
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--extend-to", type=int, help="with --runs: train each (finished, constant "
                   "learning rate) run on to this many steps in a copy under --out, then read it")
    p.add_argument("--generation-samples-per-label", type=int, default=10000,
                   help="images per label for each generation reading (one repeat)")
    p.add_argument("--out", default="runs/curve", help="parent folder of the trained run")
    p.add_argument("--results", default="results", help="folder of learning_curve.json/.md")
    p.add_argument("--commit", action="store_true", help="git commit the results after each row")
    return p.parse_args(argv)

if __name__ == "__main__":
    sys.exit(main())
