"""train(config) -> run directory: the fast in-graph training loop, checkpoints, logs, evaluation."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pse_tf.config import TrainConfig
from pse_tf.data import flat_float
from pse_tf.evaluation.metrics import annotation_accuracy
from pse_tf.registry import get_model_class

CHECKPOINT = "checkpoint.weights.h5"
OPTIMIZER_STATE = "checkpoint.optimizer.npz"
STATE = "checkpoint.json"


def build_model(config: TrainConfig, encoding) -> keras.Model:
    """The registered model for `config.model.name`, with every weight created and Adam attached.

    Weights are initialised from `config.seed`, so the same config builds the same model.
    """
    keras.utils.set_random_seed(config.seed)
    cls = get_model_class(config.model.name)
    model = cls(config.model, encoding.vectors, encoding.class_names, config.label_encoding,
                seed=config.seed).build_all()
    stage, steps = model.training_stages(config.steps)[0]
    model.begin_stage(stage)
    attach_optimizer(model, config, steps)
    return model


def attach_optimizer(model, config: TrainConfig, steps: int):
    """A fresh Adam over the model's currently trainable weights (one per training stage)."""
    learning_rate = config.learning_rate
    if config.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    model.optimizer.build(model.trainable_variables)


class EpochBatches:
    """Batch indices for step s: epoch s // steps_per_epoch, shuffled without replacement.

    A pure function of (seed, step), so a resumed run sees exactly the batches it would have.
    The last partial batch of an epoch is dropped (50,000 / 100 divides exactly).
    """

    def __init__(self, num_examples: int, batch_size: int, seed: int):
        if batch_size > num_examples:
            raise ValueError(f"batch_size {batch_size} exceeds the {num_examples} training examples")
        self.n, self.batch_size, self.seed = num_examples, batch_size, seed
        self.steps_per_epoch = num_examples // batch_size
        self._epoch, self._perm = None, None

    def __call__(self, start: int, count: int) -> np.ndarray:
        rows = []
        for step in range(start, start + count):
            epoch, k = divmod(step, self.steps_per_epoch)
            if epoch != self._epoch:
                self._epoch = epoch
                self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            rows.append(self._perm[k * self.batch_size:(k + 1) * self.batch_size])
        return np.stack(rows).astype(np.int32)


class InGraphLoop:
    """Runs many `model.train_step`s in one compiled call.

    The training set stays resident as a uint8 tensor and each batch is gathered and scaled
    in-graph, so no per-step Python or host-to-device copy happens; this is what makes a step on
    these small MLPs cost close to its FLOPs (see the Performance section of the README).
    """

    def __init__(self, model, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                 jit_compile: bool = True):
        self.model = model
        self.images = tf.Variable(images.reshape(len(images), -1), trainable=False, name="images")
        self.labels = tf.Variable(labels.astype(np.int32), trainable=False, name="labels")
        self.batches = EpochBatches(len(images), batch_size, seed)
        self._run = tf.function(self._run_steps, jit_compile=jit_compile)

    def _run_steps(self, indices):
        for metric in self.model.metrics:
            metric.reset_state()
        logs = {m.name: tf.constant(0.0) for m in self.model.metrics}
        for i in tf.range(tf.shape(indices)[0]):
            batch = indices[i]
            images = flat_float(tf.gather(self.images, batch))
            logs = self.model.train_step((images, tf.gather(self.labels, batch)))
        return logs

    def run(self, start: int, count: int) -> dict:
        """Train steps [start, start + count); returns the mean of each term over them."""
        logs = self._run(tf.constant(self.batches(start, count)))
        return {k: float(v) for k, v in logs.items()}


