"""Several seeds of one setting trained in one XLA program (issue 11).

The S models are built one by one with `training.build_model`, so each starts exactly as it would
alone. Every variable is then stacked into one with a leading seed axis [S, ...], and a training
step is one compiled function for all of them: `tf.vectorized_map` runs the model's own
`compute_terms` once per seed with that seed's weight slices substituted (`keras.StatelessScope`),
so each dense layer becomes one batched matmul over the seeds. The gradient of the summed losses
with respect to a stacked variable is the stack of the per-seed gradients (seed s's loss reads
only slice s), and Adam is element-wise with a step count shared by all seeds, so one Adam over
the stacked variables is S independent Adams. Each seed keeps its own batch order
(`EpochBatches` with its seed) and its own sampling noise (its SeedGenerator state, stacked).

After each call the slices are written back into the S Keras models, so checkpoints, validation,
evaluation and export are those of a run trained alone (`fit_together`, `runs.train_together`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from pse_tf import checkpoints, objectives
from pse_tf.config import ConfigError, TrainConfig
from pse_tf.data import flat_float
from pse_tf.evaluation.metrics import annotation_accuracy
from pse_tf.training import (EpochBatches, NonFiniteError, adam, attach_optimizer,
                             evaluate_terms)

# Config fields that may differ between runs trained together: none of them changes a shape or
# the traced step (the evaluation settings are used after training, one run at a time).
MAY_DIFFER = ("seed", "out", "generation_repeats", "generation_samples_per_label")


def check_together(configs: Sequence[TrainConfig]) -> None:
    """Refuse configs that cannot share one program: raises ConfigError naming the fields that
    differ (only `MAY_DIFFER` may), a strategy or mixed precision, or repeated seeds."""
    if not configs:
        raise ConfigError("train_together needs at least one config")
    first = configs[0].to_dict()
    for config in configs[1:]:
        other = config.to_dict()
        changed = sorted(k for k in first if k not in MAY_DIFFER and first[k] != other[k])
        if changed:
            raise ConfigError(
                f"configs trained together may differ only in {', '.join(MAY_DIFFER)}; "
                f"seed {config.seed} differs from seed {configs[0].seed} in {', '.join(changed)}")
    seeds = [c.seed for c in configs]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"configs trained together need distinct seeds, got {seeds}")
    if configs[0].strategy != "none" or configs[0].mixed_precision:
        raise ConfigError("seeds are trained together on one device in float32: strategy must "
                          f"be 'none' and mixed_precision off, got {configs[0].strategy!r}, "
                          f"mixed_precision={configs[0].mixed_precision}")
    # Not yet in the stacked loop: refused rather than silently trained without them.
    if (configs[0].binarize == "dynamic" or configs[0].model.kl_warmup_steps
            or configs[0].label_neighbours):
        raise ConfigError("seeds trained together do not support binarize='dynamic', "
                          "kl_warmup_steps > 0 or label_neighbours yet; train these seeds alone")


class StackedSeeds:
    """S models of one setting as one: every variable stacked [S, ...], one Adam, one compiled
    loop of many steps (the counterpart of `training.InGraphLoop`).

    Built from the models' current state (weights, sampling seeds, optimizer); `unstack` writes
    the trained state back. Models must be in the same stage with their optimizer attached.

    Args:
        models: S models of one class and config but the seed.
        images, labels: the training set, [N, ...] uint8 and [N] int.
        batch_size: int. Per seed.
        seeds: S ints. Each seed's batch order (`EpochBatches`).
        optimizer: an unbuilt keras optimizer for the stacked variables (`training.adam`).
        vectorize: bool. `tf.vectorized_map` over the seeds (batched matmuls); False: the
            seeds' steps unrolled side by side in the same program.
    """

    def __init__(self, models, images: np.ndarray, labels: np.ndarray, batch_size: int,
                 seeds: Sequence[int], optimizer, jit_compile: bool = True,
                 vectorize: bool = True):
        self.models, self.template = list(models), models[0]
        self.vectorize = vectorize
        self.batches = [EpochBatches(len(images), batch_size, s) for s in seeds]
        self.images = tf.Variable(images.reshape(len(images), -1), trainable=False)
        self.labels = tf.Variable(labels.astype(np.int32), trainable=False)
        # The seed state is carried apart: it is updated by the step, not by the optimizer.
        state = self.template.seed_generator.state
        self.names = [v.path for v in self.template.variables if v is not state]
        trainable = {id(v) for v in self.template.trainable_variables}
        self.variables = [keras.Variable(self._stack(i), trainable=id(v) in trainable,
                                         name=f"stacked_{i}")
                          for i, v in enumerate(self._template_variables())]
        self.trainable = [v for v in self.variables if v.trainable]
        self.seed_states = keras.Variable(self._model_seed_states(), dtype=state.dtype,
                                          trainable=False, name="seed_states")
        self.optimizer = optimizer
        self.optimizer.build(self.trainable)
        self._pair_optimizers(self._stack_optimizer_variable)
        self._run = tf.function(self._run_steps, jit_compile=jit_compile)

    # -- the stacked state and the models' own -------------------------------------------------
    def _template_variables(self):
        state = self.template.seed_generator.state
        return [v for v in self.template.variables if v is not state]

    def _model_variables(self, model):
        variables = [v for v in model.variables if v is not model.seed_generator.state]
        if [v.path for v in variables] != self.names:
            raise ConfigError(f"{model.name}: its variables differ from the first model's; only "
                              "models of one class and shape can be trained together")
        return variables

    def _stack(self, index: int) -> np.ndarray:
        return np.stack([self._model_variables(m)[index].numpy() for m in self.models])

    def _pair_optimizers(self, action):
        """`action(stacked, [each model's])` for each optimizer variable; the step count and
        learning rate are scalars shared by every seed (they step together)."""
        own = [m.optimizer.variables for m in self.models]
        if any(len(o) != len(self.optimizer.variables) for o in own):
            raise ConfigError("the models' optimizers do not match the stacked one; attach "
                              "each model's optimizer for the same stage first")
        for i, stacked in enumerate(self.optimizer.variables):
            action(stacked, [o[i] for o in own])

    @staticmethod
    def _stack_optimizer_variable(stacked, own):
        """A moment: the models' stacked; the step count or learning rate: the first model's."""
        per_seed = len(stacked.shape) > len(own[0].shape)
        stacked.assign(np.stack([o.numpy() for o in own]) if per_seed else own[0].numpy())

    def _model_seed_states(self) -> np.ndarray:
        return np.stack([m.seed_generator.state.numpy() for m in self.models])

    def reload_seeds(self):
        """Take the sampling seeds from the models again: validation draws z with them between
        calls (`training.evaluate_terms`), as it does in a run alone."""
        self.seed_states.assign(self._model_seed_states())

    def unstack(self):
        """Write the trained weights, sampling seeds and optimizer state into the S models."""
        for s, model in enumerate(self.models):
            for stacked, own in zip(self.variables, self._model_variables(model)):
                own.assign(stacked[s])
            model.seed_generator.state.assign(self.seed_states[s])

        def split(stacked, own):
            for s, variable in enumerate(own):
                variable.assign(stacked[s] if len(stacked.shape) > len(variable.shape)
                                else stacked)

        self._pair_optimizers(split)

    # -- one step for every seed ---------------------------------------------------------------
    def _seed_step(self, args):
        """One seed's loss, [T] term means, gradients (for the trainable variables) and next
        sampling-seed state: the template model's `compute_terms` with that seed's variables
        substituted."""
        values, seed_state, images, labels = args
        state = self.template.seed_generator.state
        mapping = [*zip(self._template_variables(), values), (state, seed_state)]
        trainable = [x for x, v in zip(values, self.variables) if v.trainable]
        # The gradient is taken per seed, inside the vectorised function: taken outside, it
        # would flow back through the gathers that slice each seed out of the stacked
        # variables, i.e. one scatter-add per variable, which XLA runs slowly on a CPU.
        with tf.GradientTape() as tape:
            tape.watch(trainable)
            with keras.StatelessScope(state_mapping=mapping) as scope:
                terms = self.template.compute_terms(flat_float(images), labels, training=True)
            loss = objectives.total(terms)
        means = tf.stack([tf.reduce_mean(terms[n]) for n in self.template.term_names])
        return loss, means, tape.gradient(loss, trainable), scope.get_current_value(state)

    def _step(self, batch):
        """One optimizer step for every seed ([S, B] row indices); per seed its loss and terms
        [S, T + 1] and whether they and its gradients were finite [S, T + 1]."""
        images, labels = tf.gather(self.images, batch), tf.gather(self.labels, batch)
        elems = ([v.value for v in self.variables], self.seed_states.value, images, labels)
        if self.vectorize:
            outputs = tf.vectorized_map(self._seed_step, elems)
        else:  # one subgraph per seed, side by side in the same program
            outputs = [self._seed_step(tf.nest.map_structure(lambda x: x[s], elems))
                       for s in range(len(self.models))]
            outputs = tf.nest.map_structure(lambda *xs: tf.stack(xs), *outputs)
        losses, means, grads, seed_states = outputs
        # Seed s's gradients are slice s: one Adam over the stack is S independent Adams.
        self.optimizer.apply(grads, self.trainable)
        self.seed_states.assign(seed_states)
        # A sum is non-finite if any element is: one reduction per variable and seed.
        grad_sums = tf.add_n([tf.reduce_sum(tf.reshape(g, [tf.shape(g)[0], -1]), axis=1)
                              for g in grads])
        logs = tf.concat([losses[:, None], means], axis=1)
        return logs, tf.math.is_finite(tf.concat([means, grad_sums[:, None]], axis=1))

    def _run_steps(self, indices):
        n_seeds, n_terms = len(self.models), len(self.template.term_names)
        sums = tf.zeros([n_seeds, n_terms + 1])
        finite = tf.ones([n_seeds, n_terms + 1], tf.bool)
        failed_at, done = tf.constant(-1), tf.constant(0.0)
        for i in tf.range(tf.shape(indices)[0]):
            logs, finite = self._step(indices[i])
            sums, done = sums + logs, done + 1.0
            if not tf.reduce_all(finite):
                failed_at = i
                break
        return sums / done, failed_at, finite

    def run(self, start: int, count: int) -> list[dict]:
        """Train steps [start, start + count) of every seed; per seed the mean of the loss and
        each term over them, as `InGraphLoop.run` logs them. The models are not updated
        (`unstack`).

        Raises NonFiniteError at the first step where any seed's terms or gradients are not
        finite, naming the seed.
        """
        indices = np.stack([b(start, count) for b in self.batches], axis=1)  # [count, S, B]
        means, failed_at, finite = self._run(tf.constant(indices))
        names = ["loss", *self.template.term_names]
        if int(failed_at) >= 0:
            for model, ok in zip(self.models, finite.numpy()):
                if not ok.all():
                    bad = [n for n, f in zip([*self.template.term_names, "gradient"], ok)
                           if not f]
                    raise NonFiniteError(start + int(failed_at) + 1, bad,
                                         f"seed {model.seed_generator._initial_seed}")
        return [dict(zip(names, map(float, row))) for row in means.numpy()]


def _common_checkpoint(run_dirs: Sequence[Path]):
    """Each run's newest intact checkpoint, all at one step (or all None)."""
    found = [checkpoints.latest(d) for d in run_dirs]
    steps = {c.step if c else 0 for c in found}
    if len(steps) > 1:
        raise checkpoints.CheckpointError(
            f"the runs to train together stopped at different steps ({sorted(steps)}); "
            "train them alone to resume each from its own checkpoint")
    return found


