"""A run's identity, decided here alone: its folder's name and place, whether it finished, its
files (config.json, dataset.json, status.json, history.json, logs/, checkpoints/,
model.weights.h5, metrics.json, samples.png). Imports no TensorFlow: jobs of many runs plan
with it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from pse_tf import atomic, checkpoints
from pse_tf.config import TrainConfig
from pse_tf.data.catalog import DataSummary, slug

FINAL_WEIGHTS = "model.weights.h5"
CONFIG = "config.json"
METRICS = "metrics.json"
STATUS = "status.json"
DATA_SUMMARY = "dataset.json"
# What `pse_tf.evaluation.run_metrics.evaluate` writes into metrics.json: a run that has them
# all for its budget and protocol is evaluated.
EVALUATION_KEYS = ("reconstruction_error", "annotation_accuracy", "generation_accuracy",
                   "generation_accuracy_std", "generation_accuracy_repeats", "generation_repeats",
                   "generation_samples_per_label", "evaluator_test_accuracy",
                   "evaluation_seconds")
# What it writes besides, only for grouped labels or a mixture q(z|l); kept when reused.
OPTIONAL_EVALUATION_KEYS = ("in_set_generation_by_label", "coverage_distance_by_label",
                            "in_set_generation_grouped", "coverage_distance",
                            "generation_counts", "label_mixture_weights")
# Settings that do not change the trained model: a run directory made with other values of these
# is the same run.
NOT_THE_MODEL = ("out", "generation_repeats", "generation_samples_per_label", "checkpoint_every",
                 "keep_weights_at")
# Settings named in the run name after the model options, each only when set: one line each
# (a name part, or a false value for none), so existing folders keep their names.
NAMED_SETTINGS = (
    lambda c: c.label_neighbours and f"neighbours{c.label_neighbours}",
    lambda c: (c.label_neighbours and c.label_name_share is not None
               and f"share{c.label_name_share:g}"),
    lambda c: c.lexicon != "none" and f"lexicon{c.lexicon}",
    lambda c: c.label_groups and "groups" + hashlib.sha256(
        json.dumps(c.label_groups, sort_keys=True).encode()).hexdigest()[:8],
)


def run_name(config: TrainConfig) -> str:
    """<dataset>-<model>-<labels>-z<latent>[-<architecture>, unless mlp]-seed<seed>, then each
    model option (-alpha1.0) and
    each of `NAMED_SETTINGS` that is set (-neighbours4-share0.5, -lexiconwordnet,
    -groups<hash of the label groups>)."""
    m = config.model
    parts = [slug(config.dataset), m.name, config.label_encoding, f"z{m.latent_dim}",
             *([m.architecture] if m.architecture != "mlp" else []), f"seed{config.seed}", *(f"{k}{v}" for k, v in sorted(m.options.items())),
             *(part for named in NAMED_SETTINGS if (part := named(config)))]
    return "-".join(parts)


def resolve_run_dir(config: TrainConfig, run_dir: str | Path | None = None) -> Path:
    """`run_dir`, or by default <config.out>/<run_name>."""
    return Path(run_dir or Path(config.out) / run_name(config))


def check_writable(path: str | Path, what: str):
    """Refuse a folder that cannot be created or written, before any work is done.

    Raises:
        NotADirectoryError: `path`, or the nearest part of it that exists, is a file.
        PermissionError: that part is a folder this process cannot write.
    """
    path = Path(path).absolute()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(f"cannot create the {what} {path}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write the {what} {path}: {existing} is not writable")


def prepare_run_dir(config: TrainConfig, run_dir: Path | None, overwrite: bool,
                    dataset=None) -> Path:
    """Create the run directory with config.json and, given the Dataset, dataset.json (its
    spec, class names, image shape and split sizes, so `load_run` rebuilds the model without
    the data); an existing one is resumed only if its config is the same."""
    run_dir = resolve_run_dir(config, run_dir)
    saved = run_dir / CONFIG
    if saved.exists() and not overwrite:
        previous = TrainConfig.from_json(saved).to_dict()
        current = config.to_dict()
        # Evaluation settings do not change the trained model, and more steps on a constant
        # learning rate is a legitimate extension of the same run.
        ignored = set(NOT_THE_MODEL)
        if config.lr_schedule == "constant":
            ignored.add("steps")
        changed = sorted(k for k in current if previous.get(k) != current[k] and k not in ignored)
        if changed:
            raise FileExistsError(
                f"{run_dir} holds a run with a different config ({', '.join(changed)} differ); "
                "pass --overwrite to replace it or --run-dir for a new folder")
    elif overwrite and run_dir.exists():
        checkpoints.remove_all(run_dir)
        for name in (FINAL_WEIGHTS, METRICS, STATUS, "history.json"):
            (run_dir / name).unlink(missing_ok=True)
    atomic.write_json(saved, config.to_dict(), sort_keys=True)
    if dataset is not None:
        atomic.write_json(run_dir / DATA_SUMMARY, dataclasses.asdict(DataSummary.of(dataset)))
    return run_dir


def fingerprint(config: TrainConfig) -> int:
    """A 63-bit hash of the settings that make the trained model (`NOT_THE_MODEL` aside)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in NOT_THE_MODEL}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def write_status(run_dir: Path, state: str, **details):
    """status.json: `training`, `failed` (with the error and the step) or `finished`."""
    atomic.write_json(Path(run_dir) / STATUS, {"state": state, **details})


def write_metrics(run_dir: Path, metrics: dict):
    """metrics.json, atomically: a job reading it while it is rewritten sees a whole file."""
    atomic.write_json(Path(run_dir) / METRICS, metrics)


def reusable_evaluation(run_dir: Path, config: TrainConfig) -> dict | None:
    """The test metrics a finished run already has for this budget and evaluation protocol,
    so re-running a table or figure does not re-evaluate it; None if there are none."""
    path = Path(run_dir) / METRICS
    if not path.exists():
        return None
    previous = json.loads(path.read_text())
    if (previous.get("steps") != config.steps
            or previous.get("generation_repeats") != config.generation_repeats
            or previous.get("generation_samples_per_label") != config.generation_samples_per_label
            or any(k not in previous for k in EVALUATION_KEYS)):
        return None
    return {k: previous[k] for k in (*EVALUATION_KEYS, *OPTIONAL_EVALUATION_KEYS)
            if k in previous}


def finished_run(config: TrainConfig) -> Path | None:
    """The default run directory of `config` if it holds a finished run of the same config
    (evaluation settings aside), else None."""
    run_dir = resolve_run_dir(config)
    if not (run_dir / FINAL_WEIGHTS).is_file() or not (run_dir / CONFIG).is_file():
        return None
    saved = TrainConfig.from_json(run_dir / CONFIG).to_dict()
    same = all(saved.get(k) == v for k, v in config.to_dict().items() if k not in NOT_THE_MODEL)
    return run_dir if same else None


def finished_metrics(config: TrainConfig) -> dict | None:
    """metrics.json of the config's default run directory if its run finished (same config,
    evaluation settings aside) and was evaluated at this budget with this protocol; else None.
    What a job of many runs reads to skip the ones already done."""
    run_dir = finished_run(config)
    if run_dir is None or reusable_evaluation(run_dir, config) is None:
        return None
    return json.loads((run_dir / METRICS).read_text())


def trained_config(config: TrainConfig) -> TrainConfig:
    """The config a run of `config` was trained with (its config.json: the settings of
    `NOT_THE_MODEL` may differ from `config`'s); `config` itself while it has none."""
    path = resolve_run_dir(config) / CONFIG
    return TrainConfig.from_json(path) if path.is_file() else config
