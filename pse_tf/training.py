"""The training loop: the model and its optimizer, in-graph steps, checkpoints, validation logs.

`pse_tf.runs` wraps it into a whole experiment (run directory, test metrics, samples, export).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pse_tf.config import TrainConfig
from pse_tf.data import flat_float
from pse_tf.evaluation.metrics import annotation_accuracy
from pse_tf.registry import create_model

CHECKPOINT = "checkpoint.weights.h5"
OPTIMIZER_STATE = "checkpoint.optimizer.npz"
STATE = "checkpoint.json"


def build_model(config: TrainConfig, encoding) -> keras.Model:
    """The registered model for `config.model.name`, with every weight created and Adam attached.

    Weights are initialised from `config.seed`, so the same config builds the same model.
    """
    keras.utils.set_random_seed(config.seed)
    model = create_model(config, encoding)
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
