"""The training loop: the model and its optimizer, in-graph steps, checkpoints, validation logs;
`pse_tf.runs` wraps it into a whole experiment (run directory, test metrics, samples, export)."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pse_tf import atomic, checkpoints, distribute, replicas
from pse_tf.config import TrainConfig
from pse_tf.data import bernoulli_draw, flat_float
from pse_tf.evaluation.metrics import annotation_accuracy
from pse_tf.models import create_model
from pse_tf.run_folder import FINAL_WEIGHTS


class NonFiniteError(RuntimeError):
    """A loss term or gradient became NaN or Inf: training stopped at that step (`step` counts
    from 1, as checkpoint steps do: the step after checkpoint `k` is `k + 1`)."""

    def __init__(self, step: int, names: list[str], detail: str = ""):
        self.step, self.names = step, list(names)
        super().__init__(f"training stopped at step {step}: non-finite {', '.join(names)}"
                         + (f"; {detail}" if detail else ""))


def build_model(config: TrainConfig, encoding, context: distribute.RunContext) -> keras.Model:
    """The registered model for `config.model.name`, every weight created from `config.seed`
    and Adam attached, built in the scope of `context`'s strategy (`RunContext.create(config)`)
    with the config's dtype policy."""
    phrases = training_phrase_table(config, encoding) if config.label_neighbours else None
    keras.utils.set_random_seed(config.seed)
    with context.scope(), distribute.dtype_policy(config.mixed_precision):
        model = create_model(config, encoding)
    if phrases is not None:
        model.set_training_phrases(*phrases, name_share=config.label_name_share)
    attach_optimizer(model, context, config, *model.training_stages(config.steps)[0])
    return model


def training_phrase_table(config: TrainConfig, encoding):
    """(table, counts) of `LatentModel.set_training_phrases` for `config.label_neighbours`."""
    from pse_tf.labels.neighbours import phrase_table, training_phrases

    extra = training_phrases(encoding, config.label_neighbours)
    return phrase_table(encoding.vectors, [encoding.encode(words) if words else []
                                           for words in extra])


def attach_optimizer(model, context: distribute.RunContext, config: TrainConfig, stage: str,
                     steps: int):
    """Begin the model's training `stage` (`LatentModel.begin_stage`) with a fresh Adam over the
    weights it trains: `config.learning_rate`, decayed over the stage's `steps` if cosine. Made
    in the scope of the run's strategy (the one the model was built under)."""
    learning_rate = config.learning_rate
    if config.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    with context.scope():  # Adam's step counter is a variable: made in the scope
        optimizer = keras.optimizers.Adam(learning_rate)
        model.begin_stage(stage)
        model.compile(optimizer=optimizer)
        model.optimizer.build(model.trainable_variables)


