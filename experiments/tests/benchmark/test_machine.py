"""The machine's matmul speed: the rate probe, and a step's matmuls priced at their own times."""

import statistics
import time

import pytest

from tests.conftest import make_model
from experiments.benchmark.flops import matmul_key, step_matmuls
from experiments.benchmark.machine import MatmulRate, matmul_time_floor, wall_seconds

BATCH = 100


def test_wall_seconds_times_only_the_calls_after_the_warmup():
    durations = iter([0.3, 0.3, 0.01, 0.02, 0.03])  # two slow warm-up calls, then three timed

    def call():
        time.sleep(next(durations))

    times = wall_seconds(call, calls=3, warmup=2)
    assert len(times) == 3
    for measured, slept in zip(times, (0.01, 0.02, 0.03)):
        assert slept <= measured < slept + 0.2  # each timed call alone, no warm-up in it


def test_matmul_rate_summary_is_the_median_and_best_of_its_timed_calls():
    summary = MatmulRate(size=64).summary(repeats=3, warmup=1)
    assert summary["size"] == 64 and len(summary["times_ms"]) == 3
    flops = 2 * 64 ** 3
    assert summary["gflops"] == pytest.approx(
        flops / (statistics.median(summary["times_ms"]) / 1000) / 1e9)
    assert summary["gflops_best"] == pytest.approx(flops / (min(summary["times_ms"]) / 1000) / 1e9)


def test_matmul_time_floor_sums_each_matmul_at_its_own_time():
    model = make_model("pse_star")
    shapes = step_matmuls(model, BATCH)
    # A filled cache: nothing is timed, so the sum is exact.
    cache = {matmul_key(e): 1e-4 * (i + 1) for i, e in enumerate(shapes)}
    floor = matmul_time_floor(model, BATCH, cache)
    expected_ms = sum(e["count"] * 0.1 * (i + 1) for i, e in enumerate(shapes))
    assert floor["ms"] == pytest.approx(expected_ms)
    # PSE* (tiny): 10 dense layers, each forward and twice backward, but no input gradient for
    # the two fed by data (784 x 16 image encoder, 3 x 8 label encoder).
    assert floor["matmuls"] == 3 * 10 - 2
    macs = (784 * 16 + 16 * 8 + 8 * 8 + 3 * 8 + 4 * 8 + 8 * 16 + 16 * 784  # PSE
            + 784 * 16 + 16 * 8 + 8 * 3)  # its classifier
    assert floor["flops"] == 2 * BATCH * (3 * macs - 784 * 16 - 3 * 8)
    assert floor["gflops"] == pytest.approx(floor["flops"] / expected_ms / 1e6)
