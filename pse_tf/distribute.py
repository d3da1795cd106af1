"""Training on several devices or hosts: the `tf.distribute` strategy a config names, checked
against the machine, and the run's `RunContext`. What each replica does inside the strategy is in
`pse_tf.replicas`; its noise and loss scale are in `pse_tf.models.base`.

    none          one device; the training loop is one XLA program (the default).
    mirrored      `tf.distribute.MirroredStrategy`: one replica per local GPU (without GPUs, one
                  per logical CPU device: one, unless the CPU was split as the tests do).
    multi_worker  `tf.distribute.MultiWorkerMirroredStrategy`: the same across processes or
                  hosts, each named by the TF_CONFIG environment variable.

`TrainConfig.batch_size` is the global batch: each replica trains on batch_size / replicas rows
with its loss scaled by 1 / replicas, and the optimizer sums (all-reduces) the replicas'
gradients, so one step applies the gradient of the global batch mean.

A run makes its `RunContext` once (`pse_tf.runs.train`), with every check of the config against
the machine, and passes it down: the one source of the strategy. An XLA program cannot span
devices, so under a strategy only each replica's forward and backward pass is compiled
(`pse_tf.replicas.xla_mode`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import keras
import tensorflow as tf

from pse_tf.config import STRATEGIES, ConfigError
from pse_tf.replicas import xla_mode

# bfloat16 keeps float32's exponent range, so no loss scaling is needed and a NaN or Inf in a
# gradient is a real one (NonFiniteError), not a loss-scale overflow that float16 would skip.
MIXED_POLICY = "mixed_bfloat16"

_created: dict[str, tf.distribute.Strategy] = {}


def create_strategy(name: str) -> tf.distribute.Strategy | None:
    """The strategy `name` (one of STRATEGIES) names; None for `none`. The same object on every
    call: MultiWorkerMirroredStrategy can be created only once, before TensorFlow runs anything."""
    if name not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {STRATEGIES}, got {name!r}")
    if name == "none":
        return None
    if name not in _created:
        if name == "mirrored":
            _created[name] = tf.distribute.MirroredStrategy(mirrored_devices())
        else:
            try:
                _created[name] = tf.distribute.MultiWorkerMirroredStrategy()
            except (RuntimeError, ValueError) as e:
                raise ConfigError(
                    f"strategy multi_worker could not start ({e}); it must be created before "
                    "TensorFlow runs anything in the process: train in a process of its own "
                    "(scripts/train.py --strategy multi_worker)") from None
    return _created[name]


def mirrored_devices() -> list[str]:
    """The devices `mirrored` puts a replica on: the GPUs, else the logical CPU devices."""
    return [d.name for d in tf.config.list_logical_devices("GPU")
            or tf.config.list_logical_devices("CPU")]


def check_batch_size(batch_size: int, strategy: tf.distribute.Strategy | None):
    """Raises ConfigError unless the global batch splits evenly over the replicas."""
    n = RunContext(strategy).replicas
    if batch_size % n:
        raise ConfigError(f"batch_size {batch_size} does not split over {n} replicas: it is the "
                          f"global batch and must be a multiple of {n}")


def check_mixed_precision(enabled: bool):
    """Raises ConfigError when mixed precision is asked for without a GPU: refused, not warned
    about, since XLA's bfloat16 on CPU is slower than float32 (README, Performance)."""
    if enabled and not tf.config.list_physical_devices("GPU"):
        raise ConfigError("mixed_precision needs a GPU: it computes in bfloat16, which on CPU "
                          "is slower than float32 here (XLA's bfloat16 dots, README "
                          "Performance); drop --mixed-precision on this machine")


@contextlib.contextmanager
def dtype_policy(mixed_precision: bool):
    """Layers built inside compute in bfloat16 (`MIXED_POLICY`) when `mixed_precision`; weights
    stay float32. The global policy is restored on exit."""
    if not mixed_precision:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(MIXED_POLICY)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def is_chief(strategy: tf.distribute.Strategy | None) -> bool:
    """Whether this process writes the run's files: always, except a multi_worker worker that
    is not the chief (task `chief`, or `worker` 0 when the cluster has no chief)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


@dataclasses.dataclass(frozen=True)
class RunContext:
    """Where and how one run trains, made once at its start (`RunContext.create`).

    Args:
        strategy: tf.distribute.Strategy or None. None: one device.
        chief: bool. Whether this process writes the run's files (`is_chief`).
        run_dir: Path or None. The run directory; None for a model trained without one.
    """

    strategy: tf.distribute.Strategy | None = None
    chief: bool = True
    run_dir: Path | None = None

    @classmethod
    def create(cls, config, run_dir=None, strategy=None) -> "RunContext":
        """The context of `config` (a TrainConfig), with its strategy (or `strategy`, one
        already made), checked against this machine; call it before TensorFlow runs anything.

        Raises:
            ConfigError: one of the checks failed; the message names the value.
        """
        if strategy is None:
            strategy = create_strategy(config.strategy)
        check_batch_size(config.batch_size, strategy)
        check_mixed_precision(config.mixed_precision)
        return cls(strategy, is_chief(strategy), None if run_dir is None else Path(run_dir))

    @property
    def replicas(self) -> int:
        """Replicas in sync, over every worker (1 without a strategy)."""
        return self.strategy.num_replicas_in_sync if self.strategy is not None else 1

    def scope(self):
        """The strategy's scope (nothing without one): variables made inside belong to it."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    @contextlib.contextmanager
    def writable_dir(self):
        """The run directory for the chief (`is_chief`); for another worker a temporary folder,
        removed on exit. Every worker saves the same things (the same variable reads), only the
        chief's are kept."""
        if self.chief:
            yield self.run_dir
            return
        folder = Path(tempfile.mkdtemp(prefix=f"pse_tf-worker{os.getpid()}-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def describe(self, batch_size: int, jit_compile: bool) -> str:
        """One line: the replicas, each one's share of the global batch, and what XLA
        compiles."""
        n, strategy = self.replicas, self.strategy
        xla = {"off": "off", "loop": "the whole multi-step call",
               "replica": "each replica's forward and backward pass (the all-reduce, Adam and "
                          "the trackers run outside XLA: one XLA program cannot span devices)"}
        name = ("none" if strategy is None else "multi_worker"
                if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) else "mirrored")
        return (f"strategy {name}: {n} replica(s), {batch_size // n} rows each of the global "
                f"batch {batch_size}; XLA: {xla[xla_mode(strategy, jit_compile)]}")
