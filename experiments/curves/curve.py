"""A learning curve from one run's kept weights: the test metrics at each budget, under every
reading of `experiments.study.readings`, and results/learning_curve.md.

A run keeps its weights at chosen steps (`TrainConfig.keep_weights_at`, in
<run>/weights/step-N.weights.h5) and its final ones (model.weights.h5, at `config.steps`), so a
curve costs one training to the largest budget, or nothing but evaluation for a run that already
kept them (the tables' runs keep 20k/40k/80k/120k: `reproduction.job.CURVE_STEPS`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from experiments.study.readings import READINGS, all_readings
from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.runs import FINAL_WEIGHTS, load_data, load_run

def curve_config(budgets: Sequence[int], checkpoint_every: int, **settings) -> TrainConfig:
    """The run of a curve: trained to max(budgets), keeping its weights at the other budgets.

    Args:
        budgets: steps to evaluate at; each a multiple of `checkpoint_every`.
        settings: dataset, label_encoding, seed, out (TrainConfig fields) and model, latent_dim.
    """
    model = ModelConfig(name=settings.pop("model", "pse_star"),
                        latent_dim=settings.pop("latent_dim", 10))
    budgets = sorted(set(budgets))
    return TrainConfig(steps=budgets[-1], checkpoint_every=checkpoint_every,
                       keep_weights_at=tuple(budgets[:-1]), model=model, **settings)


def kept_weights(run_dir: str | Path, config: TrainConfig) -> dict[int, Path]:
    """{step: weights file} of a run: its kept weights and its final ones, by step."""
    run_dir = Path(run_dir)
    kept = {int(path.name.split("-")[1].split(".")[0]): path
            for path in (run_dir / "weights").glob("step-*.weights.h5")}
    if (run_dir / FINAL_WEIGHTS).is_file():
        kept[config.steps] = run_dir / FINAL_WEIGHTS
    return dict(sorted(kept.items()))


def curve_key(config: TrainConfig) -> dict:
    """What identifies a curve in results/learning_curve.json (with "steps": a row). Model
    options (JMVAE's alpha=1, ...) make another curve; a run with none keeps the key it always
    had, so rows read before options existed still match."""
    key = {"dataset": config.dataset, "model": config.model.name,
           "label_encoding": config.label_encoding, "latent_dim": config.model.latent_dim,
           "seed": config.seed}
    if config.model.options:
        key["options"] = dict(config.model.options)
    return key


def curve_rows(run_dir: str | Path, evaluator: Callable, samples_per_label: int,
               done: Callable[[dict], bool] = lambda row: False,
               steps: Sequence[int] | None = None) -> Iterator[dict]:
    """A row per kept budget of a finished run (`steps` of them, default all) not `done`: the
    run's key, its steps, every reading, the evaluation time.

    Args:
        evaluator: dataset name -> the fixed evaluator (loaded only when a row is to be made).
        done: key + steps -> whether that row exists already.
    """
    model, config, _ = load_run(run_dir)
    key = curve_key(config)
    todo = {s: p for s, p in kept_weights(run_dir, config).items()
            if (steps is None or s in steps) and not done({**key, "steps": s})}
    if not todo:
        return
    dataset, _ = load_data(config)  # binarised test images for a binarised run
    classifier = evaluator(config.dataset)
    for step, weights in todo.items():
        model.load_weights(weights)
        t0 = time.time()
        row = {**key, "steps": step, "run": Path(run_dir).name,
               **all_readings(model, dataset, classifier, seed=config.seed,
                              samples_per_label=samples_per_label)}
        row["evaluation_seconds"] = time.time() - t0
        yield row


def _cell(key: str, value) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if key.startswith("reconstruction") else f"{100 * value:.1f}"


def render_curve(state: dict) -> str:
    """results/learning_curve.md: one table per (dataset, model, labels, seed), a row per budget."""
    lines = ["# Learning curve (reproduction study)", "",
             "One long run per data set (constant learning rate), its weights kept at each "
             "budget, the test metrics at each budget under every reading "
             "(`experiments/study/readings.py`; accuracies in %, generation: one repeat of "
             "10,000 images per label). The paper states 2,000 steps. Regenerate: "
             "`python -m experiments.curves.learning_curve --dataset mnist` (and "
             "`fashion_mnist`), or from runs that kept their weights: `--runs RUN_DIR ...`.", ""]
    groups: dict = {}
    for row in state["rows"]:
        options = ", ".join(f"{k}={v}" for k, v in row.get("options", {}).items())
        groups.setdefault((row["dataset"], row["model"], row["label_encoding"],
                           row["latent_dim"], row["seed"], options), []).append(row)
    for (data, model, labels, dim, seed, options), rows in groups.items():
        options = f" · {options}" if options else ""
        lines += [f"## {data} · {model} {dim}-d{options} · {labels} labels · seed {seed}", "",
                  "| steps | " + " | ".join(label for _, label in READINGS)
                  + " | σ q(z|x) | σ q(z|l) |",
                  "|---" * (len(READINGS) + 3) + "|"]
        for row in sorted(rows, key=lambda r: r["steps"]):
            lines.append(f"| {row['steps']:,} | "
                         + " | ".join(_cell(k, row.get(k)) for k, _ in READINGS)
                         + f" | {row['image_sigma_mean']:.2f} | {row['label_sigma_mean']:.2f} |")
        lines.append("")
    return "\n".join(lines)