class EpochBatches:
    """Batch indices for step s: epoch s // steps_per_epoch, shuffled without replacement; a
    pure function of (seed, step), so a resumed run sees exactly the batches it would have.
    The last partial batch of an epoch is dropped."""

    def __init__(self, num_examples: int, batch_size: int, seed: int):
        if batch_size > num_examples:
            raise ValueError(f"batch_size {batch_size} exceeds the {num_examples} training "
                             "examples")
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
    """Runs many `model.train_step`s in one compiled call. The training set stays resident as a
    uint8 tensor and each batch is gathered in-graph: no per-step Python or host copy, so a step
    costs close to its FLOPs (README, Performance). Under a strategy every step runs with
    `strategy.run`, each replica gathering its rows of the global batch from its own copy."""

    def __init__(self, model, context: distribute.RunContext, images: np.ndarray,
                 labels: np.ndarray, batch_size: int, seed: int, jit_compile: bool = True,
                 binarize: bool = False):
        self.model = model
        self.binarize = binarize
        self.batches = EpochBatches(len(images), batch_size, seed)
        self.strategy = context.strategy
        self.xla = replicas.xla_mode(self.strategy, jit_compile)
        images, labels = images.reshape(len(images), -1), labels.astype(np.int32)
        if self.strategy is None:
            self.images = tf.Variable(images, trainable=False, name="images")
            self.labels = tf.Variable(labels, trainable=False, name="labels")
            self._step = self._train_step
        else:  # batch_size splits over the replicas: checked by the run's RunContext
            self.images = replicas.on_every_replica(self.strategy, images)
            self.labels = replicas.on_every_replica(self.strategy, labels)
            self._gradients = (tf.function(model.checked_gradients, jit_compile=True)
                               if self.xla == "replica" else model.checked_gradients)
            self._step = self._replicated_step
        self._run = tf.function(self._run_steps, jit_compile=self.xla == "loop")

    def _batch_images(self, images, rows):
        """The batch's images as the model reads them: flat float, or a fresh 0/1 draw of each
        pixel under dynamic binarisation (its seed from the model's generator, so checkpointed)."""
        x = flat_float(tf.gather(images, rows))
        return bernoulli_draw(x, self.model.next_seed()) if self.binarize else x

    def _train_step(self, batch):
        """One step on one device; whether its values were finite ([T + 1] bool)."""
        images = self._batch_images(self.images, batch)
        return self.model.checked_train_step((images, tf.gather(self.labels, batch)))[1]

    def _replica_step(self, batch, images, labels):
        rows = replicas.replica_rows(batch)
        loss, terms, grads, finite = self._gradients(self._batch_images(images, rows),
                                                     tf.gather(labels, rows))
        self.model.apply_gradients(loss, terms, grads)
        # Summed over the replicas, so that all of them (on every worker) stop at the same step.
        context = tf.distribute.get_replica_context()
        return context.all_reduce(tf.distribute.ReduceOp.SUM,
                                  tf.cast(tf.logical_not(finite), tf.int32))

    def _replicated_step(self, batch):
        """One step on every replica; whether any replica's values were non-finite."""
        bad = self.strategy.run(self._replica_step, args=(batch, self.images, self.labels))
        return self.strategy.experimental_local_results(bad)[0] == 0

    def _run_steps(self, indices):
        for metric in self.model.metrics:
            metric.reset_state()
        failed_at = tf.constant(-1)
        finite = tf.ones([len(self.model.term_names) + 1], tf.bool)
        for i in tf.range(tf.shape(indices)[0]):
            finite = self._step(indices[i])
            if not tf.reduce_all(finite):
                failed_at = i
                break
        # Under a strategy the trackers live on every replica; read here, they are aggregated.
        return {m.name: m.result() for m in self.model.metrics}, failed_at, finite

    def run(self, start: int, count: int) -> dict:
        """Train steps [start, start + count); returns the mean of each term over them. Raises
        NonFiniteError, naming them, at the first step with non-finite terms or gradients."""
        logs, failed_at, finite = self._run(tf.constant(self.batches(start, count)))
        if int(failed_at) >= 0:
            names = [*self.model.term_names, "gradient"]
            raise NonFiniteError(start + int(failed_at) + 1,  # counted from 1, as checkpoints
                                 [n for n, ok in zip(names, finite.numpy()) if not ok])
        return {k: float(v) for k, v in logs.items()}


def evaluate_terms(model, context: distribute.RunContext, images: np.ndarray,
                   labels: np.ndarray, batch_size: int = 1000) -> dict:
    """Mean of each loss term over a whole split (model.test_step), under the run's `context`."""
    for metric in model.metrics:
        metric.reset_state()
    # Compiled once per model and stage (a stage may change the traced objective), not per call.
    compiled = model.__dict__.setdefault("_compiled_test_steps", {})
    stage = getattr(model, "stage", None)
    if stage not in compiled:
        # Under a strategy the step updates the sampling seed on every replica's device, which
        # one XLA program cannot do.
        compiled[stage] = tf.function(model.test_step,
                                      jit_compile=context.strategy is None)
    step = compiled[stage]
    logs = {}
    for i in range(0, len(images), batch_size):
        x = flat_float(images[i:i + batch_size])
        logs = step((x, tf.constant(labels[i:i + batch_size], tf.int32)))
    return {k: float(v) for k, v in logs.items()}


