"""The benchmark's report: `benchmark.md` (the method, then a table per section) and
`benchmark.json` (the same numbers). The method is stated here, in `_method`, and nowhere else.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Sequence

import numpy as np

from experiments.benchmark.profile import PROFILE_CATEGORIES

REPORT_MD, REPORT_JSON = "benchmark.md", "benchmark.json"
# Where a run keeps what it has measured so far; the final report replaces them.
PARTIAL_MD, PARTIAL_JSON = "benchmark.partial.md", "benchmark.partial.json"


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _section(heading: str, table: str) -> list[str]:
    return ["", heading, "", table]


def _header(s: dict, partial: bool) -> list[str]:
    return [
        "# pse_tf benchmark",
        "",
        *(["**Partial:** the run had not finished when this was written; sections and rows "
           "still to come are missing.", ""] if partial else []),
        f"{s['dataset']}, {s['label_encoding']} labels, latent {s['latent_dim']}, batch "
        f"{s['batch_size']}." + (" **Quick run** (smoke-test budgets; numbers are indicative "
                                 "only)." if s.get("quick") else ""),
    ]


def _method(s: dict, mm: dict, strategies: dict | None = None) -> list[str]:
    """How every number below is made: the one statement of the benchmark's method."""
    size, batch = f"{mm['size']}³", s["batch_size"]
    bullets = [
        f"**FLOP/step** (`count_step_flops`): `compute_terms` is traced on a batch of {batch} "
        "and every MatMul / BatchMatMul in its graph counts 2·m·n·k FLOPs from its static "
        "shapes (`matmul_flops`); a training step counts 3 × those forward FLOPs, since "
        "back-propagation through a matmul costs two matmuls of its size (the gradients with "
        "respect to its input and to its weights). Element-wise ops (bias, ReLU, softplus, "
        "sampling, the Bernoulli and KL terms) and Adam's update are not counted. The input "
        "gradient of a layer fed by data (the first image-encoder layer, the label encoder) is "
        "counted although XLA prunes it: for PSE that is 784 × 512 of the ~870k forward "
        "multiply-adds per image, so the count is ~15 % above the matmul work actually done "
        "(~10 % for PSE\\*, whose classifier's input, the reconstruction, needs its gradient).",
        f"**Floor** = FLOP/step ÷ this machine's float32 rate on one {size} matmul "
        "(`MatmulRate`): the time the step would take if every matmul ran at large-GEMM speed "
        "and nothing else cost anything. The machine's speed drifts by tens of percent within "
        "minutes (other tenants), so the rate is sampled (3 matmuls) just before and just after "
        "each timing of ours, and each repeat is divided by the floor of its own minutes "
        "(`floor_ratios`): × floor is the median of those per-repeat ratios, its range is "
        "shown, and floor ms is at the median of the sampled rates. The rate under Machine "
        "(measured at the start) prices the evaluation.",
        f"**Training paths**: ours is `training.InGraphLoop` (what `scripts/train.py` runs: "
        f"{s['steps_per_execution']} `train_step`s per XLA-compiled call, batches gathered "
        "in-graph from a resident uint8 tensor); plain is an untuned `model.fit` on `tf.data` "
        "(`from_tensor_slices`, shuffle, batch), one step per call, no XLA (`PlainPath`). "
        f"Median of {s['repeats']} interleaved timings (ours, plain, ours, ...) of "
        f"{s['steps_per_timing']} steps each, after one warm-up call each (compilation "
        "excluded), so drifting load hits both. Two-stage models are timed in their first "
        "stage.",
        f"**Against each matmul's own speed**: the floor prices every matmul at the {size} "
        f"rate, but a batch-{batch} step's matmuls are small and thin (a 64-unit layer, "
        f"K = {batch} in each weight gradient). Every matmul the step runs (`step_matmuls`: "
        "the forward pass and the gradient graph `tape.gradient` builds, so the unneeded input "
        "gradients of layers fed by data are not there) is timed alone, back to back in an XLA "
        "loop at its own shape (`time_matmul`); the sum is what the step's matmuls cost on this "
        "machine with nothing else running. The rest of our step is Adam, the element-wise "
        "work and the loop.",
        "**Where our step's time goes** (a diagnostic: the profiler slows the loop): a profiler "
        "trace of our path (`profile_fast_path`), each XLA thunk matched to its optimized-HLO "
        "instruction and put in a category; median duration × calls, ms per step. XLA can run "
        "two thunks at once, so the columns may add up to more than the wall time; the gap to "
        "the wall time is loop and scheduling overhead.",
        "**Evaluation**: wall time of `metrics.generation_accuracy` (the paper's protocol: "
        "10,000 images per label decoded from q(z|l) and classified by the data set's "
        "evaluator; one repeat = 100,000 images) and of `metrics.annotation_accuracy` on the "
        "test set, as `runs.evaluate` calls them: each call compiles its XLA function, so the "
        "protocol's time includes one compilation, the annotation's too. A call on one batch "
        "and one on a full repeat separate the compilation from the time per repeat; a quick "
        "run extrapolates the 10 repeats from one. Floor = the matmul and convolution FLOPs of "
        "decoder + evaluator ÷ the matmul rate. A data set other than the benchmark's is timed "
        "with the same model built untrained for it: the cost does not depend on its weights.",
        "**Exported annotator**: `annotate` of the exported SavedModel (`tf.saved_model.load`, "
        "signature call) and `annotator.tflite` (input resized to the batch; set_tensor, invoke "
        "and get_tensor timed); median of several calls after two warm-up calls.",
        "**Same algorithm**: the same model and seed trained from scratch through each path for "
        "the same number of steps, then scored on the 10,000 test images "
        "(`compare_path_metrics`). The paths differ only in batch order and random draws, so "
        "the metrics should agree within seed noise.",
        *([_strategies_method(strategies)] if strategies else []),
    ]
    return ["", "## Method", "", *(f"- {b}" for b in bullets)]


