"""The two training paths the benchmark compares: ours (`FastPath`, `training.InGraphLoop`) and an
untuned `model.fit` (`PlainPath`); their interleaved timing, each timing against its own floor,
and their test metrics after the same training.

Why they are timed this way is stated in the report's Method section
(`experiments.benchmark.report`, results/benchmark.md).
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.data import flat_float


def benchmark_config(model_name: str, dataset: str = "mnist", latent_dim: int = 10,
                     batch_size: int = 100, steps_per_execution: int | None = None,
                     jit_compile: bool = True) -> TrainConfig:
    """The training config the benchmark times: one-hot labels, paper architecture."""
    spe = TrainConfig().steps_per_execution if steps_per_execution is None else steps_per_execution
    return TrainConfig(dataset=dataset, label_encoding="onehot", batch_size=batch_size,
                       model=ModelConfig(name=model_name, latent_dim=latent_dim),
                       steps_per_execution=spe, jit_compile=jit_compile)


class FastPath:
    """Our training path, as `training.fit` runs it: `training.InGraphLoop` on
    `training.build_model`'s model, `config.steps_per_execution` steps per compiled call, in the
    model's first stage; under `strategy` if one is given (else `config.strategy`'s)."""

    SUMMARY = "training.InGraphLoop, XLA (jit_compile=True)"  # the report's settings

    def __init__(self, config: TrainConfig, encoding, dataset, strategy=None):
        from pse_tf.distribute import RunContext
        from pse_tf.training import InGraphLoop, build_model

        self.config = config
        context = RunContext.create(config, strategy=strategy)
        self.model = build_model(config, encoding, context)
        self.stage = self.model.training_stages(1)[0][0]
        self.loop = InGraphLoop(self.model, context, dataset.train_images, dataset.train_labels,
                                config.batch_size, config.seed, config.jit_compile)
        self.step = 0

    def run(self, steps: int) -> float:
        """Train `steps` more steps; returns the wall seconds."""
        spe = self.config.steps_per_execution
        if steps < 1 or steps % spe:
            # Another call length is another XLA compilation, which would land in the timing.
            raise ValueError(f"steps must be a positive multiple of steps_per_execution = {spe}, "
                             f"got {steps}")
        t0 = time.perf_counter()
        for _ in range(steps // spe):
            self.loop.run(self.step, spe)  # returns Python floats: the call has finished
            self.step += spe
        return time.perf_counter() - t0


class _StepTimer(keras.callbacks.Callback):
    """Wall time from the start of a fit's second batch to the end of its epoch."""

    async_safe = True  # keeps Keras' default (asynchronous) batch-end dispatch unchanged

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 1:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.end = time.perf_counter()


class PlainPath:
    """The untuned reference: the same model class through `model.fit`.

    `tf.data.Dataset.from_tensor_slices((flat_float(images) [N, 784], int32 labels))
    .shuffle(50000).batch(100)`, repeated so a timing may cross an epoch (it then pays the
    buffer's refill, as training does once per epoch); `compile(optimizer=Adam(1e-3),
    jit_compile=False, steps_per_execution=1)`. Each timing is one
    `fit(epochs=1, steps_per_epoch=steps + 1)` timed from the second batch, so the first fill of
    the shuffle buffer and the first step are excluded.
    """

    SUMMARY = ("model.fit on tf.data from_tensor_slices.shuffle(50000).batch(100).repeat(), "
               "Adam(1e-3), jit_compile=False, steps_per_execution=1")  # the report's settings

    def __init__(self, config: TrainConfig, encoding, dataset):
        from pse_tf.distribute import RunContext
        from pse_tf.training import build_model

        # The same weights as FastPath's (build_model seeds them), then Keras' default compile.
        self.model = build_model(config, encoding, RunContext.create(config))
        self.stage = self.model.training_stages(1)[0][0]
        self.model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False,
                           steps_per_execution=1)
        self.data = tf.data.Dataset.from_tensor_slices(
            (flat_float(dataset.train_images), dataset.train_labels.astype(np.int32))
        ).shuffle(50000).batch(config.batch_size).repeat()

    def run(self, steps: int) -> float:
        """Train `steps` timed steps (plus one untimed); returns their wall seconds."""
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        timer = _StepTimer()
        # shuffle=False only silences fit's warning: a Dataset is shuffled by its own .shuffle().
        self.model.fit(self.data, epochs=1, steps_per_epoch=steps + 1, verbose=0, shuffle=False,
                       callbacks=[timer])
        return timer.end - timer.start


