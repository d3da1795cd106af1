#!/usr/bin/env python
"""Reproduce the paper's Tables 1-3 (MNIST, Fashion-MNIST, one-hot vs word vectors).

    python scripts/reproduce.py                       # all three tables at the converged budget
    python scripts/reproduce.py --table 1 --steps 5000 --out /tmp/quick
    python scripts/reproduce.py --finished-only       # tabulate finished runs, train nothing
    python scripts/reproduce.py --measure-layout      # which process layout trains fastest here

Worker processes (default 2, one thread each, pinned to a core each) share the list of runs;
each table row is written to <out>/table<N>.md/.json as soon as its seeds finish. Killed or
stopped, the same command resumes from the checkpoints and skips the finished runs.
<out>/reproduction_cost.json keeps the wall time of every invocation and each run's times.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
CONVERGED_STEPS = 160000  # where the MNIST learning curve first meets the paper (docs/reproduction.md)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--table", type=int, nargs="*", choices=(1, 2, 3), default=[1, 2, 3])
    p.add_argument("--seeds", type=int, default=3, help="seeds per row (Table 3: at least 5)")
    p.add_argument("--steps", type=int, default=CONVERGED_STEPS)
    p.add_argument("--generation-repeats", type=int, default=3,
                   help="repeats of the 100,000-image generation protocol (the paper: 10)")
    p.add_argument("--rows", nargs="*", default=(), help="only these models (e.g. pse pse_star)")
    p.add_argument("--out", default="results", help="folder of table<N>.* and runs/")
    p.add_argument("--workers", type=int, default=2, help="training processes (default 2)")
    p.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    p.add_argument("--finished-only", action="store_true", help="tabulate; train nothing")
    p.add_argument("--measure-layout", action="store_true",
                   help="time 2 workers x 1 thread against 1 worker x 2 threads, then exit")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # a worker process's index
    args = p.parse_args(argv)
    if args.steps < 1 or args.seeds < 1 or args.workers < 1 or args.threads < 1:
        p.error("--steps, --seeds, --workers and --threads must be positive")
    if args.measure_layout:
        return measure_layout(args)
    from pse_tf.evaluation.reproduction import Spec

    spec = Spec(tables=tuple(args.table), seeds=args.seeds, steps=args.steps, out=args.out,
                generation_repeats=args.generation_repeats, rows=tuple(args.rows))
    if args.worker is not None:
        return worker(spec, args.worker, args.threads)
    return coordinate(spec, args, sys.argv[1:] if argv is None else list(argv))


def worker(spec, index: int, threads: int) -> int:
    _die_with_parent()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= (index + 1) * threads:
        os.sched_setaffinity(0, cpus[index * threads:(index + 1) * threads])
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from pse_tf.evaluation.reproduction import work

    failed = work(spec, log=lambda m: print(m, flush=True))
    return 1 if failed else 0


def coordinate(spec, args, argv: list[str]) -> int:
    from pse_tf.evaluation.reproduction import CostLog, plan, write_tables

    if args.finished_only:
        print(write_tables(spec))
        return 0
    total = len(plan(spec))
    cost = CostLog(spec, {"workers": args.workers, "threads": args.threads})
    logs = Path(spec.out) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for k in range(args.workers):
        log = open(logs / f"reproduce-worker{k}.log", "a")
        procs.append(subprocess.Popen([sys.executable, __file__, *argv, "--worker", str(k)],
                                      stdout=log, stderr=subprocess.STDOUT))
    print(f"{total} runs of {spec.steps} steps, {args.workers} worker(s) x {args.threads} "
          f"thread(s); logs in {logs}", flush=True)
    try:
        while any(proc.poll() is None for proc in procs):
            time.sleep(60)
            state = cost.update()
            print(f"[{time.strftime('%H:%M')}] {state['runs_finished']}/{total} runs finished, "
                  f"{state['wall_seconds'] / 3600:.2f} h so far", flush=True)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        cost.update()
    print(f"tables written: {write_tables(spec)}; cost: {cost.path}")
    return max(proc.wait() for proc in procs)


def measure_layout(args) -> int:
    """Train the same two short PSE* runs under each layout; runs per hour, projected."""
    import tempfile

    from pse_tf.evaluation.reproduction import Spec, finished_metrics, plan

    steps, rows = 6000, []
    for workers, threads in ((2, 1), (1, 2)):
        with tempfile.TemporaryDirectory() as out:
            argv = ["--table", "1", "--rows", "pse_star", "--seeds", "2", "--steps", str(steps),
                    "--generation-repeats", "1", "--out", out, "--workers", str(workers),
                    "--threads", str(threads)]
            t0 = time.time()
            subprocess.run([sys.executable, __file__, *argv], check=True,
                           stdout=subprocess.DEVNULL)
            wall = time.time() - t0
            spec = Spec(tables=(1,), rows=("pse_star",), seeds=2, steps=steps,
                        generation_repeats=1, out=out)
            trained = [finished_metrics(c) for c in plan(spec)]
            train_s = [m["train_seconds"] for m in trained if m]
            rows.append({"workers": workers, "threads": threads, "runs": len(train_s),
                         "wall_seconds": round(wall, 1),
                         "ms_per_step": round(1000 * sum(train_s) / len(train_s) / steps, 2),
                         # Training only, as a 160,000-step run is almost all training.
                         "runs_per_hour_at_160k": round(
                             workers * 3600 / (sum(train_s) / len(train_s) * 160000 / steps), 2)})
            print(rows[-1], flush=True)
    out = Path(args.out) / "reproduction_layout.json"
    out.write_text(json.dumps({"steps": steps, "model": "mnist pse_star 10-d, 2 seeds",
                               "machine_cpus": os.cpu_count(), "layouts": rows}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def _die_with_parent():
    """A worker ends with its coordinator, so a killed job leaves no orphan training."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
