"""Beyond the paper: the full-covariance label prior q(z|l) trained at the converged budget.

Five rows of Tables 1-2, each trained exactly as its committed diagonal row (same budget,
seeds and evaluation protocol) with the one model option `label_covariance=full`, so that each
seed pairs with the same seed of the diagonal row.

    python -m experiments.full_covariance.run --out /path/to/runs [--shard 0/2]
    python -m experiments.full_covariance.run --summarise

Each finished run writes results/full_covariance/<row>-seed<k>.json (its metrics and ms/step);
`--summarise` renders results/full_covariance.md from those files, the diagonal rows' per-seed
values in results/table1.json and table2.json, and the quiet-machine timing of
`experiments.full_covariance.timing` where it exists. Resumable: a finished run is reused and an
interrupted one resumes from its checkpoint (`runs.train`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

from pse_tf.config import ModelConfig, TrainConfig
from reproduction.readme import write_beyond_the_paper

RESULTS = Path(__file__).resolve().parents[2] / "results"
STEPS = 160000
SEEDS = (0, 1, 2)
GENERATION_REPEATS = 3  # as the committed tables
CHECKPOINT_EVERY = 5000
METRICS = ("reconstruction_error", "annotation_accuracy", "generation_accuracy")


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    table: int  # the table of its diagonal row
    label: str  # the diagonal row's label there
    dataset: str
    model: str
    latent_dim: int = 10
    options: tuple = ()

    def config(self, seed: int, out: str) -> TrainConfig:
        options = {**dict(self.options), "label_covariance": "full"}
        return TrainConfig(dataset=self.dataset, label_encoding="onehot", steps=STEPS, seed=seed,
                           out=out, generation_repeats=GENERATION_REPEATS,
                           checkpoint_every=CHECKPOINT_EVERY,
                           model=ModelConfig(name=self.model, latent_dim=self.latent_dim,
                                             options=options))


# In the order they train: the MNIST PSE* 20-d miss first.
ROWS = (
    Row("mnist-pse_star-z20", 1, "PSE* (20D)", "mnist", "pse_star", 20),
    Row("mnist-pse_star-z10", 1, "PSE* (10D)", "mnist", "pse_star", 10),
    Row("fashion_mnist-pse_star-z20", 2, "PSE* (20D)", "fashion_mnist", "pse_star", 20),
    Row("fashion_mnist-pse_star-z10", 2, "PSE* (10D)", "fashion_mnist", "pse_star", 10),
    Row("mnist-jmvae-alpha1", 1, "JMVAE (α = 1)", "mnist", "jmvae", 10, (("alpha", 1),)),
)


def run_file(results: Path, row: Row, seed: int) -> Path:
    return results / "full_covariance" / f"{row.key}-seed{seed}.json"


def train(out: str, results: Path, shard: int, shards: int) -> None:
    from pse_tf.runs import train as train_run

    jobs = [(row, seed) for row in ROWS for seed in SEEDS]
    for index, (row, seed) in enumerate(jobs):
        if index % shards != shard or run_file(results, row, seed).exists():
            continue
        print(f"[{index + 1}/{len(jobs)}] {row.key} seed {seed}", flush=True)
        result = train_run(row.config(seed, out), verbose=2, export=False)
        metrics = json.loads((Path(result.run_dir) / "metrics.json").read_text())
        record = {"row": row.key, "seed": seed, "steps": STEPS,
                  "options": {**dict(row.options), "label_covariance": "full"},
                  **{k: metrics[k] for k in METRICS},
                  "generation_accuracy_repeats": metrics.get("generation_accuracy_repeats"),
                  "train_seconds": metrics["train_seconds"],
                  "ms_per_step": 1000 * metrics["train_seconds"] / STEPS}
        path = run_file(results, row, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")


def _percent(key: str, value: float) -> float:
    return value if key == "reconstruction_error" else 100 * value


def _mean_sd(values):
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def diagonal_row(results: Path, row: Row) -> dict:
    table = json.loads((results / f"table{row.table}.json").read_text())
    for entry in table["rows"]:
        if entry["label"] == row.label:
            return entry
    raise KeyError(f"table {row.table} has no row {row.label!r}")


def summarise(results: Path) -> dict:
    """Per row: the full-covariance runs, the diagonal row's same seeds, and the paired
    differences (full - diag), mean and sample sd over the seeds both have."""
    rows = []
    for row in ROWS:
        full = {}
        for seed in SEEDS:
            path = run_file(results, row, seed)
            if path.exists():
                full[seed] = json.loads(path.read_text())
        diag = diagonal_row(results, row)
        diag_runs = {r["seed"]: r for r in diag["runs"]}
        entry = {"row": row.key, "label": row.label, "table": row.table, "seeds": sorted(full),
                 "paper": diag["paper"], "metrics": {}}
        for key in (*METRICS, "ms_per_step"):
            def value(run):
                if key == "ms_per_step":
                    return 1000 * run["train_seconds"] / STEPS
                return _percent(key, run[key])
            f_values = [value(full[s]) for s in sorted(full)]
            d_values = [value(diag_runs[s]) for s in sorted(full) if s in diag_runs]
            diffs = [value(full[s]) - value(diag_runs[s]) for s in sorted(full) if s in diag_runs]
            entry["metrics"][key] = {
                "full": _mean_sd(f_values) if f_values else None,
                "diag_same_seeds": _mean_sd(d_values) if d_values else None,
                "diag_row": _mean_sd([value(r) for r in diag["runs"]]),
                "paired_difference": _mean_sd(diffs) if diffs else None}
        rows.append(entry)
    timing = results / "full_covariance_timing.json"
    return {"steps": STEPS, "seeds": list(SEEDS), "generation_repeats": GENERATION_REPEATS,
            "rows": rows,
            "timing": json.loads(timing.read_text()) if timing.is_file() else None}


def readme_rows(results: Path) -> list[dict]:
    """The PSE and PSE* rows in the README's results table (`reproduction.readme`), each
    labelled as not the paper's model, beside the paper's values of its diagonal row."""
    rows = []
    for row in ROWS:
        if not row.label.startswith("PSE"):
            continue
        runs = [json.loads(path.read_text()) for seed in SEEDS
                if (path := run_file(results, row, seed)).exists()]
        rows.append({"table": row.table, "paper_label": row.label, "steps": STEPS,
                     "label": f"{row.label}, full-covariance q(z\\|l) — beyond the paper, "
                              "not its model",
                     "planned_seeds": len(SEEDS),
                     "runs": [{k: run[k] for k in ("seed", *METRICS) if k in run}
                              for run in runs]})
    return rows


def _fmt(pair, digits=1):
    if pair is None:
        return "—"
    mean, sd = pair
    return f"{mean:.{digits}f}" if math.isnan(sd) else f"{mean:.{digits}f} ± {sd:.{digits}f}"


def render(summary: dict) -> str:
    lines = ["# Full-covariance q(z|l): beyond the paper",
             "",
             "Not the paper's model: q(z|l) is `MultivariateNormalTriL` (model option "
             "`label_covariance=full`); everything else as the diagonal row of the same table "
             f"({summary['steps']:,} steps, batch 100, generation over "
             f"{summary['generation_repeats']} × 100,000 images). Mean ± sample sd (ddof = 1) "
             "over the seeds listed; *paired* is full − diagonal on the same seeds. "
             "ms/step is train time / steps from the same runs (compilation and periodic "
             "validation included), on the 2-core CPU machine, other jobs running beside it.",
             "",
             "Made by `python -m experiments.full_covariance.run --summarise`.",
             ""]
    names = {"reconstruction_error": "reconstruction (nats)",
             "annotation_accuracy": "annotation (%)", "generation_accuracy": "generation (%)",
             "ms_per_step": "ms/step"}
    for row in summary["rows"]:
        lines += [f"## {row['row']} (Table {row['table']}, beside “{row['label']}”)", "",
                  f"Seeds finished: {row['seeds'] or 'none yet'}.", "",
                  "| metric | paper | diagonal row (3 seeds) | diagonal, same seeds | full | "
                  "paired full − diag |", "|---|---|---|---|---|---|"]
        for key, name in names.items():
            m = row["metrics"][key]
            paper = row["paper"].get(key) if key != "ms_per_step" else None
            lines.append(f"| {name} | {'—' if paper is None else paper} | "
                         f"{_fmt(m['diag_row'])} | {_fmt(m['diag_same_seeds'])} | "
                         f"{_fmt(m['full'])} | {_fmt(m['paired_difference'], 2)} |")
        lines.append("")
    timing = summary.get("timing")
    lines += ["## The Cholesky factor's cost, timed apart", ""]
    if not timing:
        lines += ["Not measured yet (`python -m experiments.full_covariance.timing`).", ""]
    else:
        lines += [f"`python -m experiments.full_covariance.timing`: each row's diagonal and "
                  f"full models through the training path, warmed up, median of "
                  f"{timing['rows'][0]['repeats']} interleaved timings of "
                  f"{timing['rows'][0]['steps']} steps, {timing['threads']} TF thread(s), "
                  "nothing else running.", "",
                  "| row | diagonal ms/step | full ms/step | full ÷ diagonal |",
                  "|---|---|---|---|"]
        lines += [f"| {r['row']} | {r['diag_ms']:.2f} | {r['full_ms']:.2f} | {r['ratio']:.2f} |"
                  for r in timing["rows"]]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs", help="run folders (default runs/)")
    p.add_argument("--results", default=str(RESULTS), help="results folder (default results/)")
    p.add_argument("--shard", default="0/1", help="I/N: train every Nth run from the Ith")
    p.add_argument("--threads", type=int, default=0, help="TF threads (default: TF's choice)")
    p.add_argument("--summarise", action="store_true", help="only write the summary")
    args = p.parse_args(argv)
    results = Path(args.results)
    if not args.summarise:
        try:
            shard, shards = (int(x) for x in args.shard.split("/"))
            assert 0 <= shard < shards
        except (ValueError, AssertionError):
            p.error(f"--shard takes I/N with 0 <= I < N, got {args.shard!r}")
        if args.threads:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        train(args.out, results, shard, shards)
    summary = summarise(results)
    (results / "full_covariance.json").write_text(json.dumps(summary, indent=1) + "\n")
    (results / "full_covariance.md").write_text(render(summary))
    write_beyond_the_paper(results, "full_covariance", readme_rows(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
