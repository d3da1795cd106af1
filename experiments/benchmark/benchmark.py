#!/usr/bin/env python
"""Benchmark the training step (FLOPs, floor, ours vs plain model.fit), the evaluation protocol
and the exported annotator; writes results/benchmark.md (its Method section says how each number
is made) and results/benchmark.json.

    python -m experiments.benchmark.benchmark                       # every registered model
    python -m experiments.benchmark.benchmark --models pse pse_star --quick --out /tmp/bench
    python -m experiments.benchmark.benchmark --strategies --steps 200 --repeats 3  # that alone
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    from pse_tf.data import DATASETS
    from pse_tf.models import model_names

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--models", nargs="+", choices=model_names(), metavar="MODEL",
                   help=f"models to time (None: all of {', '.join(model_names())})")
    p.add_argument("--eval-models", nargs="*", default=["pse_star"], choices=model_names(),
                   metavar="MODEL", help="models whose evaluation and export are timed")
    p.add_argument("--eval-datasets", nargs="*", default=list(DATASETS),
                   choices=DATASETS, metavar="DATASET",
                   help="data sets whose generation protocol and annotation are timed (each "
                        "with its own evaluator)")
    p.add_argument("--out", default="results", help="folder of benchmark.md / benchmark.json")
    p.add_argument("--repeats", type=int, default=5, help="interleaved timings per path")
    p.add_argument("--steps", type=int, default=500,
                   help="training steps per timing (a multiple of 100)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 repeats of 100 steps, 1 generation repeat, fewer calls")
    p.add_argument("--same-algorithm-steps", type=int, default=1000,
                   help="steps each path trains before their test metrics are compared (0: skip)")
    p.add_argument("--no-profile", action="store_true",
                   help="skip the profiler trace of our training step (where its time goes)")
    p.add_argument("--strategies", action="store_true",
                   help="measure only ms/step per distribution strategy (none; mirrored over 1 "
                        "and all devices: the GPUs, else the CPU split in 2 logical devices) for "
                        "--models (default pse_star) and put that section into the report in "
                        "--out, keeping the others")
    return p.parse_args(argv)


def strategies(args) -> int:
    """--strategies: that measurement alone, its section written into the report in --out."""
    from experiments.benchmark.strategies import split_cpu

    split_cpu()  # first: TensorFlow must not have set up its devices yet
    from experiments.benchmark.report import write_section
    from experiments.benchmark.strategies import measure_strategies

    if args.steps < 100 or args.steps % 100:
        print(f"error: --steps must be a positive multiple of 100, got {args.steps}",
              file=sys.stderr)
        return 2
    section = measure_strategies(args.models or ["pse_star"], steps=args.steps,
                                 repeats=args.repeats, log=lambda line: print(line, flush=True))
    paths = write_section(args.out, "strategies", section)
    print(f"wrote the strategies section into {paths[0]} and {paths[1]}")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.strategies:
        return strategies(args)
    from experiments.benchmark import run_benchmark

    try:
        run_benchmark(models=args.models, out=args.out, repeats=args.repeats, steps=args.steps,
                      quick=args.quick, eval_models=args.eval_models,
                      eval_datasets=args.eval_datasets,
                      profile=not args.no_profile,
                      same_algorithm_steps=args.same_algorithm_steps,
                      log=lambda line: print(line, flush=True))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
