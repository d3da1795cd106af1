"""A run directory's life: prepare or resume it, train, evaluate on the test set, draw samples,
export; and `load_run(run_dir)`, which rebuilds a finished run from its directory alone.
What the folder is called and holds is `pse_tf.run_folder`'s."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import keras
import tensorflow as tf

from pse_tf import checkpoints, distribute, replicas
from pse_tf.config import TrainConfig
from pse_tf.data.catalog import slug
from pse_tf.evaluation.run_metrics import evaluate
from pse_tf.models import create_model, get_model_class
from pse_tf.run_folder import (CONFIG, DATA_SUMMARY, FINAL_WEIGHTS, STATUS, check_writable,
                               fingerprint, prepare_run_dir, resolve_run_dir,
                               reusable_evaluation, write_metrics, write_status)
from pse_tf.training import NonFiniteError, build_model, fit


class ExportError(RuntimeError):
    """The export of a finished run could not be written; the run directory is complete."""


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
        if config.label_groups:
            from pse_tf.data.label_groups import LabelGroups

            class_names = LabelGroups.build(config.label_groups, class_names).names
    return LabelEncoding.build(class_names, config.label_encoding, config.word_vectors,
                               config.lexicon)


def export_name(config: TrainConfig) -> str:
    """The export folder name of a run: <dataset>_<model>_<labels>."""
    return f"{slug(config.dataset)}_{config.model.name}_{config.label_encoding}"


def train(config: TrainConfig, run_dir: str | Path | None = None, verbose: int = 1,
          overwrite: bool = False, run_evaluation: bool = True, export: bool = True,
          export_dir: str | Path = "exported") -> RunResult:
    """Train, evaluate on the test set, draw samples and export: the whole job of scripts/train.py.

    An interrupted run resumes from its checkpoint; a finished one reuses its metrics. Bad input
    (ConfigError, unwritable folders, missing data or words) is refused before anything is
    written. Under a strategy, evaluation and export use a plain copy of the trained model
    (`load_run`); under multi_worker only the chief writes, evaluates and exports.

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
    # Test metrics this protocol already made (a finished run trained again): fit leaves them.
    # Read before the folder is prepared, which under `overwrite` deletes them.
    previous = (reusable_evaluation(run_dir, config)
                if chief and run_evaluation and not overwrite else None)
    config_hash = fingerprint(config)
    if chief:
        prepare_run_dir(config, run_dir, overwrite, dataset)
    # Also a barrier: no worker looks for a checkpoint before the chief has prepared the folder.
    replicas.same_on_every_worker(context.strategy, config_hash, "the config (its hash)")
    model = build_model(config, encoding, context)

    t0 = time.time()
    if chief:
        write_status(run_dir, "training")
    try:
        history = fit(model, config, dataset, context, verbose=verbose)
    except NonFiniteError as e:
        if not chief:
            raise
        last = checkpoints.latest(run_dir)
        write_status(run_dir, "failed", error=str(e), step=e.step, non_finite=e.names,
                      last_checkpoint=last.step if last else None)
        kept = f"the checkpoint of step {last.step} is kept" if last else "no checkpoint was made"
        raise NonFiniteError(e.step, e.names, f"{kept} ({run_dir / STATUS})") from None
    train_seconds = time.time() - t0
    if not chief:
        return RunResult(run_dir, model, {}, history)
    write_status(run_dir, "finished", steps=config.steps)
    if context.strategy is not None or config.mixed_precision:
        model = load_run(run_dir)[0]  # float32, on one device: what is evaluated and exported

    return finish_run(config, run_dir, model, history, encoding, dataset, train_seconds,
                      previous, verbose, run_evaluation, export, export_dir)


def finish_run(config: TrainConfig, run_dir: Path, model, history: dict, encoding, dataset,
               train_seconds: float, previous: dict | None = None, verbose: int = 1,
               run_evaluation: bool = True, export: bool = True,
               export_dir: str | Path = "exported") -> RunResult:
    """What `train` does once the model is trained and its final weights saved: metrics.json
    (test metrics; `previous`, those this protocol already made, are reused), samples.png,
    the export."""
    results = {"dataset": config.dataset, "model": config.model.name,
               "label_encoding": config.label_encoding, "latent_dim": config.model.latent_dim,
               "seed": config.seed, "steps": config.steps, "batch_size": config.batch_size,
               "train_seconds": history.get("train_seconds"),
               "train_seconds_this_session": train_seconds,
               "word_vectors": encoding.word_vectors_source, "lexicon": config.lexicon}
    if run_evaluation:
        if previous is not None and verbose:
            print(f"{run_dir}: finished and evaluated with this protocol; metrics reused")
        results.update(previous or evaluate(model, dataset, config, verbose=verbose,
                                                 run_dir=run_dir))
        write_metrics(run_dir, results)
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
        write_metrics(run_dir, results)
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
    if config.label_groups:
        from pse_tf.data.label_groups import LabelGroups
        dataset = LabelGroups.grouped(dataset, config.label_groups)
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


def load_run(run_dir: str | Path):
    """Rebuild a finished run from its directory alone: (model, config, encoding), the model
    built from config.json with its final weights; no optimizer, no data, nothing trained.

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