def evaluate_terms(model, images: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> dict:
    """Mean of each loss term over a whole split (model.test_step)."""
    for metric in model.metrics:
        metric.reset_state()
    step = tf.function(model.test_step, jit_compile=True)
    logs = {}
    for i in range(0, len(images), batch_size):
        x = flat_float(images[i:i + batch_size])
        logs = step((x, tf.constant(labels[i:i + batch_size], tf.int32)))
    return {k: float(v) for k, v in logs.items()}


def _save_checkpoint(run_dir: Path, model, step: int):
    model.save_weights(run_dir / CHECKPOINT)
    np.savez(run_dir / OPTIMIZER_STATE, *[v.numpy() for v in model.optimizer.variables])
    # The sampling seed is not a model weight; saving it makes a resumed run draw the same z.
    seed_state = [int(v) for v in model.seed_generator.state.numpy()]
    (run_dir / STATE).write_text(json.dumps({"step": step, "seed_state": seed_state}) + "\n")


def _checkpoint_step(run_dir: Path) -> int:
    return int(json.loads((run_dir / STATE).read_text())["step"]) if (run_dir / STATE).exists() else 0


def _load_checkpoint(run_dir: Path, model, optimizer: bool = True):
    """Restore weights, sampling seed and (mid-stage) the stage's optimizer state; the stage's
    optimizer must be built first. A checkpoint at a stage boundary holds the previous stage's
    optimizer, which the next stage does not use."""
    model.load_weights(run_dir / CHECKPOINT)
    state = json.loads((run_dir / STATE).read_text())
    model.seed_generator.state.assign(
        np.asarray(state["seed_state"], dtype=model.seed_generator.state.dtype))
    if not optimizer:
        return
    saved = np.load(run_dir / OPTIMIZER_STATE)
    names = sorted(saved.files, key=lambda s: int(s.split("_")[-1]))
    if len(names) != len(model.optimizer.variables):
        raise ValueError(f"{run_dir / OPTIMIZER_STATE} holds {len(names)} optimizer variables, "
                         f"the model's stage needs {len(model.optimizer.variables)}")
    for v, k in zip(model.optimizer.variables, names):
        v.assign(saved[k])


def default_run_name(config: TrainConfig) -> str:
    """<dataset>-<model>-<labels>-z<latent>-seed<seed>, then any model options (-alpha1.0)."""
    m = config.model
    options = "".join(f"-{k}{v}" for k, v in sorted(m.options.items()))
    return (f"{config.dataset}-{m.name}-{config.label_encoding}-z{m.latent_dim}-seed{config.seed}"
            f"{options}")


def prepare_run_dir(config: TrainConfig, run_dir: Path | None, overwrite: bool) -> Path:
    """Create the run directory; an existing one is resumed only if its config is the same."""
    run_dir = Path(run_dir or Path(config.out) / default_run_name(config))
    saved = run_dir / "config.json"
    if saved.exists() and not overwrite:
        previous = TrainConfig.from_json(saved).to_dict()
        current = config.to_dict()
        # Evaluation settings do not change the trained model, and more steps on a constant
        # learning rate is a legitimate extension of the same run.
        ignored = {"out", "generation_repeats", "generation_samples_per_label"}
        if config.lr_schedule == "constant":
            ignored.add("steps")
        changed = sorted(k for k in current if previous.get(k) != current[k] and k not in ignored)
        if changed:
            raise FileExistsError(
                f"{run_dir} holds a run with a different config ({', '.join(changed)} differ); "
                "pass --overwrite to replace it or --run-dir for a new folder")
    elif overwrite and run_dir.exists():
        for name in (CHECKPOINT, OPTIMIZER_STATE, STATE, "metrics.json"):
            (run_dir / name).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    config.to_json(saved)
    return run_dir


def fit(model, config: TrainConfig, dataset, run_dir: Path, verbose: int = 1,
        eval_every: int = 5000) -> dict:
    """Train every stage of the model to its budget, resuming from the run directory's checkpoint.

    Every `eval_every` steps, at the end of each stage and at the end: validation terms and
    annotation accuracy, TensorBoard scalars, checkpoint and history.json.
    Returns the history {"step": [...], "stage": [...], "train": [...], "validation": [...]}.
    """
    stages = model.training_stages(config.steps)
    total = sum(n for _, n in stages)
    start = _checkpoint_step(run_dir)
    history_path = run_dir / "history.json"
    history = (json.loads(history_path.read_text()) if start and history_path.exists()
               else {"step": [], "stage": [], "train": [], "validation": []})
    if start >= total:
        model.load_weights(run_dir / CHECKPOINT)
        return history
    writers = {k: tf.summary.create_file_writer(str(run_dir / "logs" / k))
               for k in ("train", "validation")}
    # Logs are already means over the last call's steps: show them as they are, not re-averaged.
    progbar = keras.utils.Progbar(total, verbose=verbose, unit_name="step",
                                  stateful_metrics=[m.name for m in model.metrics])
    if start and verbose:
        print(f"resuming {run_dir} at step {start}")
    progbar.update(start)
    step, stage_start = start, 0
    session_start, seconds_before = time.time(), history.get("train_seconds", 0.0)
    for index, (stage, stage_steps) in enumerate(stages):
        stage_end = stage_start + stage_steps
        if step >= stage_end:
            stage_start = stage_end
            continue
        if index > 0 or step > 0:
            model.begin_stage(stage)
            attach_optimizer(model, config, stage_steps)
        if step == start and step > 0:  # resuming: restore what the checkpoint holds
            _load_checkpoint(run_dir, model, optimizer=step > stage_start)
        loop = InGraphLoop(model, dataset.train_images, dataset.train_labels, config.batch_size,
                           config.seed + index, config.jit_compile)
        while step < stage_end:
            count = min(config.steps_per_execution, stage_end - step,
                        eval_every - step % eval_every)
            logs = loop.run(step - stage_start, count)
            step += count
            progbar.update(step, values=list(logs.items()), finalize=False)
            if step % eval_every == 0 or step == stage_end:
                val = evaluate_terms(model, dataset.val_images, dataset.val_labels)
                val["annotation_accuracy"] = annotation_accuracy(model, dataset.val_images,
                                                                 dataset.val_labels)
                for kind, values in (("train", logs), ("validation", val)):
                    history[kind].append(values)
                    with writers[kind].as_default(step=step):
                        for k, v in values.items():
                            tf.summary.scalar(k, v)
                history["step"].append(step)
                history["stage"].append(stage)
                # Wall time over every session of this run, evaluations included.
                history["train_seconds"] = seconds_before + time.time() - session_start
                if verbose == 2:  # one line per evaluation when there is no live progress bar
                    print(f"step {step}/{total} [{stage}] train loss {logs['loss']:.2f} · "
                          + " · ".join(f"val {k} {v:.4g}" for k, v in val.items()), flush=True)
                _save_checkpoint(run_dir, model, step)
                history_path.write_text(json.dumps(history, indent=1) + "\n")
        stage_start = stage_end
    progbar.update(step, finalize=True)
    return history


@dataclasses.dataclass
class RunResult:
    run_dir: Path
    model: keras.Model
    metrics: dict
    history: dict


def evaluate(model, dataset, config: TrainConfig, verbose: int = 1) -> dict:
    """The paper's three metrics on the test set (§4), plus the evaluator's own test accuracy."""
    from pse_tf.evaluation import metrics
    from pse_tf.evaluation.evaluators import evaluator_info, load_evaluator

    t0 = time.time()
    results = {
        "reconstruction_error": metrics.reconstruction_error(model, dataset.test_images,
                                                             dataset.test_labels, seed=config.seed),
        "annotation_accuracy": metrics.annotation_accuracy(model, dataset.test_images,
                                                           dataset.test_labels),
    }
    evaluator = load_evaluator(config.dataset)
    generation = metrics.generation_accuracy(
        model, evaluator, samples_per_label=config.generation_samples_per_label,
        repeats=config.generation_repeats, seed=config.seed)
    results["generation_accuracy"] = generation["mean"]
    results["generation_accuracy_std"] = generation["std"]
    results["generation_accuracy_repeats"] = generation["repeats"]
    results["generation_repeats"] = config.generation_repeats
    results["generation_samples_per_label"] = config.generation_samples_per_label
    results["evaluator_test_accuracy"] = evaluator_info(config.dataset).get("test_accuracy")
    results["evaluation_seconds"] = time.time() - t0
    if verbose:
        print(f"test: reconstruction {results['reconstruction_error']:.2f}  "
              f"annotation {100 * results['annotation_accuracy']:.2f}%  "
              f"generation {100 * generation['mean']:.2f} ± {100 * generation['std']:.2f}%")
    return results


# What `evaluate` writes into metrics.json.
EVALUATION_KEYS = ("reconstruction_error", "annotation_accuracy", "generation_accuracy",
                   "generation_accuracy_std", "generation_accuracy_repeats", "generation_repeats",
                   "generation_samples_per_label", "evaluator_test_accuracy",
                   "evaluation_seconds")


def _reusable_evaluation(run_dir: Path, config: TrainConfig) -> dict | None:
    """The test metrics a finished run already has for this budget and evaluation protocol,
    so re-running a table or figure does not re-evaluate it; None if there are none."""
    path = run_dir / "metrics.json"
    if not path.exists():
        return None
    previous = json.loads(path.read_text())
    if (previous.get("steps") != config.steps
            or previous.get("generation_repeats") != config.generation_repeats
            or previous.get("generation_samples_per_label") != config.generation_samples_per_label
            or any(k not in previous for k in EVALUATION_KEYS)):
        return None
    return {k: previous[k] for k in EVALUATION_KEYS}


def train(config: TrainConfig, run_dir: str | Path | None = None, verbose: int = 1,
          overwrite: bool = False, run_evaluation: bool = True, export: bool = True,
          export_dir: str | Path = "exported") -> RunResult:
    """Train, evaluate on the test set, draw samples and export: the whole job of scripts/train.py.

    The run directory holds config.json, history.json, TensorBoard logs (logs/), the checkpoint,
    metrics.json and samples.png. A run interrupted part-way resumes from its checkpoint.
    """
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding
    from pse_tf.data import CLASS_NAMES

    run_dir = prepare_run_dir(config, run_dir, overwrite)
    dataset = load_dataset(config.dataset)
    encoding = LabelEncoding.build(CLASS_NAMES[config.dataset], config.label_encoding,
                                   config.word_vectors)
    model = build_model(config, encoding)

    t0 = time.time()
    history = fit(model, config, dataset, run_dir, verbose=verbose)
    train_seconds = time.time() - t0
    model.save_weights(run_dir / "model.weights.h5")

    results = {"dataset": config.dataset, "model": config.model.name,
               "label_encoding": config.label_encoding, "latent_dim": config.model.latent_dim,
               "seed": config.seed, "steps": config.steps, "batch_size": config.batch_size,
               "train_seconds": history.get("train_seconds"),
               "train_seconds_this_session": train_seconds,
               "word_vectors": encoding.word_vectors_source}
    if run_evaluation:
        previous = _reusable_evaluation(run_dir, config)
        if previous is not None and verbose:
            print(f"{run_dir}: finished and evaluated with this protocol; metrics reused")
        results.update(previous or evaluate(model, dataset, config, verbose=verbose))
        (run_dir / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
        if previous is None or not (run_dir / "samples.png").exists():
            from pse_tf import plotting

            plotting.save_sample_grid(model, run_dir / "samples.png", seed=config.seed)
    if export:
        from pse_tf.export import export_model

        name = f"{config.dataset}_{config.model.name}_{config.label_encoding}"
        exported = export_model(model, name, export_dir=export_dir)
        results["export"] = str(exported.path)
        (run_dir / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
        if verbose:
            print(f"exported SavedModel + TFLite to {exported.path}")
    return RunResult(run_dir, model, results, history)
