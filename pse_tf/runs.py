"""A run directory's life: prepare or resume it, train, evaluate on the test set, draw samples,
export; and `load_run(run_dir)`, which rebuilds a finished run from its directory alone.

A run directory holds config.json, history.json, TensorBoard logs (logs/), the checkpoint
(`pse_tf.training`), model.weights.h5 (the final weights), metrics.json and samples.png.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from pathlib import Path

import keras
import tensorflow as tf

from pse_tf.config import TrainConfig
from pse_tf.registry import create_model, get_model_class
from pse_tf import checkpoints, distribute
from pse_tf.data.catalog import slug
from pse_tf.evaluation.run_metrics import EVALUATION_KEYS, evaluate
from pse_tf.training import NonFiniteError, build_model, fit

FINAL_WEIGHTS = "model.weights.h5"
CONFIG = "config.json"
METRICS = "metrics.json"
STATUS = "status.json"
DATA_SUMMARY = "dataset.json"
# Settings that do not change the trained model: a run directory made with other values of these
# is the same run.
NOT_THE_MODEL = ("out", "generation_repeats", "generation_samples_per_label", "checkpoint_every",
                 "keep_weights_at")


def default_run_name(config: TrainConfig) -> str:
    """<dataset>-<model>-<labels>-z<latent>[-<architecture>, unless mlp]-seed<seed>, then any
    model options (-alpha1.0), neighbour phrases and lexicon (-lexiconwordnet)."""
    m = config.model
    options = "".join(f"-{k}{v}" for k, v in sorted(m.options.items()))
    neighbours = f"-neighbours{config.label_neighbours}" if config.label_neighbours else ""
    if config.label_neighbours and config.label_name_share is not None:
        neighbours += f"-share{config.label_name_share:g}"
    lexicon = f"-lexicon{config.lexicon}" if config.lexicon != "none" else ""
    architecture = f"-{m.architecture}" if m.architecture != "mlp" else ""
    return (f"{slug(config.dataset)}-{m.name}-{config.label_encoding}-z{m.latent_dim}"
            f"{architecture}-seed{config.seed}{options}{neighbours}{lexicon}")


class ExportError(RuntimeError):
    """The export of a finished run could not be written; the run directory is complete."""


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


def resolve_run_dir(config: TrainConfig, run_dir: Path | None) -> Path:
    """`run_dir`, or by default <config.out>/<default_run_name>."""
    return Path(run_dir or Path(config.out) / default_run_name(config))


def prepare_run_dir(config: TrainConfig, run_dir: Path | None, overwrite: bool) -> Path:
    """Create the run directory; an existing one is resumed only if its config is the same."""
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
    run_dir.mkdir(parents=True, exist_ok=True)
    config.to_json(saved)
    return run_dir


@dataclasses.dataclass
class RunResult:
    """What `train` leaves: the run directory, the trained model, metrics.json's content and the
    training history."""

    run_dir: Path
    model: keras.Model
    metrics: dict
    history: dict


def label_encoding(config: TrainConfig, class_names=None):
    """The LabelEncoding of the config's data set classes (one-hot or word-vector phrases).

    `class_names` is needed for your own data (the data set's, or dataset.json's in a run
    directory); the built-in data sets know theirs.
    """
    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels import LabelEncoding

    if class_names is None:
        class_names = CLASS_NAMES[config.dataset]
    return LabelEncoding.build(class_names, config.label_encoding, config.word_vectors,
                               config.lexicon)


def _reusable_evaluation(run_dir: Path, config: TrainConfig) -> dict | None:
    """The test metrics a finished run already has for this budget and evaluation protocol,
    so re-running a table or figure does not re-evaluate it; None if there are none."""
    path = run_dir / METRICS
    if not path.exists():
        return None
    previous = json.loads(path.read_text())
    if (previous.get("steps") != config.steps
            or previous.get("generation_repeats") != config.generation_repeats
            or previous.get("generation_samples_per_label") != config.generation_samples_per_label
            or any(k not in previous for k in EVALUATION_KEYS)):
        return None
    return {k: previous[k] for k in EVALUATION_KEYS}


def _write_metrics(run_dir: Path, results: dict):
    (run_dir / METRICS).write_text(json.dumps(results, indent=2) + "\n")


def write_status(run_dir: Path, state: str, **details):
    """status.json: `training`, `failed` (with the error and the step) or `finished`."""
    (run_dir / STATUS).write_text(json.dumps({"state": state, **details}, indent=2) + "\n")


def export_name(config: TrainConfig) -> str:
    """The export folder name of a run: <dataset>_<model>_<labels>."""
    return f"{slug(config.dataset)}_{config.model.name}_{config.label_encoding}"


def train(config: TrainConfig, run_dir: str | Path | None = None, verbose: int = 1,
          overwrite: bool = False, run_evaluation: bool = True, export: bool = True,
          export_dir: str | Path = "exported") -> RunResult:
    """Train, evaluate on the test set, draw samples and export: the whole job of scripts/train.py.

    A run interrupted part-way resumes from its checkpoint; a finished run evaluated with the
    same protocol reuses its metrics. Bad input is refused before anything is written: a model
    option the model does not declare, a batch that does not split over the strategy's replicas,
    mixed precision without a GPU (ConfigError), a run or export folder that cannot be written
    (OSError), missing data or word vectors, a word they lack (OSError, ValueError).

    Under a strategy (`config.strategy`) the test metrics, samples and export come from a plain
    copy of the trained model (`load_run`). Under multi_worker only the chief writes the run
    directory and evaluates and exports; another worker trains and returns its model.

    Raises:
        ExportError: the run finished but its export could not be written (a full disk); no
            partial export version is left and running the same call again exports it.
    """
    # First: multi_worker must be created before TensorFlow runs anything in this process. The
    # context is made once, every check of the config against the machine done in it.
    context = distribute.RunContext.create(config, resolve_run_dir(config, run_dir))
    get_model_class(config.model.name).check_options(config.model)
    chief, run_dir = context.chief, context.run_dir
    if chief:
        check_writable(run_dir, "run directory")
        if export:
            check_writable(export_dir, "export directory")
    # Everything a bad input can fail (data, a class name without a word vector) comes before the
    # run directory exists, so a run that never started leaves no directory that looks like a run.
    dataset, encoding = load_data(config)
    if chief:
        prepare_run_dir(config, run_dir, overwrite)
        write_data_summary(run_dir, dataset)
    # Also a barrier: no worker looks for a checkpoint before the chief has prepared the folder.
    context.same_on_every_worker(_fingerprint(config), "the config (its hash)")
    model = build_model(config, encoding, context)

    t0 = time.time()
    if chief:
        write_status(run_dir, "training")
    try:
        history = fit(model, config, dataset, run_dir, verbose=verbose, context=context)
    except NonFiniteError as e:
        if not chief:
            raise
        last = checkpoints.latest(run_dir)
        write_status(run_dir, "failed", error=str(e), step=e.step, non_finite=e.names,
                      last_checkpoint=last.step if last else None)
        kept = f"the checkpoint of step {last.step} is kept" if last else "no checkpoint was made"
        raise NonFiniteError(e.step, e.names, f"{kept} ({run_dir / STATUS})") from None
    train_seconds = time.time() - t0
    with context.writable_dir() as out_dir:
        model.save_weights(out_dir / FINAL_WEIGHTS)
    if not chief:
        return RunResult(run_dir, model, {}, history)
    write_status(run_dir, "finished", steps=config.steps)
    if context.strategy is not None or config.mixed_precision:
        model = load_run(run_dir)[0]  # float32, on one device: what is evaluated and exported

    return finish_run(config, run_dir, model, history, encoding, dataset, train_seconds,
                      verbose, run_evaluation, export, export_dir)


def finish_run(config: TrainConfig, run_dir: Path, model, history: dict, encoding, dataset,
               train_seconds: float, verbose: int = 1, run_evaluation: bool = True,
               export: bool = True, export_dir: str | Path = "exported") -> RunResult:
    """What `train` does once the model is trained and its final weights saved: metrics.json
    (test metrics, reused when this protocol already made them), samples.png, the export."""
    results = {"dataset": config.dataset, "model": config.model.name,
               "label_encoding": config.label_encoding, "latent_dim": config.model.latent_dim,
               "seed": config.seed, "steps": config.steps, "batch_size": config.batch_size,
               "train_seconds": history.get("train_seconds"),
               "train_seconds_this_session": train_seconds,
               "word_vectors": encoding.word_vectors_source, "lexicon": config.lexicon}
    if run_evaluation:
        previous = _reusable_evaluation(run_dir, config)
        if previous is not None and verbose:
            print(f"{run_dir}: finished and evaluated with this protocol; metrics reused")
        results.update(previous or evaluate(model, dataset, config, verbose=verbose,
                                                 run_dir=run_dir))
        _write_metrics(run_dir, results)
        if previous is None or not (run_dir / "samples.png").exists():
            from pse_tf import plotting

            plotting.save_sample_grid(model, run_dir / "samples.png", seed=config.seed)
    if export:
        from pse_tf.export import export_model

        try:
            exported = export_model(model, export_name(config), export_dir=export_dir,
                                    text_options={"word_vectors": config.word_vectors,
                                                  "lexicon": config.lexicon})
        except (OSError, tf.errors.OpError) as e:  # TF's own file writes raise OpError
            raise ExportError(
                f"could not export to {Path(export_dir) / export_name(config)}: "
                f"{' '.join(str(e).split())}; the run in {run_dir} finished and is kept: run "
                "the same command again to export it") from e
        results["export"] = str(exported.path)
        _write_metrics(run_dir, results)
        if verbose:
            print(f"exported SavedModel + TFLite to {exported.path}")
    return RunResult(run_dir, model, results, history)


def load_data(config: TrainConfig):
    """(Dataset, LabelEncoding) of the config's data set; for your own data, also sets
    `config.model.image_dim` and `image_shape` from the images.

    Raises:
        DataError: bad data (one line: `pse_tf.data.catalog`).
        OOVError: a class phrase has a word without a word vector.
    """
    from pse_tf.data.catalog import load, parse_spec

    dataset = load(config.dataset, config.data_options)
    if config.held_out_classes:
        from pse_tf.data.held_out import without_classes
        dataset = without_classes(dataset, config.held_out_classes)
    if parse_spec(config.dataset)[0] != "builtin":
        shape = tuple(int(d) for d in dataset.train_images.shape[1:])
        config.model.image_dim = math.prod(shape)
        config.model.image_shape = shape
    if config.binarize != "none":
        # Validation and test are one fixed draw under either mode, so that static and dynamic
        # runs are scored on the same images; dynamic training draws afresh in the loop.
        from pse_tf.data import binarize

        dataset = dataclasses.replace(
            dataset, val_images=binarize(dataset.val_images, 1),
            test_images=binarize(dataset.test_images, 2),
            train_images=(binarize(dataset.train_images, 0) if config.binarize == "static"
                          else dataset.train_images))
    if config.batch_size > len(dataset.train_images):
        raise ValueError(f"batch_size {config.batch_size} exceeds the {len(dataset.train_images)} "
                         f"training images of {config.dataset}; pass a smaller --batch-size")
    return dataset, label_encoding(config, dataset.class_names)


def write_data_summary(run_dir: Path, dataset) -> None:
    """dataset.json: the spec, class names, image shape and split sizes, so `load_run` rebuilds
    the model without the data."""
    from pse_tf.data.catalog import DataSummary

    summary = dataclasses.asdict(DataSummary.of(dataset))
    (Path(run_dir) / DATA_SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")


def _fingerprint(config: TrainConfig) -> int:
    """A 63-bit hash of the settings that make the trained model (`NOT_THE_MODEL` aside)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in NOT_THE_MODEL}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def finished_run(config: TrainConfig) -> Path | None:
    """The default run directory of `config` if it holds a finished run of the same config
    (evaluation settings aside), else None."""
    run_dir = resolve_run_dir(config, None)
    if not (run_dir / FINAL_WEIGHTS).is_file() or not (run_dir / CONFIG).is_file():
        return None
    saved = TrainConfig.from_json(run_dir / CONFIG).to_dict()
    same = all(saved.get(k) == v for k, v in config.to_dict().items() if k not in NOT_THE_MODEL)
    return run_dir if same else None


