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
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    from pse_tf.evaluation.reproduction import CONVERGED_STEPS, GENERATION_REPEATS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--table", type=int, nargs="*", choices=(1, 2, 3), default=[1, 2, 3])
    p.add_argument("--seeds", type=int, default=3, help="seeds per row (Table 3: at least 5)")
    p.add_argument("--steps", type=int, default=CONVERGED_STEPS)
    p.add_argument("--generation-repeats", type=int, default=GENERATION_REPEATS,
                   help="repeats of the 100,000-image generation protocol (the paper: 10)")
    p.add_argument("--rows", nargs="*", default=(), help="only these models (e.g. pse pse_star)")
    p.add_argument("--out", default="results", help="folder of table<N>.* and runs/")
    p.add_argument("--checkpoint-every", type=int, default=5000,
                   help="steps between checkpoints: a kill loses at most this many")
    p.add_argument("--workers", type=int, default=2, help="training processes (default 2)")
    p.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    p.add_argument("--finished-only", action="store_true", help="tabulate; train nothing")
    p.add_argument("--measure-layout", action="store_true",
                   help="time 2 workers x 1 thread against 1 worker x 2 threads, then exit")
    p.add_argument("--readme", default="README.md",
                   help="file whose generated results table is rewritten ('' for none)")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # a worker process's index
    args = p.parse_args(argv)
    if not args.table:
        p.error("--table needs at least one of 1, 2, 3")
    if min(args.steps, args.seeds, args.workers, args.threads, args.checkpoint_every) < 1:
        p.error("--steps, --seeds, --workers, --threads and --checkpoint-every must be positive")
    if args.measure_layout:
        from pse_tf.evaluation.reproduction import measure_layout

        measure_layout(__file__, Path(args.out) / "reproduction_layout.json")
        return 0
    from pse_tf.evaluation.reproduction import Spec

    spec = Spec(tables=tuple(args.table), seeds=args.seeds, steps=args.steps, out=args.out,
                generation_repeats=args.generation_repeats, rows=tuple(args.rows),
                checkpoint_every=args.checkpoint_every)
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
    from pse_tf.evaluation.reproduction import CostLog, plan, write_readme_table, write_tables

    if args.finished_only:
        print(write_tables(spec))
        write_readme_table(args.readme, spec.out)
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
        ticks = 0
        while any(proc.poll() is None for proc in procs):
            time.sleep(15)
            state, ticks = cost.update(), ticks + 1
            if ticks % 4 == 0:  # a line a minute
                print(f"[{time.strftime('%H:%M')}] {state['runs_finished']}/{total} runs "
                      f"finished, {state['wall_seconds'] / 3600:.2f} h so far", flush=True)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        cost.update()
    print(f"tables written: {write_tables(spec)}; cost: {cost.path}")
    write_readme_table(args.readme, spec.out)
    return max(proc.wait() for proc in procs)


def _die_with_parent():
    """A worker ends with its coordinator, so a killed job leaves no orphan training."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
