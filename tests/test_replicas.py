"""What every replica does alike: the loop's XLA mode and the workers' agreement check."""

import pytest
import tensorflow as tf

from pse_tf import replicas


class _Replicas:
    """A strategy of two replicas whose values `gather` returns as given."""

    num_replicas_in_sync = 2

    def __init__(self, values):
        self.values = values

    def run(self, fn):
        return fn()

    def gather(self, value, axis):
        return tf.constant(self.values, tf.int64)


def test_xla_compiles_the_loop_alone_and_each_replica_under_a_strategy():
    assert replicas.xla_mode(None, True) == "loop"
    assert replicas.xla_mode(None, False) == "off"
    assert replicas.xla_mode(_Replicas([0, 0]), True) == "replica"
    assert replicas.xla_mode(_Replicas([0, 0]), False) == "off"


def test_workers_that_agree_pass_and_ones_that_disagree_are_named():
    replicas.same_on_every_worker(None, 7, "the step to resume from")
    replicas.same_on_every_worker(_Replicas([5000, 5000]), 5000, "the step to resume from")
    with pytest.raises(RuntimeError, match=r"disagree on the step to resume from: \[5000, 0\]"):
        replicas.same_on_every_worker(_Replicas([5000, 0]), 5000, "the step to resume from")
