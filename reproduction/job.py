"""Reproducing the paper's Tables 1-3 as one resumable job.

The job is the list of runs the tables need (a run shared by two tables is trained once), in
an order that completes whole rows early. Any number of worker processes walk that list: a
worker claims a run with an advisory lock on a file beside it (the kernel drops the lock when
the process dies, even by SIGKILL), trains it through `pse_tf.runs.train` (which resumes from
its checkpoint) and rewrites every table from the runs that have finished. Running the same
command again after a kill skips the finished runs and resumes the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import time
import traceback
from pathlib import Path

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.evaluation.tables import (METRICS, TABLES, paired_test, summarise, unpaired_test,
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


def run_dir(config: TrainConfig) -> Path:
    from pse_tf.runs import resolve_run_dir

    return resolve_run_dir(config, None)


def plan(spec: Spec) -> list[TrainConfig]:
    """Every run the tables need, once each, whole rows first in `MODEL_ORDER`."""
    rows = [(MODEL_ORDER.index(row.model) if row.model in MODEL_ORDER else len(MODEL_ORDER),
             row.label_encoding != "onehot", row.latent_dim, table, configs)
            for table in spec.tables for row, configs in spec.table_rows(table)[1]]
    jobs, seen = [], set()
    for *_, configs in sorted(rows, key=lambda r: r[:4]):
        for config in configs:
            if run_dir(config) not in seen:
                seen.add(run_dir(config))
                jobs.append(config)
    # Seeds beyond the first `spec.seeds` (Table 3's) come last: they complete no row of 1-2.
    return sorted(jobs, key=lambda c: c.seed >= spec.seeds)


def finished_metrics(config: TrainConfig) -> dict | None:
    """metrics.json of a run trained to this budget and evaluated with this protocol, or None."""
    from pse_tf.runs import METRICS as METRICS_FILE, _reusable_evaluation, finished_run

    if finished_run(config) is None or _reusable_evaluation(run_dir(config), config) is None:
        return None
    return json.loads((run_dir(config) / METRICS_FILE).read_text())


@contextlib.contextmanager
def claim(config: TrainConfig):
    """Yield True if this process holds the run's lock (no other worker is training it)."""
    path = run_dir(config).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def work(spec: Spec, verbose: int = 2, log=print) -> list[str]:
    """Train every unclaimed, unfinished run of the plan, rewriting the tables after each one;
    returns the run directories that failed.

    A run that fails is logged with its traceback and skipped, not fatal: one broken run (a
    NonFiniteError, or a model whose code fails to trace) must not stop hours of unattended
    work on the others. The next invocation tries it again from its checkpoint.
    """
    from pse_tf.runs import train
    from pse_tf.training import NonFiniteError

    failed = []
    for config in plan(spec):
        if finished_metrics(config) is not None:
            continue
        with claim(config) as mine:
            if not mine or finished_metrics(config) is not None:
                continue
            log(f"== {run_dir(config).name} ({config.steps} steps)")
            try:
                train(config, verbose=verbose, export=False)
            except Exception as e:  # noqa: BLE001 - logged, then the next run
                # A diverged run needs its message only; anything else, its traceback.
                detail = "" if isinstance(e, NonFiniteError) else "\n" + traceback.format_exc()
                log(f"!! {run_dir(config).name} failed: {type(e).__name__}: {e}{detail}")
                failed.append(str(run_dir(config)))
                continue
        write_tables(spec)
    return failed