class _Logs:
    """One run's history, TensorBoard writers and checkpoints, as `training.fit` keeps them."""

    def __init__(self, model, run_dir: Path, checkpoint):
        self.model, self.run_dir = model, Path(run_dir)
        self.history = (checkpoint.state["history"] if checkpoint
                        else {"step": [], "stage": [], "train": [], "validation": []})
        self.writers = {k: tf.summary.create_file_writer(str(self.run_dir / "logs" / k))
                        for k in ("train", "validation")}
        self.seconds_before = self.history.get("train_seconds", 0.0)

    def record(self, step: int, stage: str, logs: dict, dataset, seconds: float, verbose: int,
               total: int):
        """Validation, TensorBoard, history.json and a checkpoint at `step`."""
        val = evaluate_terms(self.model, dataset.val_images, dataset.val_labels)
        val["annotation_accuracy"] = annotation_accuracy(self.model, dataset.val_images,
                                                         dataset.val_labels)
        for kind, values in (("train", logs), ("validation", val)):
            self.history[kind].append(values)
            with self.writers[kind].as_default(step=step):
                for k, v in values.items():
                    tf.summary.scalar(k, v)
        self.history["step"].append(step)
        self.history["stage"].append(stage)
        self.history["train_seconds"] = self.seconds_before + seconds
        if verbose:
            print(f"[{self.run_dir.name}] step {step}/{total} [{stage}] train loss "
                  f"{logs['loss']:.2f} · " + " · ".join(f"val {k} {v:.4g}"
                                                         for k, v in val.items()), flush=True)
        checkpoints.save(self.run_dir, self.model, step, self.history)
        (self.run_dir / "history.json").write_text(json.dumps(self.history, indent=1) + "\n")


