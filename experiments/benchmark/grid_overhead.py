"""Runs per hour of one 8-run grid, three ways: the former worker pool, Ray on this machine, and a
two-node Ray cluster on loopback. Not a test: a measurement, written to results/grid_benchmark.*.

    python -m experiments.benchmark.grid_overhead --pool-checkout ../pse-pool
    python -m experiments.benchmark.grid_overhead --only ray-local ray-cluster

The grid is the same each way: Table 1's PSE* rows (10-d and 20-d), seeds 0-3, 2,000 steps each,
checkpoints every 1,000, generation over 1 repeat of 100,000 images; 2 runs at a time (the pool:
2 single-threaded workers, each pinned to a core; Ray: 1 CPU a trial on this 2-CPU machine, or on
each 1-CPU node). Each way is one `scripts/reproduce.py` command from an empty folder, timed from
start to exit (start-up, training, evaluation, tables). The pool is the `scripts/reproduce.py` of
a checkout from before its removal (`--pool-checkout`, e.g. `git worktree add ../pse-pool
5b3d711`). The three run back to back; the CPU may be shared with other jobs, which the report
says.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRID = ["--table", "1", "--rows", "pse_star", "--seeds", "4", "--steps", "2000",
        "--checkpoint-every", "1000", "--generation-repeats", "1", "--readme", ""]
RUNS = 8
VARIANTS = ("pool", "ray-local", "ray-cluster")


def _timed(command: list[str], env: dict, log: Path, cwd: Path) -> float:
    t0 = time.time()
    with open(log, "w") as out:
        subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=True, cwd=cwd)
    return time.time() - t0


def measure(variant: str, pool_checkout: Path | None, logs: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with tempfile.TemporaryDirectory() as out:
        if variant == "pool":
            checkout = Path(pool_checkout).resolve()
            env["PYTHONPATH"] = str(checkout)
            command = [sys.executable, str(checkout / "scripts" / "reproduce.py"), *GRID,
                       "--out", out, "--workers", "2", "--threads", "1"]
            wall = _timed(command, env, logs / "pool.log", checkout)
        else:
            env["PYTHONPATH"] = str(ROOT)
            command = [sys.executable, str(ROOT / "scripts" / "reproduce.py"), *GRID, "--out", out]
            if variant == "ray-local":
                wall = _timed(command, env, logs / "ray-local.log", ROOT)
            else:
                from tests.helpers.ray_cluster import loopback_cluster

                t0 = time.time()
                with loopback_cluster(logs / "cluster") as (address, cluster_env, _):
                    started = time.time() - t0
                    wall = _timed([*command, "--address", address], {**cluster_env, **env,
                                  "RAY_AUTH_MODE": "token"}, logs / "ray-cluster.log", ROOT)
        finished = sum(1 for _ in Path(out, "runs").glob("*/metrics.json"))
    row = {"variant": variant, "runs": finished, "wall_seconds": round(wall, 1),
           "runs_per_hour": round(RUNS * 3600 / wall, 2),
           "finished_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    if variant == "ray-cluster":
        row["cluster_start_seconds"] = round(started, 1)  # not in wall_seconds
    return row


def report(rows: list[dict], path: Path, note: str):
    by = {r["variant"]: r for r in rows}
    for r in rows:
        if "pool" in by and r["variant"] != "pool":
            r["overhead_vs_pool_percent"] = round(
                100 * (r["wall_seconds"] / by["pool"]["wall_seconds"] - 1), 1)
    payload = {"grid": " ".join(GRID), "runs": RUNS, "machine_cpus": os.cpu_count(),
               "note": note, "variants": rows}
    path.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = ["# Grid benchmark: the worker pool against Ray", "",
             "One 8-run grid (Table 1's PSE\\* 10-d and 20-d rows, seeds 0-3, 2,000 steps each, "
             "generation over 1 × 100,000 images), one `scripts/reproduce.py` command each way "
             "from an empty folder, timed start to exit; 2 runs at a time. "
             "`python -m experiments.benchmark.grid_overhead`.", "",
             "| way | runs | wall (s) | runs per hour | overhead vs the pool |",
             "|---|---|---|---|---|"]
    for r in rows:
        overhead = r.get("overhead_vs_pool_percent")
        lines.append(f"| {r['variant']} | {r['runs']} | {r['wall_seconds']:.0f} | "
                     f"{r['runs_per_hour']:.1f} | "
                     f"{'—' if overhead is None else f'{overhead:+.1f} %'} |")
    cluster = by.get("ray-cluster", {}).get("cluster_start_seconds")
    if cluster is not None:
        lines += ["", f"Starting the two-node cluster took {cluster:.0f} s more (not counted)."]
    lines += ["", note, "", f"Machine: {os.cpu_count()} CPU cores; written "
              f"{time.strftime('%Y-%m-%d %H:%M')} UTC."]
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pool-checkout", help="a checkout whose scripts/reproduce.py has the pool")
    p.add_argument("--only", nargs="*", choices=VARIANTS, default=list(VARIANTS))
    p.add_argument("--out", default=str(ROOT / "results" / "grid_benchmark"),
                   help="path stem of the .json/.md report")
    p.add_argument("--note", default="The three ways ran back to back on a CPU shared with "
                   "other jobs, so each figure carries their noise.")
    args = p.parse_args(argv)
    if "pool" in args.only and not args.pool_checkout:
        p.error("the pool needs --pool-checkout (a checkout from before its removal)")
    logs = Path(tempfile.mkdtemp(prefix="grid-benchmark-"))
    rows = []
    for variant in args.only:
        rows.append(measure(variant, args.pool_checkout, logs))
        print(rows[-1], flush=True)
        report(rows, Path(args.out), args.note)
    print(f"logs in {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
