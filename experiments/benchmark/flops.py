"""FLOPs counted from traced graphs: a training step's, and the matmuls it really runs.

Nothing here runs a model. What is counted and what is left out is stated once, in the report's
Method section (`experiments.benchmark.report`, results/benchmark.md).
"""

from __future__ import annotations

import tensorflow as tf

MATMUL_OPS = ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
# Ops whose FLOPs would hide in a called function body: counting would silently miss them.
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile", "If",
             "StatelessIf", "Case", "StatelessCase")
# A training step's matmul FLOPs per forward matmul FLOP: the forward matmul, and backward the
# gradients with respect to its input and to its weights.
STEP_PER_FORWARD = 3
FLOP_FORMULA = (f"step FLOPs = {STEP_PER_FORWARD} x forward MatMul/BatchMatMul FLOPs "
                "(2*m*n*k each); element-wise ops not counted")  # the report's one-line summary


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
        if op.type not in MATMUL_OPS + ("Conv2D", "Conv2DBackpropInput"):
            continue
        a = op.inputs[0].shape
        if op.type == "Conv2DBackpropInput":  # a transposed convolution's forward pass
            kernel, x = op.inputs[1].shape, op.inputs[2].shape
            elements = 1
            for i in range(x.rank):
                elements *= _dim(x, i, op)
            k = _dim(kernel, 0, op) * _dim(kernel, 1, op) * _dim(kernel, 2, op)
            yield op, 2 * elements * k
            continue
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
    2 * (output elements) * kh * kw * c_in for each Conv2D (the evaluators', the conv trunks'),
    and 2 * (input elements) * kh * kw * c_out for each transposed one (Conv2DBackpropInput).

    A batched matmul counts 2 * (elements of its output) * k, so broadcast batch dimensions are
    counted as executed. Raises ValueError on an unknown dimension, and on a function-call or
    control-flow op, whose body this walk would not see.
    """
    return sum(flops for _, flops in _flop_ops(graph))


def _batch_graph(fn, model, batch_size: int) -> tf.Graph:
    """The graph of `fn(images, labels)` traced on float32 images [batch_size, image_dim] and
    int32 labels [batch_size]; nothing runs, so the model's state (sampling seed) stays."""
    image_dim = int(model.model_config.image_dim)
    return tf.function(fn).get_concrete_function(
        tf.TensorSpec([batch_size, image_dim], tf.float32),
        tf.TensorSpec([batch_size], tf.int32)).graph


def forward_flops(model, batch_size: int = 100) -> int:
    """Matmul FLOPs of one `model.compute_terms(images, labels, training=True)` on a batch."""
    return matmul_flops(_batch_graph(lambda x, y: model.compute_terms(x, y, training=True),
                                     model, batch_size))


def count_step_flops(model, batch_size: int = 100) -> int:
    """FLOPs of one training step: `STEP_PER_FORWARD` x the forward matmul FLOPs."""
    return STEP_PER_FORWARD * forward_flops(model, batch_size)


def step_matmuls(model, batch_size: int = 100) -> list[dict]:
    """Every matmul one training step runs: those of `compute_terms` and those `tape.gradient`
    builds for the loss's gradient with respect to the trainable weights (so a layer whose input
    needs no gradient has no input-gradient matmul), traced with static shapes; nothing runs.

    Returns one dict per distinct matmul, {"a", "b" (operand shapes), "transpose_a",
    "transpose_b", "count" (how often the step runs it), "flops" (of one)}.
    """
    found = {}
    for op, flops in _flop_ops(_batch_graph(model.loss_and_gradients, model, batch_size)):
        if op.type not in MATMUL_OPS:
            raise ValueError(f"{op.type} {op.name!r}: step_matmuls times matmuls only")
        flag_a, flag_b = ("transpose_a", "transpose_b") if op.type == "MatMul" else ("adj_x",
                                                                                      "adj_y")
        entry = {"a": op.inputs[0].shape.as_list(), "b": op.inputs[1].shape.as_list(),
                 "transpose_a": bool(op.get_attr(flag_a)),
                 "transpose_b": bool(op.get_attr(flag_b)), "count": 0, "flops": flops}
        entry = found.setdefault(matmul_key(entry), entry)
        entry["count"] += 1
    return list(found.values())


def matmul_key(entry: dict) -> tuple:
    """(a shape, b shape, transpose_a, transpose_b) of a `step_matmuls` entry: `time_matmul`'s
    arguments, hashable."""
    return tuple(entry["a"]), tuple(entry["b"]), entry["transpose_a"], entry["transpose_b"]
