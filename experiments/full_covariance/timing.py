"""The cost of the Cholesky factor, timed apart from the trainings: each row's diagonal and
full-covariance models through the training path (`experiments.benchmark.paths.FastPath`, as
`runs.train` runs it), warmed up, then timed interleaved (diag, full, diag, ...) on the same
machine in the same minutes.

The trainings' own ms/step (results/full_covariance/<row>-seed<k>.json) is train time / steps
over hours in which other jobs shared the 2 cores, so it says little about the factor; this
says what it costs on a quiet machine.

    python -m experiments.full_covariance.timing [--steps 200] [--repeats 5] [--threads 1]

Writes results/full_covariance_timing.json; `run --summarise` adds it to the summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path

from experiments.full_covariance.run import RESULTS, ROWS


def time_row(row, steps: int, repeats: int, log=print) -> dict:
    from experiments.benchmark.paths import FastPath, ms_per_step
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding

    data = load_dataset(row.dataset)
    encoding = LabelEncoding.build(data.class_names, "onehot")
    full = row.config(seed=0, out="unused")
    diag = dataclasses.replace(full, model=dataclasses.replace(
        full.model, options={**full.model.options, "label_covariance": "diag"}))
    paths = {"diag": FastPath(diag, encoding, data), "full": FastPath(full, encoding, data)}
    spe = full.steps_per_execution
    steps = max(spe, steps // spe * spe)
    for path in paths.values():
        path.run(spe)  # trace and XLA-compile outside the timing
    times = {name: [] for name in paths}
    for r in range(repeats):
        for name, path in paths.items():
            times[name].append(ms_per_step(path, steps))
        log(f"{row.key} repeat {r + 1}/{repeats}: diag {times['diag'][-1]:.2f}, "
            f"full {times['full'][-1]:.2f} ms/step")
    median = {name: statistics.median(t) for name, t in times.items()}
    return {"row": row.key, "steps": steps, "repeats": repeats, "diag_ms": median["diag"],
            "full_ms": median["full"], "ratio": median["full"] / median["diag"],
            "diag_ms_all": times["diag"], "full_ms_all": times["full"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=200, help="steps per timing")
    p.add_argument("--repeats", type=int, default=5, help="interleaved timings per model")
    p.add_argument("--threads", type=int, default=1, help="TF threads (1: as the trainings)")
    p.add_argument("--results", default=str(RESULTS))
    args = p.parse_args(argv)
    if args.steps < 1 or args.repeats < 1:
        p.error("--steps and --repeats must be >= 1")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    rows = [time_row(row, args.steps, args.repeats) for row in ROWS]
    out = {"threads": args.threads, "rows": rows}
    path = Path(args.results) / "full_covariance_timing.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
