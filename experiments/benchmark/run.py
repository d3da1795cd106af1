"""`run_benchmark`: every measurement in one process, composed from this package's modules, and
the report (`report.write_report`, which states the method) written as it goes.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Sequence

from experiments.benchmark.evaluation import time_evaluation
from experiments.benchmark.flops import FLOP_FORMULA, count_step_flops, forward_flops
from experiments.benchmark.machine import MatmulRate, machine_info, matmul_time_floor
from experiments.benchmark.paths import (FastPath, PlainPath, benchmark_config,
                                         compare_path_metrics, compare_training_paths,
                                         floor_ratios)
from experiments.benchmark.profile import profile_fast_path
from experiments.benchmark.report import read_section, write_report
from experiments.benchmark.serving import EXPORT_BATCH_SIZES, time_export
from pse_tf.config import TrainConfig


@dataclasses.dataclass
class _Setting:
    """What every section shares: the data set and model setting, the budget, the log."""

    dataset: str
    latent_dim: int
    batch_size: int
    data: object  # pse_tf.data.Dataset of `dataset`
    encoding: object  # one-hot pse_tf.labels.LabelEncoding of its classes
    steps: int
    repeats: int
    quick: bool
    log: Callable[[str], None]

    def config(self, name: str, dataset: str | None = None) -> TrainConfig:
        return benchmark_config(name, dataset or self.dataset, self.latent_dim, self.batch_size)


def _checked_models(models, eval_datasets, repeats: int, steps: int,
                    same_algorithm_steps: int) -> list[str]:
    """The models to time; raises ValueError on any bad argument, before any work."""
    from pse_tf.data import DATASETS
    from pse_tf.models import model_names

    known = model_names()
    models = list(models) if models else known
    unknown = sorted(set(models) - set(known))
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; registered: {known}")
    unknown = sorted(set(eval_datasets) - set(DATASETS))
    if unknown:
        raise ValueError(f"unknown evaluation data set(s) {unknown}; expected some of "
                         f"{list(DATASETS)}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    spe = TrainConfig().steps_per_execution
    if steps < 1 or steps % spe:
        raise ValueError(f"steps must be a positive multiple of steps_per_execution = {spe} "
                         f"(another call length is another XLA compilation), got {steps}")
    if same_algorithm_steps < 0 or same_algorithm_steps % spe:
        raise ValueError(f"same_algorithm_steps must be 0 or a multiple of {spe}, "
                         f"got {same_algorithm_steps}")
    return models


def _new_result(setting: _Setting, first_model: str, probe: MatmulRate) -> dict:
    """The result's settings, machine and headline matmul rate; its sections still empty."""
    log = setting.log
    machine = machine_info()
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, "
        f"load {machine['load_average'][0]:.2f}, TensorFlow {machine['tensorflow']}")
    matmul = probe.summary(repeats=3 if setting.quick else 7)
    log(f"matmul {matmul['size']}^3 float32: {matmul['gflops']:.1f} GFLOP/s")
    config0 = setting.config(first_model)
    return {
        "settings": {"dataset": setting.dataset, "label_encoding": "onehot",
                     "latent_dim": setting.latent_dim, "batch_size": setting.batch_size,
                     "steps_per_execution": config0.steps_per_execution,
                     "steps_per_timing": setting.steps, "repeats": setting.repeats,
                     "quick": setting.quick,
                     "flop_formula": FLOP_FORMULA, "fast_path": FastPath.SUMMARY,
                     "plain_path": PlainPath.SUMMARY},
        "machine": {**machine, "xla_fast_path": config0.jit_compile, "xla_plain_path": False},
        "matmul": matmul,
        "training": [], "evaluation": [], "export": [], "same_algorithm": [],
    }


