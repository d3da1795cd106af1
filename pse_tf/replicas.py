"""What every replica of a run does alike: the XLA mode of the training loop, each replica's rows
of the global batch and its copy of the training set, and the check that every worker agrees on
a value before a collective. Plain TensorFlow: the strategy is passed in (the run's
`distribute.RunContext` holds it), and nothing here reads a config."""

from __future__ import annotations

import tensorflow as tf


def xla_mode(strategy: tf.distribute.Strategy | None, jit_compile: bool) -> str:
    """What XLA compiles in the training loop: `off`, `loop` (the whole multi-step call, one
    device) or `replica` (each replica's forward and backward pass; under a strategy)."""
    if not jit_compile:
        return "off"
    return "loop" if strategy is None else "replica"


def replica_rows(batch):
    """This replica's slice of a global batch of row indices [B]: [B / replicas]."""
    context = tf.distribute.get_replica_context()
    n = tf.shape(batch)[0] // context.num_replicas_in_sync
    start = context.replica_id_in_sync_group * n
    return batch[start:start + n]


def on_every_replica(strategy: tf.distribute.Strategy, value):
    """A copy of `value` on each of this worker's replica devices, for `strategy.run` args; not
    a mirrored variable, whose initial value the collectives would broadcast, and they do not
    carry uint8, the training set's type."""
    host = tf.constant(value)
    return strategy.experimental_distribute_values_from_function(lambda _: tf.identity(host))


def same_on_every_worker(strategy: tf.distribute.Strategy | None, value: int, what: str):
    """Raises RuntimeError unless every replica passes the same `value` (all must call it),
    rather than a worker from another step than the chief waiting forever in a collective."""
    if strategy is None or strategy.num_replicas_in_sync == 1:
        return
    values = strategy.gather(strategy.run(lambda: tf.constant([value], tf.int64)), axis=0)
    values = [int(v) for v in values.numpy()]
    if len(set(values)) > 1:
        raise RuntimeError(f"the replicas disagree on {what}: {values}; every worker must "
                           "see the run directory at the same path (a shared file system)")