def write_tables(spec: Spec) -> dict:
    """Rewrite table<N>.md/.json from the finished runs: a row appears once all its seeds have
    finished; the rows still training are listed. Returns {table: number of rows written}."""
    written = {}
    with _locked(Path(spec.out) / ".tables.lock"):
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
    return {"label": row.label, "model": row.model, "latent_dim": row.latent_dim,
            "label_encoding": row.label_encoding, "options": dict(row.options), "steps": spec.steps,
            "seeds": [c.seed for c in configs], "generation_repeats": spec.generation_repeats,
            "train_seconds": sum(r["train_seconds"] or 0.0 for r in runs),
            "evaluation_seconds": sum(r["evaluation_seconds"] for r in runs),
            "summary": summarise(runs), "paper": row.paper,
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


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class CostLog:
    """<out>/reproduction_cost.json: every invocation's wall time (kept across resumes, updated
    while it runs) and each finished run's training and evaluation time."""

    def __init__(self, spec: Spec, layout: dict):
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
                runs.append({"run": run_dir(config).name, "train_seconds": m["train_seconds"],
                             "evaluation_seconds": m["evaluation_seconds"]})
        total = len(plan(self.spec))
        payload = {"steps": self.spec.steps, "tables": list(self.spec.tables),
                   "runs_finished": len(runs), "runs_planned": total,
                   "wall_seconds": round(sum(i["seconds"] for i in self.invocations), 1),
                   "invocations": self.invocations, "runs": runs}
        tmp = self.path.with_suffix(".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(tmp, self.path)
        return payload


def measure_layout(script: str, out: Path, steps: int = 6000) -> list[dict]:
    """Train the same two short PSE* runs per seed under 2 workers x 1 thread and 1 worker x 2
    threads (`script` is scripts/reproduce.py); training ms/step and runs per hour at 160,000
    steps of each, written to `out` (json)."""
    import subprocess
    import sys
    import tempfile

    rows = []
    for workers, threads in ((2, 1), (1, 2)):
        with tempfile.TemporaryDirectory() as tmp:
            argv = ["--table", "1", "--rows", "pse_star", "--seeds", "2", "--steps", str(steps),
                    "--generation-repeats", "1", "--out", tmp, "--workers", str(workers),
                    "--threads", str(threads), "--readme", ""]
            t0 = time.time()
            subprocess.run([sys.executable, script, *argv], check=True, stdout=subprocess.DEVNULL)
            wall = time.time() - t0
            spec = Spec(tables=(1,), rows=("pse_star",), seeds=2, steps=steps,
                        generation_repeats=1, out=tmp)
            train_s = [m["train_seconds"] for m in map(finished_metrics, plan(spec)) if m]
            per_run = sum(train_s) / len(train_s)
            rows.append({"workers": workers, "threads": threads, "runs": len(train_s),
                         "wall_seconds": round(wall, 1),
                         "ms_per_step": round(1000 * per_run / steps, 2),
                         # Training only: a 160,000-step run is almost all training.
                         "runs_per_hour_at_160k": round(
                             workers * 3600 / (per_run * 160000 / steps), 2)})
            print(rows[-1], flush=True)
    out.write_text(json.dumps({"steps": steps, "model": "mnist pse_star 10-d and 20-d, 2 seeds",
                               "machine_cpus": os.cpu_count(), "layouts": rows}, indent=2) + "\n")
    return rows


README_BEGIN = "<!-- results table: scripts/reproduce.py writes it -->"
README_END = "<!-- end of results table -->"


def write_readme_table(readme: str, out: str):
    """Rewrite the table between the README's markers from the committed tables."""
    path = Path(readme) if readme else None
    if path is None or not path.is_file() or README_BEGIN not in (text := path.read_text()):
        return
    head, rest = text.split(README_BEGIN, 1)
    path.write_text(f"{head}{README_BEGIN}\n{summary_table(out)}{README_END}"
                    f"{rest.split(README_END, 1)[1]}")
    print(f"rewrote the results table of {path}")


def summary_table(results: str | Path = "results",
                  fallbacks: tuple = ("steps20000",)) -> str:
    """The PSE and PSE* rows of Tables 1 and 2 and Table 3's word-vector PSE* as one markdown
    table (the README's), from the committed table<N>.json: the converged budget's rows, and
    for a row not finished there the first fallback folder's, its budget in the steps column.
    Spreads are recomputed from the per-seed values as sample standard deviations. A last line
    counts the Tables 1-2 cells met at the converged budget (rows from a fallback do not count)."""
    from pse_tf.evaluation.tables import METRICS, cell, gap

    lines = ["| data set | model | steps | seeds | reconstruction ↓ (paper) | "
             "annotation % ↑ (paper) | generation % ↑ (paper) |",
             "|---|---|---|---|---|---|---|"]
    met, compared, budget = 0, 0, None
    for table in (1, 2, 3):
        dataset = TABLES[table][0]
        for row in TABLES[table][1]:
            # Tables 1-2's PSE rows, and Table 3's word-vector PSE* (the `make run` model).
            word_vectors = row.label_encoding != "onehot"
            if (row.model not in ("pse", "pse_star") or (table == 3) != word_vectors
                    or (table == 3 and row.model != "pse_star")):
                continue
            found = _committed_row(Path(results), table, row.label, fallbacks)
            if found is None:
                lines.append(f"| {dataset} | {row.label} | — | — | not run yet | | |")
                continue
            summary = summarise(found["runs"])
            label = "PSE* (10D), word vectors" if table == 3 else row.label
            lines.append("| " + " | ".join([
                dataset, label, f"{found['steps']:,}", str(len(found["runs"])),
                *(cell(k, summary.get(k), row.paper.get(k)) for k in METRICS)]) + " |")
            if table in (1, 2) and found["folder"] == Path(results):
                budget = found["steps"]
                for k in METRICS:
                    if summary.get(k) is not None and row.paper.get(k) is not None:
                        compared += 1
                        met += gap(k, summary[k]["mean"], row.paper[k]) <= 0
    lines.append("")
    if compared:
        lines.append(f"Tables 1–2 at {budget:,} steps: {met} of {compared} PSE/PSE\\* cells met.")
    return "\n".join(lines) + "\n"


def _committed_row(results: Path, table: int, label: str, fallbacks) -> dict | None:
    for folder in (results, *(results / f for f in fallbacks)):
        path = folder / f"table{table}.json"
        if path.is_file():
            for row in json.loads(path.read_text())["rows"]:
                if row["label"] == label:
                    return {**row, "folder": folder}
    return None
