"""Reproducing the paper's Tables 1-3 as one resumable grid of runs on Ray.

The job is the list of runs the tables need (a run shared by two tables is trained once), in
an order that completes whole rows early. `pse_tf.grids` runs them as Ray trials (locally, or on
a cluster), each through `pse_tf.runs.train`, which resumes from the run's checkpoint; every
table is rewritten as each run finishes. Running the same command again after any stop reuses
the finished runs and resumes the others.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from pse_tf import atomic
from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.run_folder import finished_metrics, run_name, trained_config
from reproduction.tables import (METRICS, TABLES, paired_test, summarise, unpaired_test,
                                 write_table)

# The budget of the committed tables. The paper states 2,000 steps, far from its own tables; the
# MNIST PSE* learning curve first meets them at 160,000 (docs/reproduction.md).
CONVERGED_STEPS = 160000
GENERATION_REPEATS = 3  # of the 100,000-image protocol (the paper: 10)
# Rows are trained in this order of model, so PSE and PSE* rows are filled first.
MODEL_ORDER = ("pse_star", "pse", "jmvae", "trelbo", "cvae", "vae", "scan")
TABLE3_SEEDS = 5
# Every run keeps its weights at these budgets too, so learning curves of every row and seed are
# read from the tables' own runs (experiments/learning_curve.py) instead of training new ones.
CURVE_STEPS = (20000, 40000, 80000, 120000)


@dataclasses.dataclass(frozen=True)
class Spec:
    """What to reproduce: the tables, the seeds per row, the budget and where runs go."""

    tables: tuple = (1, 2, 3)
    seeds: int = 3
    steps: int = CONVERGED_STEPS
    generation_repeats: int = GENERATION_REPEATS
    out: str = "results"
    rows: tuple = ()  # model names to keep; () keeps every row with a value in the paper
    checkpoint_every: int = 5000

    def row_seeds(self, table: int) -> int:
        return max(self.seeds, TABLE3_SEEDS) if table == 3 and self.seeds >= 3 else self.seeds

    def config(self, dataset: str, row, seed: int) -> TrainConfig:
        return TrainConfig(dataset=dataset, label_encoding=row.label_encoding, steps=self.steps,
                           seed=seed, out=str(Path(self.out) / "runs"),
                           generation_repeats=self.generation_repeats,
                           checkpoint_every=self.checkpoint_every,
                           keep_weights_at=tuple(s for s in CURVE_STEPS if s < self.steps
                                                 and s % self.checkpoint_every == 0),
                           model=ModelConfig(name=row.model, latent_dim=row.latent_dim,
                                             options=dict(row.options)))

    def table_rows(self, table: int):
        """(dataset, [(row, [config per seed])]) of one table."""
        dataset, rows = TABLES[table]
        keep = [r for r in rows if (r.model in self.rows if self.rows
                                    else any(v is not None for v in r.paper.values()))]
        return dataset, [(r, [self.config(dataset, r, s) for s in range(self.row_seeds(table))])
                         for r in keep]


def plan(spec: Spec) -> list[TrainConfig]:
    """Every run the tables need, once each, whole rows first in `MODEL_ORDER`."""
    rows = [(MODEL_ORDER.index(row.model) if row.model in MODEL_ORDER else len(MODEL_ORDER),
             row.label_encoding != "onehot", row.latent_dim, table, configs)
            for table in spec.tables for row, configs in spec.table_rows(table)[1]]
    jobs, seen = [], set()
    for *_, configs in sorted(rows, key=lambda r: r[:4]):
        for config in configs:
            if run_name(config) not in seen:
                seen.add(run_name(config))
                jobs.append(config)
    # Seeds beyond the first `spec.seeds` (Table 3's) come last: they complete no row of 1-2.
    return sorted(jobs, key=lambda c: c.seed >= spec.seeds)


def run(spec: Spec, address: str | None = None, max_failures: int = 2,
        log=print, on_run=None) -> list[str]:
    """Train every unfinished run of the plan on Ray (`pse_tf.grids.run`), rewriting the
    tables after each one; returns the run directories that failed.

    A run that fails (after Ray's retries) is logged with its error and skipped, not fatal: one
    broken run (a NonFiniteError, or a model whose code fails to trace) must not stop hours of
    unattended work on the others. The next invocation tries it again from its checkpoint.
    `on_run` is also called with each run's `pse_tf.grids.RunOutcome` as it ends.
    """
    from pse_tf import grids

    def finished(outcome):
        write_tables(spec)
        if on_run is not None:
            on_run(outcome)

    outcomes = grids.run(plan(spec), out=Path(spec.out) / "runs", address=address,
                         max_failures=max_failures, log=log, on_run=finished)
    failed = []
    for outcome in outcomes:
        if not outcome.ok:
            log(f"!! {outcome.run_dir.name} failed: {outcome.error}")
            failed.append(str(outcome.run_dir))
    write_tables(spec)
    return failed


def write_tables(spec: Spec) -> dict:
    """Rewrite table<N>.md/.json from the finished runs: a row appears once all its seeds have
    finished; the rows still training are listed. Returns {table: number of rows written}."""
    written = {}
    for table in spec.tables:
        dataset, rows = spec.table_rows(table)
        done, pending = [], []
        for row, configs in rows:
            runs = [finished_metrics(c) for c in configs]
            if any(r is None for r in runs):
                pending.append(f"{row.label} ({sum(r is not None for r in runs)}/"
                               f"{len(runs)} seeds)")
                continue
            done.append(_row(row, spec, configs, runs))
        extra = {"pending": pending, "steps": spec.steps,
                 "generation_repeats": spec.generation_repeats}
        if table == 3:
            extra.update(_significance(done))
        if done or pending:
            write_table(table, done, Path(spec.out) / f"table{table}", extra)
        written[table] = len(done)
    return written


def _row(row, spec: Spec, configs, runs) -> dict:
    trained = [trained_config(c) for c in configs]
    return {"label": row.label, "model": row.model, "latent_dim": row.latent_dim,
            "label_encoding": row.label_encoding, "options": dict(row.options), "steps": spec.steps,
            "seeds": [c.seed for c in configs], "generation_repeats": spec.generation_repeats,
            "train_seconds": sum(r["train_seconds"] or 0.0 for r in runs),
            "evaluation_seconds": sum(r["evaluation_seconds"] for r in runs),
            "summary": summarise(runs), "paper": row.paper,
            # What the runs were trained with, from their own config.json and metrics.json.
            "training": {"batch_size": sorted({c.batch_size for c in trained}),
                         "validation_every": sorted({c.checkpoint_every for c in trained}),
                         "strategy": sorted({c.strategy for c in trained}),
                         "nodes": sorted({(r.get("ray") or {}).get("node_ip") for r in runs}
                                         - {None})},
            "runs": [{k: r.get(k) for k in ("seed", *METRICS, "train_seconds",
                                            "evaluation_seconds")} for r in runs]}


def _significance(rows: list[dict]) -> dict:
    """The paper's test (PSE* annotation, word2vec vs one-hot), and the same comparison for
    every model and metric of Table 3 (difference of means, paired and Welch's tests)."""
    by = {r["label"]: sorted(r["runs"], key=lambda x: x.get("seed", 0)) for r in rows}
    out, effects = {}, []
    for model in ("PSE", "PSE*"):
        one_hot, words = by.get(f"one-hot ({model})"), by.get(f"word2vec ({model})")
        if one_hot is None or words is None:
            continue
        means = summarise(one_hot), summarise(words)  # accuracies in points
        for key in METRICS:
            a, b = [x[key] for x in one_hot], [x[key] for x in words]
            effects.append({"model": model, "metric": key,
                            "difference": means[1][key]["mean"] - means[0][key]["mean"],
                            "paired": paired_test(a, b), "unpaired": unpaired_test(a, b)})
            if model == "PSE*" and key == "annotation_accuracy":
                out.update(significance=effects[-1]["paired"],
                           significance_unpaired=effects[-1]["unpaired"])
    if effects:
        out["word_vector_effects"] = effects
    return out


class CostLog:
    """<out>/reproduction_cost.json: every invocation's wall time (kept across resumes, updated
    while it runs) and each finished run's training and evaluation time."""

    def __init__(self, spec: Spec, layout: dict):
        """`layout`: what this invocation ran on (the Ray address, say), kept with its time."""
        self.spec, self.path = spec, Path(spec.out) / "reproduction_cost.json"
        previous = json.loads(self.path.read_text()) if self.path.is_file() else {}
        same = previous.get("steps") == spec.steps
        self.invocations = previous.get("invocations", []) if same else []
        self.entry = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "seconds": 0.0, **layout}
        self.invocations.append(self.entry)
        self.t0 = time.time()
        self.update()  # at once, so an invocation killed early is still counted

    def update(self) -> dict:
        self.entry["seconds"] = round(time.time() - self.t0, 1)
        runs = []
        for config in plan(self.spec):
            m = finished_metrics(config)
            if m is not None:
                runs.append({"run": run_name(config), "train_seconds": m["train_seconds"],
                             "evaluation_seconds": m["evaluation_seconds"]})
        total = len(plan(self.spec))
        payload = {"steps": self.spec.steps, "tables": list(self.spec.tables),
                   "runs_finished": len(runs), "runs_planned": total,
                   "wall_seconds": round(sum(i["seconds"] for i in self.invocations), 1),
                   "invocations": self.invocations, "runs": runs}
        atomic.write_json(self.path, payload)
        return payload