def _time_training(setting: _Setting, name: str, probe: MatmulRate, rate: float,
                   shape_times: dict, profile: bool) -> tuple[dict, object]:
    """One model's "training" row (FLOPs, both paths against their floors, its matmuls alone,
    the profile) and the model our path trained."""
    log, batch_size = setting.log, setting.batch_size
    config = setting.config(name)
    fast = FastPath(config, setting.encoding, setting.data)
    plain = PlainPath(config, setting.encoding, setting.data)
    forward, step_flops = forward_flops(fast.model, batch_size), count_step_flops(fast.model,
                                                                                  batch_size)
    log(f"{name}: {step_flops / 1e6:.1f} MFLOP/step, floor {1000 * step_flops / rate:.2f} "
        f"ms/step at the rate above (stage {fast.stage})")
    timing = compare_training_paths(fast, plain, setting.steps, setting.repeats, log,
                                    label=f"{name}: ", rate=probe.gflops)
    # a smoke run times each shape once, briefly: the figure is then rough, the code path the same
    shapes = matmul_time_floor(fast.model, batch_size, shape_times,
                               *((0.02, 1) if setting.quick else (0.2, 3)))
    row = {"model": name, "stage": fast.stage, "forward_flops": forward,
           "step_flops": step_flops, **timing, **floor_ratios(step_flops, timing),
           "matmul_shapes": shapes, "fast_x_matmul_shapes": timing["fast_ms"] / shapes["ms"]}
    log(f"{name}: ours {row['fast_ms']:.2f} ms/step ({row['fast_x_floor']:.2f}x floor "
        f"{row['floor_ms']:.2f} ms, range {min(row['fast_x_floor_all']):.2f}-"
        f"{max(row['fast_x_floor_all']):.2f}), "
        f"plain {row['plain_ms']:.2f} ms/step, speed-up {row['speedup']:.1f}x")
    log(f"{name}: its {shapes['matmuls']} matmuls ({shapes['flops'] / 1e6:.1f} MFLOP) timed "
        f"alone at their shapes: {shapes['ms']:.2f} ms ({shapes['gflops']:.0f} GFLOP/s); "
        f"ours is {row['fast_x_matmul_shapes']:.2f}x that")
    if profile:
        row["profile"] = _profile(fast, setting.steps, log, name)
    return row, fast.model


def _profile(fast: FastPath, steps: int, log: Callable[[str], None], name: str) -> dict:
    try:
        found = profile_fast_path(fast, steps)
    except Exception as error:  # noqa: BLE001 - a diagnostic must not sink the run
        found = {"error": f"{type(error).__name__}: {error}"}
        log(f"{name}: profile skipped ({found['error']})")
        return found
    shares = ", ".join(f"{k} {v:.2f}" for k, v in found["thunk_ms"].items())
    log(f"{name}: profile (ms/step per XLA thunk category): {shares}")
    return found


def _time_evaluations(setting: _Setting, name: str, model, eval_datasets: Sequence[str],
                      rate: float):
    """Yields one "evaluation" row per data set: `dataset`'s with the model the benchmark
    trained, any other with the same model built untrained for it."""
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding
    from pse_tf.distribute import RunContext
    from pse_tf.training import build_model

    for eval_dataset in eval_datasets:
        if eval_dataset == setting.dataset:
            eval_model, eval_data, model_weights = model, setting.data, "benchmark-trained"
        else:  # the protocol's cost does not depend on the decoder's weights
            eval_data = load_dataset(eval_dataset)
            config = setting.config(name, eval_dataset)
            eval_model = build_model(config, LabelEncoding.build(eval_data.class_names, "onehot"),
                                     RunContext.create(config))
            model_weights = "untrained"
        yield {**time_evaluation(eval_model, eval_dataset, eval_data, rate, setting.quick,
                                 setting.log, label=f"{name}: "),
               "model_weights": model_weights}


def _same_algorithm(setting: _Setting, name: str, steps: int) -> dict:
    log = setting.log
    log(f"{name}: same algorithm? {steps} steps through each path")
    same = compare_path_metrics(setting.config(name), setting.encoding, setting.data, steps)
    log(f"{name}: test reconstruction ours {same['fast']['reconstruction_error']:.2f} / "
        f"plain {same['plain']['reconstruction_error']:.2f}, annotation "
        f"{100 * same['fast']['annotation_accuracy']:.2f}% / "
        f"{100 * same['plain']['annotation_accuracy']:.2f}%")
    return same


