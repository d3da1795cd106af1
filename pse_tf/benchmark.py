"""Performance benchmark: FLOPs per training step, this machine's matmul floor, our training path
against a plain `model.fit`, the evaluation protocol and the exported annotator.

`run_benchmark(...)` does everything in one process and writes `results/benchmark.md` and
`results/benchmark.json` (`write_report`); `scripts/benchmark.py` is its command line.

How the numbers are made:

- **FLOPs of a training step** (`count_step_flops`): the model's `compute_terms` is traced on a
  batch as a concrete function and every MatMul / BatchMatMul in its graph is counted at
  2*m*n*k FLOPs from its static shapes (`matmul_flops`). A training step is then counted as

      step FLOPs = 3 x forward matmul FLOPs

  since back-propagation through each matmul costs two matmuls of the same size (the gradient
  with respect to its input and with respect to its weights). Element-wise ops (bias, ReLU,
  softplus, sampling, the Bernoulli and KL terms, Adam's update) are not counted. The input
  gradient of a layer whose input needs none (the first image-encoder layer, the label
  encoder) is counted although XLA prunes it: for PSE that is 784 x 512 of the ~870k forward
  multiply-adds per image, so the formula is ~15 % above the matmul work actually done (~10 %
  for PSE*, whose classifier's input, the reconstruction, does need its gradient).
- **Floor** (`MatmulRate`): this machine's float32 rate on one 2048 x 2048 x 2048 matmul;
  floor ms/step = step FLOPs / rate. It is the time the step would take if every matmul ran at
  large-GEMM speed and nothing else cost anything. This machine's speed drifts by tens of
  percent within minutes (other tenants), so the rate is sampled just before and after every
  timing of our step and each timing is divided by its own floor (`floor_ratios`); the report's
  headline rate (`MatmulRate.summary`, median of several at the start) is for the other sections.
- **The step's matmuls at their own speed** (`matmul_time_floor`): the batch-100 matmuls are
  small and thin, so large-GEMM speed is out of their reach. `step_matmuls` lists the matmuls
  the step really runs (forward, and the gradient graph `tape.gradient` builds: no input
  gradient for a layer fed by data), `time_matmul` times each alone at its shape in an XLA
  loop, and the sum is what they cost with nothing else running; our step's excess over it is
  Adam, the element-wise work and the loop.
- **Training paths**: ours is `training.InGraphLoop` (what `scripts/train.py` runs: many
  `train_step`s per compiled XLA call, batches gathered in-graph from a resident uint8 tensor);
  the plain reference is an untuned `model.fit` on `tf.data.Dataset.from_tensor_slices`, one
  step per call, no XLA (`PlainPath`). They are measured interleaved (ours, plain, ours, ...)
  after one warm-up call each, so compilation is excluded and drifting machine load hits both.
- **Where our step's time goes** (`profile_fast_path`, a diagnostic): a profiler trace of our
  path, each XLA thunk matched to its optimized-HLO instruction and put in a category (matmul,
  Adam update, batch gather, sampling, weight copies, other element-wise).
- **Evaluation** (`time_evaluation`: `time_generation_protocol`, `time_annotation`): wall time
  of the calls `training.evaluate` makes, XLA compilation included, as a user pays it, on
  MNIST (MLP evaluator) and Fashion-MNIST (ResNet evaluator, 10x the FLOPs per image).
- **Export** (`time_exported_annotator`): images/s of the SavedModel `annotate` signature and of
  `annotator.tflite`, at a given batch size, median of several calls.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from pse_tf.config import ModelConfig, TrainConfig

MATMUL_OPS = ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
GENERATION_BATCH = 10000  # metrics.generation_accuracy's batch size
# Ops whose FLOPs would hide in a called function body: counting would silently miss them.
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile", "If",
             "StatelessIf", "Case", "StatelessCase")
# The paper's unit for the generation protocol (10,000 images per label, 10 repeats), as
# TrainConfig defines it for training.evaluate.
GENERATION_SAMPLES_PER_LABEL = TrainConfig.generation_samples_per_label
GENERATION_REPEATS = TrainConfig.generation_repeats
EXPORT_BATCH_SIZES = (1, 1024)
REPORT_MD, REPORT_JSON = "benchmark.md", "benchmark.json"
# Where a run keeps what it has measured so far; the final report replaces them.
PARTIAL_MD, PARTIAL_JSON = "benchmark.partial.md", "benchmark.partial.json"


# -- FLOPs ---------------------------------------------------------------------------------------
def _dim(shape, index: int, op) -> int:
    value = shape[index]
    if value is None:
        raise ValueError(f"{op.type} {op.name!r} has an unknown dimension in {shape}; "
                         "trace with fully static shapes to count its FLOPs")
    return int(value)


def _flop_ops(graph: tf.Graph):
    """(op, FLOPs) for every MatMul / BatchMatMul / Conv2D in `graph`; see `matmul_flops`."""
    for op in graph.get_operations():
        if op.type in _CALL_OPS:
            raise ValueError(f"{op.type} {op.name!r}: the graph calls a function body that "
                             "matmul_flops does not walk; its FLOPs would be missed")
        if op.type not in MATMUL_OPS + ("Conv2D",):
            continue
        a = op.inputs[0].shape
        if op.type == "MatMul":
            k = _dim(a, 0 if op.get_attr("transpose_a") else 1, op)
        elif op.type == "Conv2D":
            kernel = op.inputs[1].shape
            k = _dim(kernel, 0, op) * _dim(kernel, 1, op) * _dim(kernel, 2, op)
        else:
            k = _dim(a, -2 if op.get_attr("adj_x") else -1, op)
        out = op.outputs[0].shape
        elements = 1
        for i in range(out.rank):
            elements *= _dim(out, i, op)
        yield op, 2 * elements * k


def matmul_flops(graph: tf.Graph) -> int:
    """2*m*n*k summed over every MatMul / BatchMatMul in `graph` (static shapes), plus
    2 * (output elements) * kh * kw * c_in for each Conv2D (the evaluators').

    A batched matmul counts 2 * (elements of its output) * k, so broadcast batch dimensions are
    counted as executed. Raises ValueError on an unknown dimension, and on a function-call or
    control-flow op, whose body this walk would not see.
    """
    return sum(flops for _, flops in _flop_ops(graph))


def forward_flops(model, batch_size: int = 100) -> int:
    """Matmul FLOPs of one `model.compute_terms(images, labels, training=True)` on a batch.

    Traced as a concrete function on float32 images [batch_size, image_dim] and int32 labels
    [batch_size]; nothing runs, so the model's state (sampling seed) does not move.
    """
    image_dim = int(model.model_config.image_dim)
    traced = tf.function(lambda x, y: model.compute_terms(x, y, training=True))
    concrete = traced.get_concrete_function(tf.TensorSpec([batch_size, image_dim], tf.float32),
                                            tf.TensorSpec([batch_size], tf.int32))
    return matmul_flops(concrete.graph)


def count_step_flops(model, batch_size: int = 100) -> int:
    """FLOPs of one training step: 3 x the forward matmul FLOPs (`forward_flops`).

    Backward costs two matmuls per forward matmul (gradients with respect to the input and to
    the weights). Element-wise ops and the optimizer update are not counted.
    """
    return 3 * forward_flops(model, batch_size)


def step_matmuls(model, batch_size: int = 100) -> list[dict]:
    """Every matmul one training step runs: those of `compute_terms` and those `tape.gradient`
    builds for the loss's gradient with respect to the trainable weights (so a layer whose input
    needs no gradient has no input-gradient matmul), traced with static shapes; nothing runs.

    Returns one dict per distinct matmul, {"a", "b" (operand shapes), "transpose_a",
    "transpose_b", "count" (how often the step runs it), "flops" (of one)}.
    """
    image_dim = int(model.model_config.image_dim)
    graph = tf.function(model.loss_and_gradients).get_concrete_function(
        tf.TensorSpec([batch_size, image_dim], tf.float32),
        tf.TensorSpec([batch_size], tf.int32)).graph
    found = {}
    for op, flops in _flop_ops(graph):
        if op.type not in MATMUL_OPS:
            raise ValueError(f"{op.type} {op.name!r}: step_matmuls times matmuls only")
        flag_a, flag_b = ("transpose_a", "transpose_b") if op.type == "MatMul" else ("adj_x",
                                                                                      "adj_y")
        entry = {"a": op.inputs[0].shape.as_list(), "b": op.inputs[1].shape.as_list(),
                 "transpose_a": bool(op.get_attr(flag_a)),
                 "transpose_b": bool(op.get_attr(flag_b)), "count": 0, "flops": flops}
        entry = found.setdefault(_matmul_key(entry), entry)
        entry["count"] += 1
    return list(found.values())


def _matmul_key(entry: dict) -> tuple:
    """(a shape, b shape, transpose_a, transpose_b) of a `step_matmuls` entry: `time_matmul`'s
    arguments, hashable."""
    return tuple(entry["a"]), tuple(entry["b"]), entry["transpose_a"], entry["transpose_b"]


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
        t0 = time.perf_counter()
        float(loop(a, b, tf.constant(n)))
        return time.perf_counter() - t0

    seconds(1)  # compile
    n = 10
    while (elapsed := seconds(n)) < target_s / 10:
        n *= 10
    n = max(1, int(n * target_s / elapsed))
    return min(seconds(n) for _ in range(repeats)) / n


def matmul_time_floor(model, batch_size: int = 100, cache: dict | None = None) -> dict:
    """The step's matmuls (`step_matmuls`) each timed alone at its own shape (`time_matmul`),
    summed: what one step's matmuls cost at this machine's speed for those shapes, with no
    optimizer, element-wise work or scheduling in between. `cache` (shape key -> seconds) lets
    models that share shapes time them once.

    Returns {"flops", "matmuls", "ms", "gflops" (the effective rate), "shapes": [...]}.
    """
    cache = {} if cache is None else cache
    shapes = step_matmuls(model, batch_size)
    for entry in shapes:
        key = _matmul_key(entry)
        if key not in cache:
            cache[key] = time_matmul(*key)
        entry["ms_each"] = 1000 * cache[key]
    flops = sum(e["count"] * e["flops"] for e in shapes)
    ms = sum(e["count"] * e["ms_each"] for e in shapes)
    return {"flops": flops, "matmuls": sum(e["count"] for e in shapes), "ms": ms,
            "gflops": flops / ms / 1e6, "shapes": shapes}


# -- the machine ---------------------------------------------------------------------------------
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
        times = []
        for i in range(warmup + calls):
            t0 = time.perf_counter()
            float(self._product(self._a, self._b))
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        return times

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


# -- training paths ------------------------------------------------------------------------------
def benchmark_config(model_name: str, dataset: str = "mnist", latent_dim: int = 10,
                     batch_size: int = 100, steps_per_execution: int | None = None,
                     jit_compile: bool = True) -> TrainConfig:
    """The training config the benchmark times: one-hot labels, paper architecture."""
    spe = TrainConfig().steps_per_execution if steps_per_execution is None else steps_per_execution
    return TrainConfig(dataset=dataset, label_encoding="onehot", batch_size=batch_size,
                       model=ModelConfig(name=model_name, latent_dim=latent_dim),
                       steps_per_execution=spe, jit_compile=jit_compile)


class FastPath:
    """Our training path, as `training.fit` runs it: `InGraphLoop` on `build_model`'s model,
    `config.steps_per_execution` steps per compiled call, in the model's first stage."""

    def __init__(self, config: TrainConfig, encoding, dataset):
        from pse_tf.training import InGraphLoop, build_model

        self.config = config
        self.model = build_model(config, encoding)
        self.stage = self.model.training_stages(1)[0][0]
        self.loop = InGraphLoop(self.model, dataset.train_images, dataset.train_labels,
                                config.batch_size, config.seed, config.jit_compile)
        self.step = 0

    def run(self, steps: int) -> float:
        """Train `steps` more steps; returns the wall seconds."""
        spe = self.config.steps_per_execution
        if steps < 1 or steps % spe:
            # Another call length is another XLA compilation, which would land in the timing.
            raise ValueError(f"steps must be a positive multiple of steps_per_execution = {spe}, "
                             f"got {steps}")
        t0 = time.perf_counter()
        for _ in range(steps // spe):
            self.loop.run(self.step, spe)  # returns Python floats: the call has finished
            self.step += spe
        return time.perf_counter() - t0


class _StepTimer(keras.callbacks.Callback):
    """Wall time from the start of a fit's second batch to the end of its epoch."""

    async_safe = True  # keeps Keras' default (asynchronous) batch-end dispatch unchanged

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 1:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.end = time.perf_counter()


class PlainPath:
    """The untuned reference: the same model class through `model.fit`.

    `tf.data.Dataset.from_tensor_slices((float32 images [N, 784] in [0, 1], int32 labels))
    .shuffle(50000).batch(100)`, repeated so a timing may cross an epoch (it then pays the
    buffer's refill, as training does once per epoch); `compile(optimizer=Adam(1e-3),
    jit_compile=False, steps_per_execution=1)`. Each timing is one
    `fit(epochs=1, steps_per_epoch=steps + 1)` timed from the second batch, so the first fill of
    the shuffle buffer and the first step are excluded.
    """

    def __init__(self, config: TrainConfig, encoding, dataset):
        from pse_tf.training import build_model

        # The same weights as FastPath's (build_model seeds them), then Keras' default compile.
        self.model = build_model(config, encoding)
        self.stage = self.model.training_stages(1)[0][0]
        self.model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False,
                           steps_per_execution=1)
        images = dataset.train_images.reshape(len(dataset.train_images), -1)
        self.data = tf.data.Dataset.from_tensor_slices(
            (images.astype(np.float32) / np.float32(255.0),
             dataset.train_labels.astype(np.int32))
        ).shuffle(50000).batch(config.batch_size).repeat()

    def run(self, steps: int) -> float:
        """Train `steps` timed steps (plus one untimed); returns their wall seconds."""
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        timer = _StepTimer()
        # shuffle=False only silences fit's warning: a Dataset is shuffled by its own .shuffle().
        self.model.fit(self.data, epochs=1, steps_per_epoch=steps + 1, verbose=0, shuffle=False,
                       callbacks=[timer])
        return timer.end - timer.start