def fit(model, config: TrainConfig, dataset, context: distribute.RunContext,
        verbose: int = 1) -> dict:
    """Train every stage of the model to its budget into `context.run_dir`, resuming from its
    newest intact checkpoint (`pse_tf.checkpoints`); `context` is the one `build_model` used.

    Every `config.checkpoint_every` steps and at each stage's end: validation terms and
    annotation accuracy, TensorBoard scalars, a checkpoint and history.json; at the end the
    final weights. A non-finite term or gradient raises NonFiniteError at once, keeping the
    checkpoints. Under multi_worker only the chief writes into the run directory, which every
    worker resumes from (a shared file system).

    Returns the history {"step": [...], "stage": [...], "train": [...], "validation": [...]}.
    """
    if context.run_dir is None:
        raise ValueError("fit needs a RunContext with a run_dir: RunContext.create(config, "
                         "run_dir)")
    with context.writable_dir() as out_dir:
        if verbose and context.strategy is not None:
            print(context.describe(config.batch_size, config.jit_compile))
        checkpoint = checkpoints.latest(context.run_dir)
        replicas.same_on_every_worker(context.strategy, checkpoint.step if checkpoint else 0,
                                      "the step to resume from")
        history = _fit_stages(model, config, dataset, context, checkpoint, out_dir, verbose)
        model.save_weights(out_dir / FINAL_WEIGHTS)  # what marks the run trained
        return history


def _fit_stages(model, config: TrainConfig, dataset, context, checkpoint, run_dir: Path,
                verbose: int) -> dict:
    """`fit` from `checkpoint` (None: from step 0), writing into `run_dir`."""
    every = config.checkpoint_every
    stages = model.training_stages(config.steps)
    total = sum(n for _, n in stages)
    start = checkpoint.step if checkpoint else 0
    history = (checkpoint.state["history"] if checkpoint
               else {"step": [], "stage": [], "train": [], "validation": []})
    if start >= total:
        model.load_weights(checkpoint.path / checkpoints.WEIGHTS)
        return history
    writers = {k: tf.summary.create_file_writer(str(run_dir / "logs" / k))
               for k in ("train", "validation")}
    # Logs are already means over the last call's steps: show them as they are, not re-averaged.
    progbar = keras.utils.Progbar(total, verbose=verbose, unit_name="step",
                                  stateful_metrics=[m.name for m in model.metrics])
    if start and verbose:
        print(f"resuming {checkpoint.path.parent.parent} at step {start}")
    progbar.update(start)
    step, stage_start = start, 0
    session_start, seconds_before = time.time(), history.get("train_seconds", 0.0)
    for index, (stage, stage_steps) in enumerate(stages):
        stage_end = stage_start + stage_steps
        if step >= stage_end:
            stage_start = stage_end
            continue
        if index > 0 or step > 0:
            attach_optimizer(model, context, config, stage, stage_steps)
        loop = InGraphLoop(model, context, dataset.train_images, dataset.train_labels,
                           config.batch_size, config.seed + index, config.jit_compile,
                           binarize=config.binarize == "dynamic")
        if step == start and step > 0:  # resuming: restore what the checkpoint holds
            checkpoints.restore(checkpoint, model, optimizer=step > stage_start)
        while step < stage_end:
            count = min(config.steps_per_execution, stage_end - step, every - step % every)
            logs = loop.run(step - stage_start, count)
            step += count
            progbar.update(step, values=list(logs.items()), finalize=False)
            if step % every == 0 or step == stage_end:
                val = evaluate_terms(model, context, dataset.val_images, dataset.val_labels)
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
                checkpoints.save(run_dir, model, step, history)
                if step in config.keep_weights_at:
                    (run_dir / "weights").mkdir(exist_ok=True)
                    model.save_weights(run_dir / "weights" / f"step-{step}.weights.h5")
                atomic.write_json(run_dir / "history.json", history, indent=1)
        stage_start = stage_end
    progbar.update(step, finalize=True)
    return history