def fit_together(models, configs: Sequence[TrainConfig], dataset, run_dirs: Sequence[Path],
                 verbose: int = 1, vectorize: bool = True) -> list[dict]:
    """`training.fit` for S seeds in one program: every stage to its budget, resuming from the
    runs' checkpoints (all at one step), validation, checkpoint and history.json for each run
    every `checkpoint_every` steps. Returns each run's history. `vectorize`: as in
    `StackedSeeds` (False: the seeds' steps unrolled, which reproduces `fit` to the bit).

    Raises:
        ConfigError: the configs cannot be trained together (`check_together`).
        CheckpointError: the runs' checkpoints are at different steps.
        NonFiniteError: a seed's loss term or gradient became NaN or Inf.
    """
    check_together(configs)
    config, every = configs[0], configs[0].checkpoint_every
    found = _common_checkpoint(run_dirs)
    runs = [_Logs(m, d, c) for m, d, c in zip(models, run_dirs, found)]
    stages = models[0].training_stages(config.steps)
    total = sum(n for _, n in stages)
    start = found[0].step if found[0] else 0
    if start >= total:
        for model, checkpoint in zip(models, found):
            model.load_weights(checkpoint.path / checkpoints.WEIGHTS)
        return [r.history for r in runs]
    step, stage_start, session_start = start, 0, time.time()
    for index, (stage, stage_steps) in enumerate(stages):
        stage_end = stage_start + stage_steps
        if step >= stage_end:
            stage_start = stage_end
            continue
        for model, checkpoint in zip(models, found):
            if index > 0 or step > 0:
                model.begin_stage(stage)
                attach_optimizer(model, config, stage_steps)
            if step == start and step > 0:  # resuming: restore what the checkpoint holds
                checkpoints.restore(checkpoint, model, optimizer=step > stage_start)
        stacked = StackedSeeds(models, dataset.train_images, dataset.train_labels,
                               config.batch_size, [c.seed + index for c in configs],
                               adam(config, stage_steps), config.jit_compile, vectorize)
        while step < stage_end:
            count = min(config.steps_per_execution, stage_end - step, every - step % every)
            logs = stacked.run(step - stage_start, count)
            step += count
            if step % every == 0 or step == stage_end:
                stacked.unstack()
                # Each run's share of the program's wall time, so that the seeds' sum is its cost.
                seconds = (time.time() - session_start) / len(runs)
                for run, seed_logs in zip(runs, logs):
                    run.record(step, stage, seed_logs, dataset, seconds, verbose, total)
                stacked.reload_seeds()
        stage_start = stage_end
    return [r.history for r in runs]


