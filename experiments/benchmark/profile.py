"""Where a step of our training path spends its time: a profiler trace of `FastPath`, each XLA
thunk matched to its optimized-HLO instruction and put in a category. A diagnostic, reported in
its own table; how to read it is in the report's Method section (`experiments.benchmark.report`).
"""

from __future__ import annotations

import re
import statistics
import tempfile
from pathlib import Path

import tensorflow as tf

from experiments.benchmark.paths import FastPath

PROFILE_CATEGORIES = ("matmul", "Adam update", "batch gather", "sampling (Philox RNG)",
                      "weight copies", "other element-wise / reductions")


def _hlo_instructions(hlo: str) -> tuple[dict, dict]:
    """({instruction name: its definition}, {computation name: its body}) of HLO text."""
    definitions, bodies, current = {}, {}, None
    for line in hlo.splitlines():
        head = re.match(r"^(?:ENTRY )?%([\w.\-]+) .*\{$", line)
        if head:
            current = head.group(1)
            bodies[current] = []
            continue
        instruction = re.match(r"^\s*(?:ROOT )?%([\w.\-]+) = (.*)$", line)
        if instruction:
            definitions.setdefault(instruction.group(1), instruction.group(2))
            if current is not None:
                bodies[current].append(instruction.group(2))
    return definitions, {k: "\n".join(v) for k, v in bodies.items()}


def _hlo_category(definition: str, bodies: dict, optimizer_scope: str = "adam") -> str:
    """Category of one optimized-HLO instruction, from its op (and a fusion's body) and the TF
    op names in its metadata (`optimizer_scope`: the optimizer's name scope, `adam_1` for the
    second Adam of a process)."""
    op = re.search(r"(?:^|\s)([a-z][\w\-]*)\(", definition)
    op = op.group(1) if op else ""
    called = re.search(r"calls=%([\w.\-]+)", definition)
    body = bodies.get(called.group(1), "") if called else ""
    if op == "dot" or re.search(r"(?:^|\s)dot\(", body):
        return "matmul"
    metadata = definition.partition("metadata={")[2].lower()  # the TF op it came from
    if f"/{optimizer_scope.lower()}/" in metadata:
        return "Adam update"
    if op == "gather" or re.search(r"(?:^|\s)gather\(", body):
        return "batch gather"
    if "random" in metadata:
        return "sampling (Philox RNG)"
    if op == "copy":
        return "weight copies"
    return "other element-wise / reductions"


def _load_xspace(folder: Path):
    from tensorflow.tsl.profiler.protobuf import xplane_pb2  # the profiler's own format

    space = xplane_pb2.XSpace()
    space.ParseFromString(next(folder.rglob("*.xplane.pb")).read_bytes())
    return space


def _thunk_durations(space, definitions: dict) -> dict:
    """{HLO instruction name: [ms of each event]} from a profiler XSpace; a thunk-like event not
    in `definitions` is keyed ("?", its name), so that its time is kept as unmatched."""
    durations: dict = {}
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if name in definitions and not name.startswith("while"):
                    durations.setdefault(name, []).append(event.duration_ps / 1e9)
                elif re.fullmatch(r"[\w\-]+(?:\.\d+)?", name) and ("fusion" in name or
                                                                  name.startswith("MatMul")):
                    durations.setdefault(("?", name), []).append(event.duration_ps / 1e9)
    return durations


def profile_fast_path(path: FastPath, steps: int) -> dict:
    """Where a step of our path spends its time: a profiler trace of `steps` steps, each XLA
    thunk matched to its optimized-HLO instruction and put in a category (`PROFILE_CATEGORIES`).

    A diagnostic, not a measurement: the profiler slows the loop, and on a busy machine single
    thunks get descheduled, so each thunk's median duration is used (x its calls per step).
    XLA may run two thunks at once, so the categories can add up to more than the wall time.

    Returns {"wall_ms" (per step, under the profiler), "thunk_ms" {category: ms per step},
    "unmatched_ms" (thunks not found in the HLO)}.
    """
    spe = path.config.steps_per_execution
    indices = tf.constant(path.loop.batches(0, spe))
    hlo = path.loop._run.experimental_get_compiler_ir(indices)(stage="optimized_hlo")
    definitions, bodies = _hlo_instructions(hlo)
    path.run(spe)  # compiled already by a warm-up; this one just settles the caches
    with tempfile.TemporaryDirectory() as tmp:
        tf.profiler.experimental.start(tmp)
        seconds = path.run(steps)
        tf.profiler.experimental.stop()
        space = _load_xspace(Path(tmp))
    durations = _thunk_durations(space, definitions)
    thunk_ms = dict.fromkeys(PROFILE_CATEGORIES, 0.0)
    scope = path.model.optimizer.name
    unmatched = 0.0
    for name, values in durations.items():
        per_step = statistics.median(values) * len(values) / steps
        if isinstance(name, tuple):
            unmatched += per_step
        else:
            thunk_ms[_hlo_category(definitions[name], bodies, scope)] += per_step
    return {"wall_ms": 1000 * seconds / steps, "thunk_ms": thunk_ms, "unmatched_ms": unmatched}
