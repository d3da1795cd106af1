#!/usr/bin/env python
"""Sweep settings × seeds on Ray and tabulate the paper's three metrics per setting.

    python scripts/sweep.py --dataset mnist --model jmvae --grid alpha=0.01,0.1,1 --seeds 3 --steps 20000
    python scripts/sweep.py --model pse_star --grid latent_dim=10,20 --grid learning_rate=1e-3,3e-4
    python scripts/sweep.py ... --address HEAD:6379 --out /shared/sweeps    # on a Ray cluster

Every combination of the --grid values is trained for each seed, each run a Ray trial
(`pse_tf.grids`; one run per CPU here, or the cluster at --address / RAY_ADDRESS, whose nodes
must share --out). A --grid key is a TrainConfig field (steps, learning_rate, ...), a ModelConfig
field (latent_dim, kl_warmup_steps, ...) or one of the model's options (JMVAE alpha, TrELBO
lambda1/lambda2, ...). The table, <results>/<name>.md and .json, gives each setting's mean ±
sample standard deviation (ddof = 1) over seeds of reconstruction error, annotation accuracy and
generation accuracy on the test set. Stopped, the same command reuses finished runs and resumes
the others from their checkpoints. Bad input gets one line and exit code 2 before anything
trains.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_grid(items: list[str]) -> dict:
    """--grid KEY=V1,V2,... (repeatable) -> {KEY: [values]}; numbers and booleans as JSON."""
    from pse_tf.config import ConfigError

    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise ConfigError(f"--grid takes KEY=V1,V2,..., got {item!r}")
        if key in grid:
            raise ConfigError(f"--grid names {key!r} twice")
        grid[key] = [_value(v) for v in values.split(",")]
        if any(v == "" for v in grid[key]):
            raise ConfigError(f"--grid {key!r} has an empty value: {item!r}")
    return grid


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_args(argv=None):
    from pse_tf.config import LABEL_ENCODINGS, TrainConfig
    from pse_tf.models import model_names

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="mnist", help="default mnist")
    p.add_argument("--model", default="pse_star", choices=model_names(), help="default pse_star")
    p.add_argument("--label-encoding", default="onehot", choices=LABEL_ENCODINGS,
                   help="default onehot (the paper's Tables 1-2)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="values of one setting; repeatable (every combination is run)")
    p.add_argument("--label-groups", metavar="GROUPS", help='classes mapped onto fewer labels, '
                   'as scripts/train.py takes them')
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per setting (default 3)")
    p.add_argument("--steps", type=int, default=20000, help="default 20000")
    p.add_argument("--generation-repeats", type=int, default=3,
                   help="repeats of the 100,000-image generation protocol (default 3)")
    p.add_argument("--checkpoint-every", type=int, default=5000)
    p.add_argument("--out", default="runs/sweeps",
                   help="folder of the run folders (default runs/sweeps); on a cluster, a path "
                        "every node reads and writes")
    p.add_argument("--results", default="results/sweeps", help="folder of the table")
    p.add_argument("--name", help="the table's file name (default from the dataset, model, "
                   "grid keys and steps)")
    p.add_argument("--address", help="a running Ray cluster, HOST:PORT (default: RAY_ADDRESS "
                   "if set, else Ray on this machine for this command)")
    p.add_argument("--max-failures", type=int, default=2, help="retries of a failed run by Ray")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error("--seeds must be >= 1")
    from pse_tf.data.label_groups import parse

    groups = parse(args.label_groups) if args.label_groups else {}
    base = TrainConfig.from_dict({**TrainConfig().to_dict(), "dataset": args.dataset,
                                  "label_encoding": args.label_encoding, "steps": args.steps,
                                  "generation_repeats": args.generation_repeats,
                                  "checkpoint_every": min(args.checkpoint_every, args.steps),
                                  "out": args.out, "label_groups": groups,
                                  "model": {**TrainConfig().to_dict()["model"],
                                            "name": args.model}})
    grid = parse_grid(args.grid)
    name = args.name or "-".join([args.dataset, args.model, *grid, f"{args.steps}steps"])
    return args, base, grid, name


def _error(e: BaseException) -> int:
    print("error: " + " ".join(str(e).split()), file=sys.stderr)
    return 2


def main(argv=None) -> int:
    from pse_tf import grids
    from pse_tf.config import ConfigError
    from reproduction.tables import sweep_table, write_sweep_table

    try:  # bad input is refused before anything trains
        args, base, grid, name = parse_args(argv)
        configs = grids.expand(base, grid, seeds=args.seeds)
        address = args.address or os.environ.get("RAY_ADDRESS") or None
        if address:
            grids.check_reachable(address)
    except (ConfigError, grids.GridError) as e:
        return _error(e)
    print(f"{len(configs)} runs ({len(configs) // args.seeds} setting(s) × {args.seeds} seed(s)) "
          f"of {args.steps} steps on Ray ({address or 'this machine'}); runs in {args.out}",
          flush=True)
    try:
        outcomes = grids.run(configs, out=args.out, address=address,
                             max_failures=args.max_failures,
                             log=lambda line: print(line, flush=True))
    except grids.GridError as e:
        return _error(e)
    command = "python scripts/sweep.py " + " ".join(sys.argv[1:] if argv is None else argv)
    table = sweep_table(outcomes, list(grid), {
        "command": command, "dataset": args.dataset, "model": args.model,
        "label_encoding": args.label_encoding, "steps": args.steps, "seeds": args.seeds,
        "generation_repeats": args.generation_repeats, "grid": grid, "out": args.out,
        "written": time.strftime("%Y-%m-%d %H:%M")})
    write_sweep_table(table, Path(args.results) / name)
    print(f"wrote {Path(args.results) / name}.md and .json")
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"!! {outcome.run_dir.name} failed: {outcome.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
