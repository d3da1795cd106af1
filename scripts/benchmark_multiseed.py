#!/usr/bin/env python
"""Per-seed ms/step of 1, 2, 3 and 5 seeds trained in one XLA program against one seed alone;
writes results/multiseed_benchmark.md and .json.

    python scripts/benchmark_multiseed.py                      # PSE and PSE*, 5 repeats
    python scripts/benchmark_multiseed.py --models pse --repeats 3 --steps 100
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    from pse_tf.benchmark.multiseed import (SEED_COUNTS, measure_multiseed,
                                            write_multiseed_report)
    from pse_tf.registry import model_names

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["pse", "pse_star"], choices=model_names())
    p.add_argument("--seeds", nargs="+", type=int, default=list(SEED_COUNTS),
                   help="seed counts S to time together (default 1 2 3 5)")
    p.add_argument("--repeats", type=int, default=5, help="interleaved timings per path")
    p.add_argument("--steps", type=int, default=200, help="steps per timing (multiple of 100)")
    p.add_argument("--out", default="results")
    args = p.parse_args(argv)
    if args.steps < 100 or args.steps % 100:
        p.error(f"--steps must be a positive multiple of 100, got {args.steps}")
    result = measure_multiseed(args.models, args.seeds, steps=args.steps, repeats=args.repeats)
    paths = write_multiseed_report(result, args.out)
    print(f"wrote {paths[0]} and {paths[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