def run_benchmark(models: Sequence[str] | None = None, out: str | os.PathLike | None = "results",
                  repeats: int = 5, steps: int = 500, quick: bool = False,
                  dataset: str = "mnist", latent_dim: int = 10, batch_size: int = 100,
                  eval_models: Sequence[str] = ("pse_star",),
                  eval_datasets: Sequence[str] = ("mnist", "fashion_mnist"), profile: bool = True,
                  same_algorithm_steps: int = 1000,
                  log: Callable[[str], None] = print) -> dict:
    """Every measurement, one process, one run; writes the report to `out` (None: no files).

    Args:
        models: registry names to time (default: all registered).
        out: folder of benchmark.md / benchmark.json; while the run goes on, what it has
            measured so far is kept in benchmark.partial.md / .json there.
        repeats: interleaved timings per training path (median reported).
        steps: training steps per timing; a multiple of `steps_per_execution` (100).
        quick: a smoke run: 2 repeats of 100 steps, 3 matmul timings, each step matmul timed once
            for ~20 ms, the generation protocol for one repeat only (10 extrapolated), fewer
            export calls.
        dataset, latent_dim, batch_size: the benchmark's setting (MNIST, 10, 100 by default).
        eval_models: the models whose evaluation and export are timed (PSE* by default).
        eval_datasets: the data sets whose evaluation is timed: `dataset`'s with the model the
            benchmark trained, any other with the same model built untrained for it (the cost
            does not depend on its weights; Fashion-MNIST's evaluator is the expensive one).
        profile: after the timings, profile `steps` more steps of our path per model
            (`profile_fast_path`; a diagnostic, reported in its own table).
        same_algorithm_steps: for each of `eval_models`, train this many steps through both
            paths from scratch and compare their test metrics (`compare_path_metrics`);
            0 skips it. A multiple of 100.
        log: called with one line per measurement.

    Returns:
        The result dict written to benchmark.json.
    """
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding

    if quick:
        repeats, steps = min(repeats, 2), min(steps, 100)
    models = _checked_models(models, eval_datasets, repeats, steps, same_algorithm_steps)
    data = load_dataset(dataset)
    setting = _Setting(dataset, latent_dim, batch_size, data,
                       LabelEncoding.build(data.class_names, "onehot"), steps, repeats, quick,
                       log)
    probe = MatmulRate()  # the headline rate here, and the floor sampled around each timing
    result = _new_result(setting, models[0], probe)
    # Measured on its own (`benchmark.py --strategies`): kept from the last report.
    result["strategies"] = read_section(out, "strategies") if out is not None else None
    rate = result["matmul"]["gflops"] * 1e9

    def keep(section: str, rows: list[dict]):
        result[section].extend(rows)
        if out is not None:
            write_report(result, out, partial=True)

    trained, shape_times = {}, {}
    for name in models:
        row, model = _time_training(setting, name, probe, rate, shape_times, profile)
        if name in eval_models:
            trained[name] = model
        keep("training", [row])
    evaluated = [m for m in eval_models if m in trained]
    for name in evaluated:
        for row in _time_evaluations(setting, name, trained[name], eval_datasets, rate):
            keep("evaluation", [row])
        keep("export", time_export(trained[name], name,
                                   data.test_images[:max(EXPORT_BATCH_SIZES)],
                                   calls=5 if quick else 20, log=log))
    for name in evaluated if same_algorithm_steps else []:
        keep("same_algorithm", [_same_algorithm(setting, name, same_algorithm_steps)])

    result["machine"]["load_average_end"] = list(os.getloadavg())
    if out is not None:
        paths = write_report(result, out)
        log(f"wrote {paths[0]} and {paths[1]}")
    return result
