#!/usr/bin/env python
"""Reproduce the paper's Tables 1-3 (MNIST, Fashion-MNIST, one-hot vs word vectors).

    python scripts/reproduce.py                       # all three tables at the converged budget
    python scripts/reproduce.py --table 1 --steps 5000 --out /tmp/quick
    python scripts/reproduce.py --finished-only       # tabulate finished runs, train nothing
    python scripts/reproduce.py --address HEAD:6379 --out /shared/results   # on a Ray cluster

The runs go to Ray (`pse_tf.grids`): by default a Ray instance started on this machine for the
job (one run per CPU), or the running cluster at --address (or RAY_ADDRESS); then --out must be
a folder every node reads and writes (docs/operations.md). Each table row is written to
<out>/table<N>.md/.json as soon as its seeds finish. Killed or stopped, the same command
resumes from the checkpoints and skips the finished runs. <out>/reproduction_cost.json keeps the
wall time of every invocation and each run's times.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    from reproduction.job import CONVERGED_STEPS, GENERATION_REPEATS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--table", type=int, nargs="*", choices=(1, 2, 3), default=[1, 2, 3])
    p.add_argument("--seeds", type=int, default=3, help="seeds per row (Table 3: at least 5)")
    p.add_argument("--steps", type=int, default=CONVERGED_STEPS)
    p.add_argument("--generation-repeats", type=int, default=GENERATION_REPEATS,
                   help="repeats of the 100,000-image generation protocol (the paper: 10)")
    p.add_argument("--rows", nargs="*", default=(), help="only these models (e.g. pse pse_star)")
    p.add_argument("--out", default="results",
                   help="folder of table<N>.* and runs/; on a cluster, a path every node reads "
                        "and writes (default results)")
    p.add_argument("--address", default=None,
                   help="a running Ray cluster, HOST:PORT (default: RAY_ADDRESS if set, else a "
                        "Ray instance on this machine for this job)")
    p.add_argument("--max-failures", type=int, default=2,
                   help="retries of a failed run by Ray (a lost node, a crash; default 2)")
    p.add_argument("--checkpoint-every", type=int, default=5000,
                   help="steps between checkpoints: a kill loses at most this many")
    p.add_argument("--finished-only", action="store_true", help="tabulate; train nothing")
    p.add_argument("--readme", default="README.md",
                   help="file whose generated results table is rewritten ('' for none)")
    args = p.parse_args(argv)
    if not args.table:
        p.error("--table needs at least one of 1, 2, 3")
    if min(args.steps, args.seeds, args.checkpoint_every) < 1 or args.max_failures < 0:
        p.error("--steps, --seeds and --checkpoint-every must be positive, --max-failures >= 0")
    from pse_tf.config import ConfigError
    from pse_tf.grids import GridError, check_reachable, validate
    from reproduction.job import CostLog, Spec, plan, run, write_tables
    from reproduction.readme import write_readme_table

    spec = Spec(tables=tuple(args.table), seeds=args.seeds, steps=args.steps, out=args.out,
                generation_repeats=args.generation_repeats, rows=tuple(args.rows),
                checkpoint_every=args.checkpoint_every)
    if args.finished_only:
        print(write_tables(spec))
        write_readme_table(args.readme, spec.out)
        return 0
    address = args.address or os.environ.get("RAY_ADDRESS") or None
    try:  # bad input is refused before anything trains
        validate(plan(spec))
        if address:
            check_reachable(address)
    except (ConfigError, GridError) as e:
        print("error: " + " ".join(str(e).split()), file=sys.stderr)
        return 2
    cost = CostLog(spec, {"ray_address": address or "local"})
    print(f"{len(plan(spec))} runs of {spec.steps} steps on Ray "
          f"({address or 'this machine'}); tables in {spec.out}", flush=True)
    try:
        failed = run(spec, address=address, max_failures=args.max_failures,
                     log=lambda line: print(line, flush=True), on_run=lambda _: cost.update())
    except GridError as e:
        print("error: " + " ".join(str(e).split()), file=sys.stderr)
        return 2
    finally:
        cost.update()
    print(f"tables written: {write_tables(spec)}; cost: {cost.path}")
    write_readme_table(args.readme, spec.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
