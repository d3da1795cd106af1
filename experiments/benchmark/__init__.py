"""Performance benchmark: FLOPs per training step, this machine's matmul floor, our training path
against a plain `model.fit`, the evaluation protocol and the exported annotator.

`run_benchmark` (`run.py`) does everything in one process and writes results/benchmark.md and
results/benchmark.json (`report.py`); `experiments/benchmark/benchmark.py` is its command
line. The method is stated once, in the report it writes (`report._method`). One module per
measurement:

    flops.py       FLOPs counted from traced graphs; the matmuls a step runs
    machine.py     machine facts, the matmul rate probe, each matmul timed at its own shape
    paths.py       our training path and the plain `fit`, timed interleaved; floors; metrics
    profile.py     where our step's time goes (profiler trace against the optimized HLO)
    evaluation.py  the generation protocol and annotation, timed as `runs.evaluate` calls them
    serving.py     the exported annotator (SavedModel, TFLite)
    strategies.py  ms/step per distribution strategy (1 vs 2 devices; `benchmark.py
                   --strategies` measures it alone)
    report.py      benchmark.md / benchmark.json
    run.py         `run_benchmark`, composing them
"""

from experiments.benchmark.evaluation import (evaluator_for, generation_flops, time_annotation,
                                              time_evaluation, time_generation_protocol)
from experiments.benchmark.flops import (count_step_flops, forward_flops, matmul_flops,
                                         step_matmuls)
from experiments.benchmark.machine import MatmulRate, machine_info, matmul_time_floor, time_matmul
from experiments.benchmark.paths import (FastPath, PlainPath, benchmark_config,
                                         compare_path_metrics, compare_training_paths,
                                         floor_ratios)
from experiments.benchmark.profile import PROFILE_CATEGORIES, profile_fast_path
from experiments.benchmark.report import write_report
from experiments.benchmark.run import run_benchmark
from experiments.benchmark.serving import time_export, time_exported_annotator
from experiments.benchmark.strategies import measure_strategies, split_cpu

__all__ = [
    "FastPath",
    "MatmulRate",
    "PROFILE_CATEGORIES",
    "PlainPath",
    "benchmark_config",
    "compare_path_metrics",
    "compare_training_paths",
    "count_step_flops",
    "evaluator_for",
    "floor_ratios",
    "forward_flops",
    "generation_flops",
    "machine_info",
    "matmul_flops",
    "matmul_time_floor",
    "measure_strategies",
    "profile_fast_path",
    "run_benchmark",
    "split_cpu",
    "step_matmuls",
    "time_annotation",
    "time_evaluation",
    "time_export",
    "time_exported_annotator",
    "time_generation_protocol",
    "time_matmul",
    "write_report",
]
