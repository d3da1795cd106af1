"""ms/step of our training path under each distribution strategy: `none` on one device against
`mirrored` over one device and over all of them, XLA on and off.

The devices are the GPUs when there are any: the same code is the GPU path, one replica per GPU,
XLA compiling each replica's forward and backward pass. Without GPUs the CPU is split into
logical devices (`split_cpu`), which must happen before TensorFlow sets up its devices, so
`benchmark.py --strategies` calls it first. Logical CPU devices share the same cores: on a
CPU this measures what the strategy costs, not a speed-up.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
from typing import Callable, Sequence

import tensorflow as tf

from pse_tf import distribute, replicas
from experiments.benchmark.machine import machine_info
from experiments.benchmark.paths import FastPath, benchmark_config, ms_per_step

CPU_DEVICES = 2


def split_cpu(count: int = CPU_DEVICES):
    """Split the CPU into `count` logical devices (nothing when there are GPUs).

    Raises RuntimeError if TensorFlow has already set up its devices in this process.
    """
    if tf.config.list_physical_devices("GPU"):
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as e:
        raise RuntimeError(f"cannot split the CPU into {count} logical devices: TensorFlow has "
                           f"set up its devices already in this process ({e})") from None


def _paths(model: str, jit_compile: bool, encoding, data, devices: list[str]) -> list[tuple]:
    """(strategy name, device count, FastPath) for none, mirrored on one device, on all."""
    counts = [1] + ([len(devices)] if len(devices) > 1 else [])
    paths = [("none", 1, FastPath(benchmark_config(model, jit_compile=jit_compile), encoding,
                                  data))]
    for n in counts:
        config = dataclasses.replace(benchmark_config(model, jit_compile=jit_compile),
                                     strategy="mirrored")
        strategy = tf.distribute.MirroredStrategy(devices[:n])
        paths.append(("mirrored", n, FastPath(config, encoding, data, strategy)))
    return paths


def measure_strategies(models: Sequence[str] = ("pse_star",), steps: int = 200,
                       repeats: int = 3, dataset: str = "mnist",
                       log: Callable[[str], None] = print) -> dict:
    """For each model and XLA setting: warm up every path, then `repeats` interleaved timings
    of `steps` steps (none, mirrored on 1, mirrored on all, none, ...); the median of each.

    Returns the report's "strategies" section: {"devices", "steps_per_timing", "repeats",
    "machine", "rows": [{"model", "strategy", "devices", "xla", "ms", "ms_all", "x_none"}]}.
    """
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding

    data = load_dataset(dataset)
    encoding = LabelEncoding.build(data.class_names, "onehot")
    devices = distribute.mirrored_devices()
    gpus = bool(tf.config.list_logical_devices("GPU"))
    log(f"strategies: {len(devices)} {'GPU' if gpus else 'logical CPU'} device(s), "
        f"{os.cpu_count()} cores")
    rows = []
    for model in models:
        for jit_compile in (True, False):
            paths = _paths(model, jit_compile, encoding, data, devices)
            for name, n, path in paths:
                path.run(path.config.steps_per_execution)  # trace and compile: not timed
            times = {i: [] for i in range(len(paths))}
            for r in range(repeats):
                for i, (name, n, path) in enumerate(paths):
                    times[i].append(ms_per_step(path, steps))
                    log(f"{model}: {name} on {n} device(s), XLA {jit_compile}: "
                        f"repeat {r + 1}/{repeats} {times[i][-1]:.2f} ms/step")
            none_ms = statistics.median(times[0])
            for i, (name, n, path) in enumerate(paths):
                ms = statistics.median(times[i])
                rows.append({"model": model, "strategy": name, "devices": n,
                             "xla": replicas.xla_mode(path.loop.strategy, jit_compile),
                             "ms": ms, "ms_all": times[i], "x_none": ms / none_ms})
    return {"devices": f"{len(devices)} {'GPUs' if gpus else 'logical CPU devices'}",
            "steps_per_timing": steps, "repeats": repeats, "machine": machine_info(),
            "rows": rows}