def ms_per_step(path: FastPath | PlainPath, steps: int) -> float:
    """ms per step of `steps` more steps of a training path (warmed up: compilation excluded)."""
    return 1000 * path.run(steps) / steps


def compare_training_paths(fast: FastPath, plain: PlainPath, steps: int, repeats: int,
                           log: Callable[[str], None] = print, label: str = "",
                           rate: Callable[[], float] | None = None) -> dict:
    """Warm up both (compilation), then `repeats` interleaved timings: fast, plain, fast, ...

    `rate` (e.g. `MatmulRate(...).gflops`) is sampled just before and just after each timing
    of ours; their mean is that repeat's machine rate.

    Returns {"fast_ms", "plain_ms" (medians), "fast_ms_all", "plain_ms_all", "speedup"} and,
    with `rate`, "gflops_all" (one per repeat).
    """
    t0 = time.perf_counter()
    fast.run(fast.config.steps_per_execution)
    log(f"{label}ours: warm-up (trace + XLA compile) {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    plain.run(1)
    log(f"{label}plain: warm-up (trace) {time.perf_counter() - t0:.1f} s")
    fast_ms, plain_ms, gflops = [], [], []
    for r in range(repeats):
        before = rate() if rate else None
        fast_ms.append(ms_per_step(fast, steps))
        if rate:
            gflops.append((before + rate()) / 2)
        log(f"{label}ours  repeat {r + 1}/{repeats}: {fast_ms[-1]:.2f} ms/step"
            + (f" (matmul {gflops[-1]:.0f} GFLOP/s)" if rate else ""))
        plain_ms.append(ms_per_step(plain, steps))
        log(f"{label}plain repeat {r + 1}/{repeats}: {plain_ms[-1]:.2f} ms/step")
    fast_median, plain_median = statistics.median(fast_ms), statistics.median(plain_ms)
    timing = {"fast_ms": fast_median, "plain_ms": plain_median, "fast_ms_all": fast_ms,
              "plain_ms_all": plain_ms, "speedup": plain_median / fast_median}
    return {**timing, "gflops_all": gflops} if rate else timing


def floor_ratios(step_flops: int, timing: dict) -> dict:
    """Each timing ÷ the floor at its own repeat's matmul rate (`compare_training_paths` with a
    `rate`), so a machine that speeds up or slows down mid-run moves both sides of a ratio.

    Returns {"floor_ms" (at the median rate), "fast_x_floor", "plain_x_floor" (medians of the
    per-repeat ratios), "fast_x_floor_all", "plain_x_floor_all"}.
    """
    floors = [1e-6 * step_flops / g for g in timing["gflops_all"]]  # ms at each repeat's rate
    fast = [t / f for t, f in zip(timing["fast_ms_all"], floors)]
    plain = [t / f for t, f in zip(timing["plain_ms_all"], floors)]
    return {"floor_ms": 1e-6 * step_flops / statistics.median(timing["gflops_all"]),
            "fast_x_floor": statistics.median(fast), "plain_x_floor": statistics.median(plain),
            "fast_x_floor_all": fast, "plain_x_floor_all": plain}


def compare_path_metrics(config: TrainConfig, encoding, dataset, steps: int) -> dict:
    """Train the same model (config, seed) `steps` steps through both paths from scratch, then
    score each on the test set: the fast path must be the same algorithm, so the metrics agree
    within seed noise (the paths differ only in batch order and random draws).

    Returns {"steps", "fast": {...}, "plain": {...}, "difference": {...}} with the test
    reconstruction error and annotation accuracy of each path.
    """
    from pse_tf.evaluation import metrics

    fast, plain = FastPath(config, encoding, dataset), PlainPath(config, encoding, dataset)
    fast.run(steps)
    plain.run(steps - 1)  # PlainPath.run trains one untimed step more
    scores = {}
    for name, path in (("fast", fast), ("plain", plain)):
        scores[name] = {
            "reconstruction_error": metrics.reconstruction_error(
                path.model, dataset.test_images, dataset.test_labels, seed=config.seed),
            "annotation_accuracy": metrics.annotation_accuracy(
                path.model, dataset.test_images, dataset.test_labels)}
    return {"model": config.model.name, "steps": steps, **scores,
            "difference": {k: scores["fast"][k] - scores["plain"][k] for k in scores["fast"]}}


# -- where our step's time goes ------------------------------------------------------------------
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


# -- evaluation ----------------------------------------------------------------------------------
def evaluator_for(dataset: str) -> tuple[keras.Model, str]:
    """The trained evaluator, or the untrained architecture when its weights cannot be loaded
    (missing or being rewritten): the protocol's cost does not depend on the weights.

    Returns (model, "trained" | "untrained (<why>)").
    """
    from pse_tf.evaluation.evaluators import build_evaluator, load_evaluator

    try:
        return load_evaluator(dataset), "trained"
    except Exception as error:  # noqa: BLE001 - any failure: time the same architecture
        return build_evaluator(dataset), f"untrained ({type(error).__name__})"


def generation_flops(model, evaluator, batch_size: int = GENERATION_BATCH) -> int:
    """Matmul (and convolution) FLOPs of one batch of the generation protocol: label vectors ->
    z ~ q(z|l) -> decoder -> evaluator, traced as `metrics.generation_accuracy` runs it."""
    side = math.isqrt(int(model.model_config.image_dim))

    def batch(labels, seed):
        images = model.generate(tf.gather(model.label_vectors, labels), seed)
        return evaluator(tf.reshape(images, [-1, side, side]), training=False)

    traced = tf.function(batch).get_concrete_function(tf.TensorSpec([batch_size], tf.int32),
                                                      tf.TensorSpec([2], tf.int32))
    return matmul_flops(traced.graph)


def time_generation_protocol(model, evaluator, repeats: int = GENERATION_REPEATS,
                             samples_per_label: int = GENERATION_SAMPLES_PER_LABEL,
                             seed: int = 0) -> dict:
    """Wall time of `metrics.generation_accuracy`, the paper's generation protocol.

    Each call compiles its XLA function afresh (as `training.evaluate` does), so the cost is
    split: a call on one batch of the protocol's size (compile + 1 batch) and one full repeat
    (compile + one batch per 10,000 images) give the time per batch and the compile time. With
    `repeats` > 1 the full protocol (`repeats` repeats) is also measured; otherwise the paper's
    10 repeats are extrapolated as compile + 10 x one repeat.

    Returns {"images_per_repeat", "compile_s", "repeat_s", "protocol_s", "protocol_repeats",
    "protocol_measured", "images_per_s"}.
    """
    from pse_tf.evaluation.metrics import generation_accuracy

    batch = GENERATION_BATCH
    per_repeat = samples_per_label * model.num_classes
    batches = -(-per_repeat // batch)

    def timed(**kwargs):
        t0 = time.perf_counter()
        generation_accuracy(model, evaluator, seed=seed, batch_size=batch, **kwargs)
        return time.perf_counter() - t0

    one_batch = timed(samples_per_label=-(-batch // model.num_classes), repeats=1)
    one_repeat = timed(samples_per_label=samples_per_label, repeats=1)
    if batches > 1 and one_repeat > one_batch:
        per_batch = (one_repeat - one_batch) / (batches - 1)
    else:  # one batch, or noise swamped the difference: compile is not separated
        per_batch = one_repeat / batches
    compile_s = max(one_repeat - batches * per_batch, 0.0)
    repeat_s = batches * per_batch
    if repeats > 1:
        protocol_s, measured = timed(samples_per_label=samples_per_label, repeats=repeats), True
    else:
        protocol_s, measured = compile_s + GENERATION_REPEATS * repeat_s, False
    return {"images_per_repeat": per_repeat, "compile_s": compile_s, "repeat_s": repeat_s,
            "protocol_s": protocol_s, "protocol_repeats": repeats if measured else
            GENERATION_REPEATS, "protocol_measured": measured,
            "images_per_s": per_repeat / repeat_s if repeat_s else float("nan")}


def time_evaluation(model, dataset_name: str, dataset, rate: float, quick: bool = False,
                    log: Callable[[str], None] = print, label: str = "") -> dict:
    """The generation protocol with `dataset_name`'s evaluator (`time_generation_protocol`, its
    floor at `rate` FLOP/s) and annotation of the test images (`time_annotation`).

    Returns {"model", "dataset", "evaluator_weights", "generation", "annotation"}.
    """
    evaluator, weights = evaluator_for(dataset_name)
    log(f"{label}{dataset_name} generation protocol ({weights} evaluator)")
    generation = time_generation_protocol(model, evaluator,
                                          repeats=1 if quick else GENERATION_REPEATS)
    batches = -(-generation["images_per_repeat"] // GENERATION_BATCH)
    generation["repeat_flops"] = batches * generation_flops(model, evaluator)
    generation["repeat_floor_s"] = generation["repeat_flops"] / rate
    generation["repeat_x_floor"] = generation["repeat_s"] / generation["repeat_floor_s"]
    log(f"{label}{dataset_name} generation, one repeat of {generation['images_per_repeat']:,} "
        f"images {generation['repeat_s']:.2f} s ({generation['repeat_x_floor']:.1f}x floor; "
        f"+ compile {generation['compile_s']:.2f} s); {generation['protocol_repeats']} repeats "
        f"{generation['protocol_s']:.1f} s "
        f"({'measured' if generation['protocol_measured'] else 'extrapolated'})")
    annotation = time_annotation(model, dataset.test_images, dataset.test_labels,
                                 repeats=1 if quick else 3)
    log(f"{label}{dataset_name} annotation of {annotation['images']:,} test images "
        f"{annotation['seconds']:.2f} s")
    return {"model": model.model_config.name, "dataset": dataset_name,
            "evaluator_weights": weights, "generation": generation, "annotation": annotation}


def time_annotation(model, images, labels, repeats: int = 3) -> dict:
    """Wall time of `metrics.annotation_accuracy` on `images` (XLA compile included, as each
    call pays it). Returns {"images", "seconds" (median), "seconds_all"}."""
    from pse_tf.evaluation.metrics import annotation_accuracy

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        annotation_accuracy(model, images, labels)
        times.append(time.perf_counter() - t0)
    return {"images": len(images), "seconds": statistics.median(times), "seconds_all": times}


# -- the exported annotator ----------------------------------------------------------------------
def _tflite_interpreter(path: Path, num_threads: int):
    try:
        from ai_edge_litert.interpreter import Interpreter

        runtime = "ai_edge_litert"
    except ImportError:
        Interpreter, runtime = tf.lite.Interpreter, "tf.lite"
    return Interpreter(model_path=str(path), num_threads=num_threads), runtime


def _median_seconds(call: Callable[[], object], calls: int, warmup: int = 2) -> float:
    times = []
    for i in range(warmup + calls):
        t0 = time.perf_counter()
        call()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_exported_annotator(export_path: Path, tflite_path: Path, images: np.ndarray,
                            batch_sizes: Sequence[int] = EXPORT_BATCH_SIZES, calls: int = 20,
                            num_threads: int | None = None,
                            log: Callable[[str], None] = print) -> list[dict]:
    """images/s of the SavedModel `annotate` signature and of annotator.tflite per batch size.

    `images`: float32 [N, 28, 28] in [0, 1], N >= max(batch_sizes). The TFLite input tensor is
    resized to each batch; only set_tensor + invoke + get_tensor are timed. Median of `calls`
    calls after two warm-up calls. Returns [{"runtime", "batch", "ms_per_call", "images_per_s"}].
    """
    num_threads = num_threads or os.cpu_count()
    signature = tf.saved_model.load(str(export_path)).signatures["annotate"]
    interpreter, runtime = _tflite_interpreter(tflite_path, num_threads)
    rows = []
    for batch in batch_sizes:
        x = np.ascontiguousarray(images[:batch], dtype=np.float32)
        tensor = tf.constant(x)
        seconds = _median_seconds(lambda: signature(images=tensor)["label_index"].numpy(), calls)
        rows.append({"runtime": "saved_model", "batch": batch, "ms_per_call": 1000 * seconds,
                     "images_per_s": batch / seconds})
        log(f"  SavedModel annotate, batch {batch}: {batch / seconds:,.0f} images/s")

        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, list(x.shape))
        interpreter.allocate_tensors()
        outputs = [d["index"] for d in interpreter.get_output_details()]

        def invoke():
            interpreter.set_tensor(index, x)
            interpreter.invoke()
            return [interpreter.get_tensor(o) for o in outputs]

        seconds = _median_seconds(invoke, calls)
        rows.append({"runtime": f"tflite ({runtime}, {num_threads} threads)", "batch": batch,
                     "ms_per_call": 1000 * seconds, "images_per_s": batch / seconds})
        log(f"  TFLite ({runtime}) annotator, batch {batch}: {batch / seconds:,.0f} images/s")
    return rows


# -- the whole benchmark -------------------------------------------------------------------------
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
        quick: a smoke run: 2 repeats of 100 steps, 3 matmul timings, the generation protocol
            for one repeat only (10 extrapolated), fewer export calls.
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
    from pse_tf.data import DATASETS, load_dataset
    from pse_tf.export import export_model
    from pse_tf.labels import LabelEncoding
    from pse_tf.registry import model_names
    from pse_tf.training import build_model

    if quick:
        repeats, steps = min(repeats, 2), min(steps, 100)
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

    data = load_dataset(dataset)
    encoding = LabelEncoding.build(data.class_names, "onehot")
    machine = machine_info()
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, "
        f"load {machine['load_average'][0]:.2f}, TensorFlow {machine['tensorflow']}")
    probe = MatmulRate()  # the headline rate here, and the floor sampled around each timing
    matmul = probe.summary(repeats=3 if quick else 7)
    log(f"matmul {matmul['size']}^3 float32: {matmul['gflops']:.1f} GFLOP/s")
    rate = matmul["gflops"] * 1e9

    config0 = benchmark_config(models[0], dataset, latent_dim, batch_size)
    result = {
        "settings": {"dataset": dataset, "label_encoding": "onehot", "latent_dim": latent_dim,
                     "batch_size": batch_size, "steps_per_execution": config0.steps_per_execution,
                     "steps_per_timing": steps, "repeats": repeats, "quick": quick,
                     "flop_formula": "step FLOPs = 3 x forward MatMul/BatchMatMul FLOPs "
                                     "(2*m*n*k each); element-wise ops not counted",
                     "fast_path": "training.InGraphLoop, XLA (jit_compile=True)",
                     "plain_path": "model.fit on tf.data from_tensor_slices.shuffle(50000)"
                                   ".batch(100).repeat(), Adam(1e-3), jit_compile=False, "
                                   "steps_per_execution=1"},
        "machine": {**machine, "xla_fast_path": config0.jit_compile, "xla_plain_path": False},
        "matmul": matmul,
        "training": [], "evaluation": [], "export": [], "same_algorithm": [],
    }
    trained, shape_times = {}, {}

    def save_so_far():
        if out is not None:
            write_report(result, out, partial=True)

    for name in models:
        config = benchmark_config(name, dataset, latent_dim, batch_size)
        fast, plain = FastPath(config, encoding, data), PlainPath(config, encoding, data)
        forward = forward_flops(fast.model, batch_size)
        step_flops = 3 * forward
        log(f"{name}: {step_flops / 1e6:.1f} MFLOP/step, floor {1000 * step_flops / rate:.2f} "
            f"ms/step at the rate above (stage {fast.stage})")
        timing = compare_training_paths(fast, plain, steps, repeats, log, label=f"{name}: ",
                                        rate=probe.gflops)
        shapes = matmul_time_floor(fast.model, batch_size, shape_times)
        row = {"model": name, "stage": fast.stage, "forward_flops": forward,
               "step_flops": step_flops, **timing, **floor_ratios(step_flops, timing),
               "matmul_shapes": shapes,
               "fast_x_matmul_shapes": timing["fast_ms"] / shapes["ms"]}
        result["training"].append(row)
        log(f"{name}: ours {row['fast_ms']:.2f} ms/step ({row['fast_x_floor']:.2f}x floor "
            f"{row['floor_ms']:.2f} ms, range {min(row['fast_x_floor_all']):.2f}-"
            f"{max(row['fast_x_floor_all']):.2f}), "
            f"plain {row['plain_ms']:.2f} ms/step, speed-up {row['speedup']:.1f}x")
        log(f"{name}: its {shapes['matmuls']} matmuls ({shapes['flops'] / 1e6:.1f} MFLOP) timed "
            f"alone at their shapes: {shapes['ms']:.2f} ms ({shapes['gflops']:.0f} GFLOP/s); "
            f"ours is {row['fast_x_matmul_shapes']:.2f}x that")
        if profile:
            try:
                row["profile"] = profile_fast_path(fast, steps)
                shares = ", ".join(f"{k} {v:.2f}" for k, v in row["profile"]["thunk_ms"].items())
                log(f"{name}: profile (ms/step per XLA thunk category): {shares}")
            except Exception as error:  # noqa: BLE001 - a diagnostic must not sink the run
                row["profile"] = {"error": f"{type(error).__name__}: {error}"}
                log(f"{name}: profile skipped ({row['profile']['error']})")
        if name in eval_models:
            trained[name] = fast.model
        del fast, plain
        save_so_far()

    for name in [m for m in eval_models if m in trained]:
        model = trained[name]
        for eval_dataset in eval_datasets:
            if eval_dataset == dataset:
                eval_model, eval_data, model_weights = model, data, "benchmark-trained"
            else:  # the protocol's cost does not depend on the decoder's weights
                eval_data = load_dataset(eval_dataset)
                eval_model = build_model(
                    benchmark_config(name, eval_dataset, latent_dim, batch_size),
                    LabelEncoding.build(eval_data.class_names, "onehot"))
                model_weights = "untrained"
            result["evaluation"].append({
                **time_evaluation(eval_model, eval_dataset, eval_data, rate, quick, log,
                                  label=f"{name}: "),
                "model_weights": model_weights})
            save_so_far()

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            exported = export_model(model, f"bench_{name}", export_dir=tmp)
            log(f"{name}: exported SavedModel + TFLite in {time.perf_counter() - t0:.1f} s")
            images = data.test_images[:max(EXPORT_BATCH_SIZES)].astype(np.float32) / 255.0
            rows = time_exported_annotator(exported.path, exported.tflite_paths["annotator"],
                                           images, calls=5 if quick else 20, log=log)
        result["export"].extend({"model": name, **r} for r in rows)
        save_so_far()

    for name in [m for m in eval_models if m in trained] if same_algorithm_steps else []:
        log(f"{name}: same algorithm? {same_algorithm_steps} steps through each path")
        same = compare_path_metrics(benchmark_config(name, dataset, latent_dim, batch_size),
                                    encoding, data, same_algorithm_steps)
        log(f"{name}: test reconstruction ours {same['fast']['reconstruction_error']:.2f} / "
            f"plain {same['plain']['reconstruction_error']:.2f}, annotation "
            f"{100 * same['fast']['annotation_accuracy']:.2f}% / "
            f"{100 * same['plain']['annotation_accuracy']:.2f}%")
        result["same_algorithm"].append(same)
        save_so_far()

    result["machine"]["load_average_end"] = list(os.getloadavg())
    if out is not None:
        paths = write_report(result, out)
        log(f"wrote {paths[0]} and {paths[1]}")
    return result


# -- the report ----------------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def write_report(result: dict, out: str | os.PathLike, partial: bool = False) -> tuple[Path, Path]:
    """Write `out/benchmark.md` (a table per section) and `out/benchmark.json` (the same numbers).

    `result` is `run_benchmark`'s dict: "settings", "machine", "matmul", "training",
    "evaluation", "export". `partial`: a run still in progress, written to
    `benchmark.partial.md/.json` so that an interrupted run keeps what it measured without
    replacing the last complete report; the complete report removes them. Returns the two paths.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    s, m, mm = result["settings"], result["machine"], result["matmul"]
    parts = [
        "# pse_tf benchmark",
        "",
        *(["**Partial:** the run had not finished when this was written; sections and rows "
           "still to come are missing.", ""] if partial else []),
        f"{s['dataset']}, {s['label_encoding']} labels, latent {s['latent_dim']}, batch "
        f"{s['batch_size']}." + (" **Quick run** (smoke-test budgets; numbers are indicative "
                                 "only)." if s.get("quick") else ""),
        "",
        "## Machine",
        "",
        _table(["", ""], [
            ["CPU", m["cpu"]], ["cores", m["cores"]],
            ["load average (1 min) at start / end",
             f"{_fmt(m['load_average'][0])} / {_fmt(m.get('load_average_end', [None])[0])}"],
            ["TensorFlow / Keras", f"{m['tensorflow']} / {m['keras']}"],
            ["XLA", f"ours: {'on' if m['xla_fast_path'] else 'off'}; plain: "
                    f"{'on' if m['xla_plain_path'] else 'off'}"],
            ["GPUs", m.get("gpus", 0)], ["date (UTC)", m["date"]],
            [f"float32 matmul {mm['size']}³", f"{_fmt(mm['gflops'], 1)} GFLOP/s (median of "
                                               f"{len(mm['times_ms'])}; best "
                                               f"{_fmt(mm.get('gflops_best'), 1)})"]]),
        "",
        "## Training step",
        "",
        f"FLOP/step = 3 × the forward MatMul/BatchMatMul FLOPs of `compute_terms` (2·m·n·k "
        f"each, from the traced graph's static shapes; backward = two matmuls per forward matmul); "
        f"element-wise ops and Adam are not counted. Ours: `InGraphLoop`, "
        f"{s['steps_per_execution']} steps per XLA call. Plain: untuned `model.fit` on "
        f"`tf.data` (shuffle, batch), one step per call, no XLA. Median of {s['repeats']} "
        f"interleaved timings of {s['steps_per_timing']} steps each, after a warm-up "
        f"(compilation excluded). Two-stage models are timed in their first stage. Floor = "
        f"FLOP/step ÷ the {mm['size']}³ matmul rate, sampled (3 matmuls) just before and just "
        f"after each timing of ours, so that each repeat is divided by the floor of its own "
        f"minutes: × floor is the median of those per-repeat ratios, and its range is shown; "
        f"floor ms is at the median of the sampled rates.",
        "",
        _table(["model", "stage", "MFLOP/step", "matmul GFLOP/s (sampled)", "floor ms",
                "ours ms/step", "× floor", "× floor range", "plain ms/step", "plain × floor",
                "speed-up"],
               [[r["model"], r["stage"], _fmt(r["step_flops"] / 1e6, 1),
                 _fmt(statistics.median(r["gflops_all"]), 0) if r.get("gflops_all") else "–",
                 _fmt(r["floor_ms"]), _fmt(r["fast_ms"]), _fmt(r["fast_x_floor"]),
                 (f"{_fmt(min(r['fast_x_floor_all']))}–{_fmt(max(r['fast_x_floor_all']))}"
                  if r.get("fast_x_floor_all") else "–"),
                 _fmt(r["plain_ms"]), _fmt(r["plain_x_floor"], 1), _fmt(r["speedup"], 1) + "×"]
                for r in result["training"]]),
    ]
    shaped = [r for r in result["training"] if "matmul_shapes" in r]
    if shaped:
        parts += [
            "",
            "### Against each matmul's own speed",
            "",
            "The floor above prices every matmul at the 2048³ rate, but a batch-100 step's "
            "matmuls are small and thin (a 64-unit layer, K = 100 in each weight gradient). "
            "Here every matmul the step runs (`step_matmuls`: the forward pass and the "
            "gradient graph `tape.gradient` builds, so the first layers' unneeded input "
            "gradients are not there) is timed alone, back to back in an XLA loop at its own "
            "shape (`time_matmul`); the sum is what the step's matmuls cost on this machine "
            "with nothing else running. The rest of our step is Adam, the element-wise work "
            "and the loop.",
            "",
            _table(["model", "matmuls per step", "MFLOP (traced)", "their time alone ms",
                    "their rate GFLOP/s", "ours ms/step", "ours ÷ their time"],
                   [[r["model"], r["matmul_shapes"]["matmuls"],
                     _fmt(r["matmul_shapes"]["flops"] / 1e6, 1), _fmt(r["matmul_shapes"]["ms"]),
                     _fmt(r["matmul_shapes"]["gflops"], 0), _fmt(r["fast_ms"]),
                     _fmt(r["fast_x_matmul_shapes"])] for r in shaped]),
        ]
    profiled = [r for r in result["training"] if "thunk_ms" in r.get("profile", {})]
    if profiled:
        parts += [
            "",
            "### Where our step's time goes",
            "",
            "A profiler trace of our path (a diagnostic: the profiler slows the loop): each XLA "
            "thunk matched to its optimized-HLO instruction, median duration × calls, ms per "
            "step. XLA can run two thunks at once, so the columns may add up to more than the "
            "wall time; the gap to the wall time is loop and scheduling overhead.",
            "",
            _table(["model", "wall ms/step (profiled)",
                    *PROFILE_CATEGORIES],
                   [[r["model"], _fmt(r["profile"]["wall_ms"]),
                     *(_fmt(r["profile"]["thunk_ms"].get(c, 0.0)) for c in PROFILE_CATEGORIES)]
                    for r in profiled]),
        ]
    if result["evaluation"]:
        parts += [
            "",
            "## Evaluation",
            "",
            "Wall time of `metrics.generation_accuracy` (the paper's protocol: 10,000 images per "
            "label decoded from q(z|l) and classified by the evaluator; one repeat = 100,000 "
            "images) and of `metrics.annotation_accuracy` on the test set. Each call compiles "
            "its XLA function: the protocol's time includes one compilation, the annotation's "
            "too. Floor = the matmul and convolution FLOPs of decoder + evaluator ÷ the matmul "
            "rate. A data set other than the benchmark's is timed with the same model built "
            "untrained for it: the cost does not depend on its weights.",
            "",
            _table(["data set", "model (weights)", "evaluator", "GFLOP/repeat", "floor s",
                    "one repeat s", "× floor", "images/s", "compile s", "protocol s",
                    "annotation s (10,000 test images)"],
                   [[e.get("dataset", s["dataset"]),
                     f"{e['model']} ({e.get('model_weights', 'benchmark-trained')})",
                     e["evaluator_weights"],
                     _fmt(e["generation"].get("repeat_flops", float("nan")) / 1e9, 1),
                     _fmt(e["generation"].get("repeat_floor_s")),
                     _fmt(e["generation"]["repeat_s"]),
                     _fmt(e["generation"].get("repeat_x_floor"), 1),
                     _fmt(e["generation"]["images_per_s"], 0),
                     _fmt(e["generation"]["compile_s"]),
                     f"{_fmt(e['generation']['protocol_s'], 1)} "
                     f"({e['generation']['protocol_repeats']} repeats, "
                     f"{'measured' if e['generation']['protocol_measured'] else 'extrapolated'})",
                     _fmt(e["annotation"]["seconds"])]
                    for e in result["evaluation"]]),
        ]
    if result["export"]:
        parts += [
            "",
            "## Exported annotator",
            "",
            "`annotate` of the exported SavedModel (`tf.saved_model.load`, signature call) and "
            "`annotator.tflite` (input resized to the batch); median of several calls after a "
            "warm-up.",
            "",
            _table(["model", "runtime", "batch", "ms/call", "images/s"],
                   [[r["model"], r["runtime"], r["batch"], _fmt(r["ms_per_call"], 3),
                     _fmt(r["images_per_s"], 0)] for r in result["export"]]),
        ]
    if result.get("same_algorithm"):
        parts += [
            "",
            "## Same algorithm",
            "",
            "The same model and seed trained from scratch through each path for the same number "
            "of steps, then scored on the 10,000 test images (`compare_path_metrics`). The paths "
            "differ only in batch order and random draws, so the metrics should agree within "
            "seed noise.",
            "",
            _table(["model", "steps", "reconstruction ours", "reconstruction plain",
                    "annotation % ours", "annotation % plain"],
                   [[r["model"], r["steps"], _fmt(r["fast"]["reconstruction_error"]),
                     _fmt(r["plain"]["reconstruction_error"]),
                     _fmt(100 * r["fast"]["annotation_accuracy"]),
                     _fmt(100 * r["plain"]["annotation_accuracy"])]
                    for r in result["same_algorithm"]]),
        ]
    md, js = (out / PARTIAL_MD, out / PARTIAL_JSON) if partial else (out / REPORT_MD,
                                                                       out / REPORT_JSON)
    md.write_text("\n".join(parts) + "\n")
    js.write_text(json.dumps(result, indent=2) + "\n")
    if not partial:
        for name in (PARTIAL_MD, PARTIAL_JSON):
            (out / name).unlink(missing_ok=True)
    return md, js