def reusable_metrics(config: TrainConfig) -> dict | None:
    """metrics.json of the config's default run directory if its run finished (same config,
    evaluation settings aside) and was evaluated at this budget with this protocol; else None.
    What a job of many runs reads to skip the ones already done."""
    run_dir = finished_run(config)
    if run_dir is None or _reusable_evaluation(run_dir, config) is None:
        return None
    return json.loads((run_dir / METRICS).read_text())


def load_run(run_dir: str | Path):
    """Rebuild a finished run from its directory alone: (model, config, encoding).

    The model is the registered class built from config.json with the final weights
    (model.weights.h5) loaded; no optimizer, no training data, nothing is trained.

    Raises:
        FileNotFoundError: `run_dir` is not a run directory, or its run has not finished
            (the message says which file is missing and how to finish the run).
    """
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory: it has no {CONFIG}")
    config = TrainConfig.from_json(run_dir / CONFIG)
    if not (run_dir / FINAL_WEIGHTS).is_file():
        raise FileNotFoundError(
            f"{run_dir} has no {FINAL_WEIGHTS}: its training has not finished; rerun "
            f"`python scripts/train.py --config {run_dir / CONFIG} --run-dir {run_dir}` to resume")
    class_names = None
    if (run_dir / DATA_SUMMARY).is_file():
        class_names = json.loads((run_dir / DATA_SUMMARY).read_text())["class_names"]
    encoding = label_encoding(config, class_names)
    model = create_model(config, encoding)
    model.load_weights(run_dir / FINAL_WEIGHTS)
    return model, config, encoding