def train_together(configs: Sequence[TrainConfig], verbose: int = 1, overwrite: bool = False,
                   run_evaluation: bool = True, export: bool = False,
                   export_dir: str | Path = "exported", vectorize: bool = True) -> list:
    """`runs.train` for several seeds of one setting, their training in one program
    (`fit_together`): each run directory is the one `runs.train` would write (config.json,
    history.json, checkpoints, model.weights.h5, metrics.json, samples.png), so a later
    `runs.train` or `runs.finished_run` of any of the configs reuses it. Evaluation and export
    then go run by run. Returns one `runs.RunResult` per config.

    Raises:
        ConfigError: the configs cannot be trained together (`check_together`).
        CheckpointError: their runs were interrupted at different steps (train them alone).
        NonFiniteError: a seed's loss or gradient became non-finite; every run is marked failed.
    """
    from pse_tf import runs
    from pse_tf.registry import get_model_class
    from pse_tf.training import build_model

    check_together(configs)
    get_model_class(configs[0].model.name).check_options(configs[0].model)
    run_dirs = [runs.resolve_run_dir(c, None) for c in configs]
    for run_dir in run_dirs:
        runs.check_writable(run_dir, "run directory")
    dataset, encoding = runs.load_data(configs[0])
    for c in configs[1:]:  # your own data sets image_dim and image_shape from the images
        c.model.image_dim, c.model.image_shape = (configs[0].model.image_dim,
                                                  configs[0].model.image_shape)
    run_dirs = [runs.prepare_run_dir(c, d, overwrite) for c, d in zip(configs, run_dirs)]
    for run_dir in run_dirs:
        runs.write_data_summary(run_dir, dataset)
    _common_checkpoint(run_dirs)  # refuse mismatched resumes before building anything
    models = [build_model(c, encoding) for c in configs]
    for run_dir in run_dirs:
        runs.write_status(run_dir, "training")
    t0 = time.time()
    try:
        histories = fit_together(models, configs, dataset, run_dirs, verbose, vectorize)
    except NonFiniteError as e:
        for run_dir in run_dirs:
            runs.write_status(run_dir, "failed", error=str(e), step=e.step, non_finite=e.names)
        raise
    train_seconds = (time.time() - t0) / len(configs)  # each run's share of the program
    results = []
    for config, run_dir, model, history in zip(configs, run_dirs, models, histories):
        model.save_weights(run_dir / runs.FINAL_WEIGHTS)
        runs.write_status(run_dir, "finished", steps=config.steps)
        results.append(runs.finish_run(config, run_dir, model, history, encoding, dataset,
                                       train_seconds, verbose, run_evaluation, export,
                                       export_dir))
    return results
