#!/usr/bin/env python
"""Reproduce the paper's Table 1 (MNIST), 2 (Fashion-MNIST) or 3 (one-hot vs word vectors).

    python scripts/reproduce.py --table 1                 # the committed budget: 20,000 steps
    python scripts/reproduce.py --table 1 --steps 5000 --out results/steps5000
    python scripts/reproduce.py --table 1 --seeds-together   # a row's seeds in one program
    python scripts/reproduce.py --table 2 --finished-only    # tabulate finished runs, train none

Every row is trained for each seed (a finished run is reused with its test metrics, an
interrupted one resumes), and results/table<N>.md/.json are rewritten after each row, ours beside
the paper's values.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.evaluation.tables import (REPRODUCTION_GENERATION_REPEATS, REPRODUCTION_STEPS,
                                          TABLES, paired_test, summarise, unpaired_test,
                                          write_table)
    from pse_tf.runs import finished_run, train

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--table", type=int, choices=sorted(TABLES), required=True)
    p.add_argument("--seeds", type=int, default=3, help="seeds per row (default 3)")
    p.add_argument("--steps", type=int, default=REPRODUCTION_STEPS,
                   help=f"steps per run (default {REPRODUCTION_STEPS}, the committed tables' budget)")
    p.add_argument("--generation-repeats", type=int, default=REPRODUCTION_GENERATION_REPEATS,
                   help="repeats of the generation-accuracy protocol, 100,000 images each "
                        f"(default {REPRODUCTION_GENERATION_REPEATS}; the paper: 10)")
    p.add_argument("--rows", nargs="*", help="only rows whose model is listed (e.g. pse pse_star)")
    p.add_argument("--out", default="results", help="folder for table<N>.md/.json and runs/")
    p.add_argument("--seeds-together", action=argparse.BooleanOptionalAction, default=False,
                   help="train a row's unfinished seeds in one XLA program "
                        "(pse_tf.multiseed; off by default: on 2 CPU cores it measured no "
                        "faster per seed, see results/multiseed_benchmark.md)")
    p.add_argument("--finished-only", action="store_true",
                   help="tabulate the runs that have finished and train nothing (a row lists "
                        "the seeds it has; a row with none is left out)")
    args = p.parse_args(argv)

    dataset, rows = TABLES[args.table]
    out = Path(args.out)
    results, started = [], time.time()
    for row in rows:
        if args.rows and row.model not in args.rows:
            continue
        configs = [TrainConfig(dataset=dataset, label_encoding=row.label_encoding,
                               steps=args.steps, seed=seed, out=str(out / "runs"),
                               generation_repeats=args.generation_repeats,
                               model=ModelConfig(name=row.model, latent_dim=row.latent_dim))
                   for seed in range(args.seeds)]
        if args.finished_only:
            configs = [c for c in configs if finished_run(c) is not None]
            if not configs:
                continue
        if args.seeds_together:
            print(f"== table {args.table} · {row.label} · seeds {list(range(args.seeds))}",
                  flush=True)
            runs = _train_row_together(configs)
        else:
            runs = []
            for config in configs:
                print(f"== table {args.table} · {row.label} · seed {config.seed}", flush=True)
                runs.append(train(config, verbose=2, export=False).metrics)
        results.append({"label": row.label, "model": row.model, "latent_dim": row.latent_dim,
                        "label_encoding": row.label_encoding, "steps": args.steps,
                        "seeds": [c.seed for c in configs],
                        "generation_repeats": args.generation_repeats,
                        # What the runs cost when they were made (a reused run costs nothing now).
                        "train_seconds": sum(r["train_seconds"] for r in runs),
                        "evaluation_seconds": sum(r["evaluation_seconds"] for r in runs),
                        "summary": summarise(runs), "paper": row.paper,
                        "runs": [{k: r.get(k) for k in ("seed", "reconstruction_error",
                                                       "annotation_accuracy",
                                                       "generation_accuracy")} for r in runs]})
        extra = {}
        if args.table == 3:
            by = {r["label"]: [x["annotation_accuracy"] for x in r["runs"]] for r in results}
            if "one-hot (PSE*)" in by and "word2vec (PSE*)" in by:
                a, b = by["one-hot (PSE*)"], by["word2vec (PSE*)"]
                extra["significance"] = paired_test(a, b)
                extra["significance_unpaired"] = unpaired_test(a, b)
        extra["invocation_seconds"] = time.time() - started
        write_table(args.table, results, out / f"table{args.table}", extra)
    print(f"wrote {out / f'table{args.table}.md'}")
    print((out / f"table{args.table}.md").read_text())
    return 0


def _train_row_together(configs) -> list[dict]:
    """Each config's metrics: the unfinished seeds trained in one program, the finished ones
    reused; seeds interrupted at different steps resume alone."""
    from pse_tf.checkpoints import CheckpointError
    from pse_tf.multiseed import train_together
    from pse_tf.runs import finished_run, train

    pending = [c for c in configs if finished_run(c) is None]
    metrics = {}
    if len(pending) > 1:
        try:
            for config, result in zip(pending, train_together(pending, verbose=2)):
                metrics[config.seed] = result.metrics
        except CheckpointError as e:
            print(f"training the seeds alone: {e}", flush=True)
    for config in configs:  # finished runs only read their metrics (or evaluate them)
        if config.seed not in metrics:
            metrics[config.seed] = train(config, verbose=2, export=False).metrics
    return [metrics[c.seed] for c in configs]


if __name__ == "__main__":
    sys.exit(main())