def _machine(m: dict, mm: dict) -> list[str]:
    return _section("## Machine", _table(["", ""], [
        ["CPU", m["cpu"]], ["cores", m["cores"]],
        ["load average (1 min) at start / end",
         f"{_fmt(m['load_average'][0])} / {_fmt(m.get('load_average_end', [None])[0])}"],
        ["TensorFlow / Keras", f"{m['tensorflow']} / {m['keras']}"],
        ["XLA", f"ours: {'on' if m['xla_fast_path'] else 'off'}; plain: "
                f"{'on' if m['xla_plain_path'] else 'off'}"],
        ["GPUs", m.get("gpus", 0)], ["date (UTC)", m["date"]],
        [f"float32 matmul {mm['size']}³", f"{_fmt(mm['gflops'], 1)} GFLOP/s (median of "
                                           f"{len(mm['times_ms'])}; best "
                                           f"{_fmt(mm.get('gflops_best'), 1)})"]]))


def _floor_range(row: dict) -> str:
    if not row.get("fast_x_floor_all"):
        return "–"
    return f"{_fmt(min(row['fast_x_floor_all']))}–{_fmt(max(row['fast_x_floor_all']))}"


def _training(rows: list[dict]) -> list[str]:
    return _section("## Training step", _table(
        ["model", "stage", "MFLOP/step", "matmul GFLOP/s (sampled)", "floor ms", "ours ms/step",
         "× floor", "× floor range", "plain ms/step", "plain × floor", "speed-up"],
        [[r["model"], r["stage"], _fmt(r["step_flops"] / 1e6, 1),
          _fmt(statistics.median(r["gflops_all"]), 0) if r.get("gflops_all") else "–",
          _fmt(r["floor_ms"]), _fmt(r["fast_ms"]), _fmt(r["fast_x_floor"]), _floor_range(r),
          _fmt(r["plain_ms"]), _fmt(r["plain_x_floor"], 1), _fmt(r["speedup"], 1) + "×"]
         for r in rows]))


def _matmul_shapes(rows: list[dict]) -> list[str]:
    return _section("### Against each matmul's own speed", _table(
        ["model", "matmuls per step", "MFLOP (traced)", "their time alone ms",
         "their rate GFLOP/s", "ours ms/step", "ours ÷ their time"],
        [[r["model"], r["matmul_shapes"]["matmuls"], _fmt(r["matmul_shapes"]["flops"] / 1e6, 1),
          _fmt(r["matmul_shapes"]["ms"]), _fmt(r["matmul_shapes"]["gflops"], 0),
          _fmt(r["fast_ms"]), _fmt(r["fast_x_matmul_shapes"])] for r in rows]))


def _profile(rows: list[dict]) -> list[str]:
    return _section("### Where our step's time goes", _table(
        ["model", "wall ms/step (profiled)", *PROFILE_CATEGORIES],
        [[r["model"], _fmt(r["profile"]["wall_ms"]),
          *(_fmt(r["profile"]["thunk_ms"].get(c, 0.0)) for c in PROFILE_CATEGORIES)]
         for r in rows]))


def _evaluation_row(e: dict, dataset: str) -> list[str]:
    g = e["generation"]
    protocol = (f"{_fmt(g['protocol_s'], 1)} ({g['protocol_repeats']} repeats, "
                f"{'measured' if g['protocol_measured'] else 'extrapolated'})")
    weights = e.get("model_weights", "benchmark-trained")
    return [e.get("dataset", dataset), f"{e['model']} ({weights})", e["evaluator_weights"],
            _fmt(g.get("repeat_flops", float("nan")) / 1e9, 1),
            _fmt(g.get("repeat_floor_s")), _fmt(g["repeat_s"]), _fmt(g.get("repeat_x_floor"), 1),
            _fmt(g["images_per_s"], 0), _fmt(g["compile_s"]), protocol,
            _fmt(e["annotation"]["seconds"])]


def _evaluation(rows: list[dict], dataset: str) -> list[str]:
    return _section("## Evaluation", _table(
        ["data set", "model (weights)", "evaluator", "GFLOP/repeat", "floor s", "one repeat s",
         "× floor", "images/s", "compile s", "protocol s", "annotation s (10,000 test images)"],
        [_evaluation_row(e, dataset) for e in rows]))


