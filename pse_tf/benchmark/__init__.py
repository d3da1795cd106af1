"""Performance benchmark: FLOPs per training step, this machine's matmul floor, our training path
against a plain `model.fit`, the evaluation protocol and the exported annotator.

`run_benchmark` (`run.py`) does everything in one process and writes results/benchmark.md and
results/benchmark.json (`report.py`); `scripts/benchmark.py` is its command line. The method is
stated once, in the report it writes (`report._method`). One module per measurement:

    flops.py       FLOPs counted from traced graphs; the matmuls a step runs
    machine.py     machine facts, the matmul rate probe, each matmul timed at its own shape
    paths.py       our training path and the plain `fit`, timed interleaved; floors; metrics
    profile.py     where our step's time goes (profiler trace against the optimized HLO)
    evaluation.py  the generation protocol and annotation, timed as `runs.evaluate` calls them
    serving.py     the exported annotator (SavedModel, TFLite)
    strategies.py  ms/step per distribution strategy (1 vs 2 devices; scripts/benchmark.py
                   --strategies measures it alone)
    multiseed.py   per-seed ms/step of S seeds in one program (`pse_tf.multiseed`) against
                   one seed alone; its own report, results/multiseed_benchmark.md
                   (scripts/benchmark_multiseed.py)
    report.py      benchmark.md / benchmark.json
    run.py         `run_benchmark`, composing them
"""

from pse_tf.benchmark.evaluation import (evaluator_for, generation_flops, time_annotation,
                                         time_evaluation, time_generation_protocol)
from pse_tf.benchmark.flops import (count_step_flops, forward_flops, matmul_flops,
                                    step_matmuls)
from pse_tf.benchmark.machine import MatmulRate, machine_info, matmul_time_floor, time_matmul
from pse_tf.benchmark.multiseed import measure_multiseed, write_multiseed_report
from pse_tf.benchmark.paths import (FastPath, PlainPath, benchmark_config, compare_path_metrics,
                                    compare_training_paths, floor_ratios)
from pse_tf.benchmark.profile import PROFILE_CATEGORIES, profile_fast_path
from pse_tf.benchmark.report import write_report
from pse_tf.benchmark.run import run_benchmark
from pse_tf.benchmark.serving import time_export, time_exported_annotator
from pse_tf.benchmark.strategies import measure_strategies, split_cpu

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
    "measure_multiseed",
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
    "write_multiseed_report",
    "write_report",
]
