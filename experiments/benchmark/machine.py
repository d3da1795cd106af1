"""This machine: its facts, its float32 matmul speed (at 2048³ and at a step's own shapes), and
the wall-clock helper every timing uses.

How these numbers are used (floor, per-repeat sampling) is stated in the report's Method section
(`experiments.benchmark.report`, results/benchmark.md).
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from experiments.benchmark.flops import matmul_key, step_matmuls


def wall_seconds(call: Callable[[], object], calls: int, warmup: int = 0) -> list[float]:
    """Wall seconds of each of `calls` calls of `call`, after `warmup` untimed ones. `call` must
    return only once its work has finished (e.g. by returning a Python or NumPy value)."""
    times = []
    for i in range(warmup + calls):
        t0 = time.perf_counter()
        call()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


class MatmulRate:
    """This machine's float32 rate on one [size, size] x [size, size] matmul in a tf.function,
    measured on demand: the benchmark samples it next to every timing of a training step, so
    the floor comes from the same minutes as the step on a machine whose speed drifts.
    """

    def __init__(self, size: int = 2048):
        rng = np.random.default_rng(0)
        self.size = size
        self._a = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
        self._b = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
        self._product = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))  # sum: a sync
        self.flops = 2 * size ** 3

    def seconds(self, calls: int, warmup: int = 0) -> list[float]:
        """Wall seconds of each of `calls` matmuls, after `warmup` untimed ones."""
        return wall_seconds(lambda: float(self._product(self._a, self._b)), calls, warmup)

    def gflops(self, calls: int = 3) -> float:
        """GFLOP/s from the median of `calls` matmuls."""
        return self.flops / statistics.median(self.seconds(calls)) / 1e9

    def summary(self, repeats: int = 5, warmup: int = 1) -> dict:
        """{"size", "gflops" (from the median time), "gflops_best" (from the fastest call),
        "times_ms" (every timed call)} of `repeats` matmuls after `warmup` untimed ones."""
        times = self.seconds(repeats, warmup)
        return {"size": self.size, "gflops": self.flops / statistics.median(times) / 1e9,
                "gflops_best": self.flops / min(times) / 1e9,
                "times_ms": [1000 * t for t in times]}


def time_matmul(a_shape, b_shape, transpose_a: bool = False, transpose_b: bool = False,
                target_s: float = 0.2, repeats: int = 3) -> float:
    """Seconds per float32 matmul of these operand shapes, run back to back in one XLA loop
    (best of `repeats` loops of ~`target_s` each).

    Each iteration scales the smaller operand by (1 + i * 1e-9) so that XLA cannot hoist the
    loop-invariant matmul out of the loop; that element-wise pass and the sum that keeps the
    result alive are included, and are small beside the matmul for all but the tiniest shapes.
    """
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal(a_shape, dtype=np.float32))
    b = tf.constant(rng.standard_normal(b_shape, dtype=np.float32))
    scale_a = np.prod(a_shape) <= np.prod(b_shape)

    @tf.function(jit_compile=True)
    def loop(a, b, n):
        def body(i, total):
            bump = 1.0 + tf.cast(i, tf.float32) * 1e-9
            x, y = (a * bump, b) if scale_a else (a, b * bump)
            product = tf.linalg.matmul(x, y, transpose_a=transpose_a, transpose_b=transpose_b)
            return i + 1, total + tf.reduce_sum(product)
        return tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), tf.constant(0.0)))[1]

    def seconds(n):
        return wall_seconds(lambda: float(loop(a, b, tf.constant(n))), 1)[0]

    seconds(1)  # compile
    n = 10
    while (elapsed := seconds(n)) < target_s / 10:
        n *= 10
    n = max(1, int(n * target_s / elapsed))
    return min(seconds(n) for _ in range(repeats)) / n


def matmul_time_floor(model, batch_size: int = 100, cache: dict | None = None,
                      target_s: float = 0.2, repeats: int = 3) -> dict:
    """The step's matmuls (`step_matmuls`) each timed alone at its own shape (`time_matmul`),
    summed: what one step's matmuls cost at this machine's speed for those shapes, with no
    optimizer, element-wise work or scheduling in between. `cache` (shape key -> seconds) lets
    models that share shapes time them once; `target_s` and `repeats` go to `time_matmul`.

    Returns {"flops", "matmuls", "ms", "gflops" (the effective rate), "shapes": [...]}.
    """
    cache = {} if cache is None else cache
    shapes = step_matmuls(model, batch_size)
    for entry in shapes:
        key = matmul_key(entry)
        if key not in cache:
            cache[key] = time_matmul(*key, target_s=target_s, repeats=repeats)
        entry["ms_each"] = 1000 * cache[key]
    flops = sum(e["count"] * e["flops"] for e in shapes)
    ms = sum(e["count"] * e["ms_each"] for e in shapes)
    return {"flops": flops, "matmuls": sum(e["count"] for e in shapes), "ms": ms,
            "gflops": flops / ms / 1e6, "shapes": shapes}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """CPU model, cores, load average, library versions, date (UTC)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"cpu": _cpu_model(), "cores": cores, "load_average": list(os.getloadavg()),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version(),
            "gpus": len(tf.config.list_physical_devices("GPU")),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