def ms_per_step(path: FastPath | PlainPath, steps: int) -> float:
    """ms per step of `steps` more steps of a training path (warmed up: compilation excluded)."""
    return 1000 * path.run(steps) / steps


def compare_training_paths(fast: FastPath, plain: PlainPath, steps: int, repeats: int,
                           log: Callable[[str], None] = print, label: str = "",
                           rate: Callable[[], float] | None = None) -> dict:
    """Warm up both (compilation), then `repeats` interleaved timings: fast, plain, fast, ...

    `rate` (e.g. `MatmulRate(...).gflops`) is sampled just before and just after each timing
    of ours; their mean is that repeat's machine rate.

    Returns {"fast_ms", "plain_ms" (medians), "fast_ms_all", "plain_ms_all", "speedup"} and,
    with `rate`, "gflops_all" (one per repeat).
    """
    t0 = time.perf_counter()
    fast.run(fast.config.steps_per_execution)
    log(f"{label}ours: warm-up (trace + XLA compile) {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    plain.run(1)
    log(f"{label}plain: warm-up (trace) {time.perf_counter() - t0:.1f} s")
    fast_ms, plain_ms, gflops = [], [], []
    for r in range(repeats):
        before = rate() if rate else None
        fast_ms.append(ms_per_step(fast, steps))
        if rate:
            gflops.append((before + rate()) / 2)
        log(f"{label}ours  repeat {r + 1}/{repeats}: {fast_ms[-1]:.2f} ms/step"
            + (f" (matmul {gflops[-1]:.0f} GFLOP/s)" if rate else ""))
        plain_ms.append(ms_per_step(plain, steps))
        log(f"{label}plain repeat {r + 1}/{repeats}: {plain_ms[-1]:.2f} ms/step")
    fast_median, plain_median = statistics.median(fast_ms), statistics.median(plain_ms)
    timing = {"fast_ms": fast_median, "plain_ms": plain_median, "fast_ms_all": fast_ms,
              "plain_ms_all": plain_ms, "speedup": plain_median / fast_median}
    return {**timing, "gflops_all": gflops} if rate else timing


def floor_ratios(step_flops: int, timing: dict) -> dict:
    """Each timing ÷ the floor at its own repeat's matmul rate (`compare_training_paths` with a
    `rate`), so a machine that speeds up or slows down mid-run moves both sides of a ratio.

    Returns {"floor_ms" (at the median rate), "fast_x_floor", "plain_x_floor" (medians of the
    per-repeat ratios), "fast_x_floor_all", "plain_x_floor_all"}.
    """
    floors = [1e-6 * step_flops / g for g in timing["gflops_all"]]  # ms at each repeat's rate
    fast = [t / f for t, f in zip(timing["fast_ms_all"], floors)]
    plain = [t / f for t, f in zip(timing["plain_ms_all"], floors)]
    return {"floor_ms": 1e-6 * step_flops / statistics.median(timing["gflops_all"]),
            "fast_x_floor": statistics.median(fast), "plain_x_floor": statistics.median(plain),
            "fast_x_floor_all": fast, "plain_x_floor_all": plain}


def compare_path_metrics(config: TrainConfig, encoding, dataset, steps: int) -> dict:
    """Train the same model (config, seed) `steps` steps through both paths from scratch, then
    score each on the test set: the fast path must be the same algorithm, so the metrics agree
    within seed noise (the paths differ only in batch order and random draws).

    Returns {"model", "steps", "fast": {...}, "plain": {...}, "difference": {...}} with the test
    reconstruction error and annotation accuracy of each path.
    """
    from pse_tf.evaluation import metrics

    fast, plain = FastPath(config, encoding, dataset), PlainPath(config, encoding, dataset)
    fast.run(steps)
    plain.run(steps - 1)  # PlainPath.run trains one untimed step more
    scores = {}
    for name, path in (("fast", fast), ("plain", plain)):
        scores[name] = {
            "reconstruction_error": metrics.reconstruction_error(
                path.model, dataset.test_images, dataset.test_labels, seed=config.seed),
            "annotation_accuracy": metrics.annotation_accuracy(
                path.model, dataset.test_images, dataset.test_labels)}
    return {"model": config.model.name, "steps": steps, **scores,
            "difference": {k: scores["fast"][k] - scores["plain"][k] for k in scores["fast"]}}