def _export(rows: list[dict]) -> list[str]:
    return _section("## Exported annotator", _table(
        ["model", "runtime", "batch", "ms/call", "images/s"],
        [[r["model"], r["runtime"], r["batch"], _fmt(r["ms_per_call"], 3),
          _fmt(r["images_per_s"], 0)] for r in rows]))


def _same_algorithm(rows: list[dict]) -> list[str]:
    return _section("## Same algorithm", _table(
        ["model", "steps", "reconstruction ours", "reconstruction plain", "annotation % ours",
         "annotation % plain"],
        [[r["model"], r["steps"], _fmt(r["fast"]["reconstruction_error"]),
          _fmt(r["plain"]["reconstruction_error"]), _fmt(100 * r["fast"]["annotation_accuracy"]),
          _fmt(100 * r["plain"]["annotation_accuracy"])] for r in rows]))


def _strategies_method(section: dict) -> str:
    """How the strategies section (`experiments.benchmark.strategies`) is measured."""
    m = section["machine"]
    return (
        f"**Strategies** (measured on their own: experiments/benchmark/benchmark.py --strategies; "
        f"{section['devices']}, {m['cores']} cores, load {_fmt(m['load_average'][0])} at the "
        f"start, {m['date']}): our path (`FastPath`) with `none` on one device and `mirrored` "
        "(`MirroredStrategy`, the global batch split evenly) over one device and over all, each "
        f"with XLA on and off; median of {section['repeats']} interleaved timings of "
        f"{section['steps_per_timing']} steps after a warm-up call (`measure_strategies`). XLA "
        "`loop` compiles the whole multi-step call; under a strategy XLA compiles each "
        "replica's forward and backward pass (`replica`) and the all-reduce, Adam and the "
        "trackers run outside it. Logical CPU devices share the same cores, so on a CPU the "
        "rows are the strategy's cost, not a speed-up; with GPUs the same code puts one "
        "replica on each.")


def _strategies(section: dict) -> list[str]:
    return _section("## Strategies", _table(
        ["model", "strategy", "devices", "XLA", "ms/step", "range", "× none (same XLA)"],
        [[r["model"], r["strategy"], r["devices"], r["xla"], _fmt(r["ms"]),
          f"{_fmt(min(r['ms_all']))}–{_fmt(max(r['ms_all']))}", _fmt(r["x_none"])]
         for r in section["rows"]]))


def markdown(result: dict, partial: bool = False) -> str:
    """The report's text: header, method, then a table per section that has rows."""
    strategies = result.get("strategies")
    if "settings" not in result:  # a report of the strategies section alone
        return "\n".join(["# pse_tf benchmark", "", "## Method", "",
                          f"- {_strategies_method(strategies)}", *_strategies(strategies)]) + "\n"
    s, training = result["settings"], result["training"]
    shaped = [r for r in training if "matmul_shapes" in r]
    profiled = [r for r in training if "thunk_ms" in r.get("profile", {})]
    parts = [*_header(s, partial), *_method(s, result["matmul"], strategies),
             *_machine(result["machine"], result["matmul"]), *_training(training)]
    parts += _matmul_shapes(shaped) if shaped else []
    parts += _profile(profiled) if profiled else []
    parts += _evaluation(result["evaluation"], s["dataset"]) if result["evaluation"] else []
    parts += _export(result["export"]) if result["export"] else []
    same = result.get("same_algorithm")
    parts += _same_algorithm(same) if same else []
    parts += _strategies(strategies) if strategies else []
    return "\n".join(parts) + "\n"


def read_section(out: str | os.PathLike, name: str):
    """Section `name` of the complete report in `out`, or None: a section measured on its own
    (the strategies) survives a full run that rewrites the report."""
    path = Path(out) / REPORT_JSON
    return json.loads(path.read_text()).get(name) if path.is_file() else None


def write_section(out: str | os.PathLike, name: str, section) -> tuple[Path, Path]:
    """Put one section into the complete report in `out` (benchmark.json, rewriting
    benchmark.md), keeping every other section; a report of that section alone if `out` has
    none. Returns the two paths."""
    path = Path(out) / REPORT_JSON
    result = json.loads(path.read_text()) if path.is_file() else {}
    result[name] = section
    return write_report(result, out)


def write_report(result: dict, out: str | os.PathLike, partial: bool = False) -> tuple[Path, Path]:
    """Write `out/benchmark.md` (`markdown`) and `out/benchmark.json` (the same numbers).

    `result` is `run_benchmark`'s dict: "settings", "machine", "matmul", "training",
    "evaluation", "export", "same_algorithm". `partial`: a run still in progress, written to
    `benchmark.partial.md/.json` so that an interrupted run keeps what it measured without
    replacing the last complete report; the complete report removes them. Returns the two paths.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    md, js = (out / PARTIAL_MD, out / PARTIAL_JSON) if partial else (out / REPORT_MD,
                                                                       out / REPORT_JSON)
    md.write_text(markdown(result, partial))
    js.write_text(json.dumps(result, indent=2) + "\n")
    if not partial:
        for name in (PARTIAL_MD, PARTIAL_JSON):
            (out / name).unlink(missing_ok=True)
    return md, js
