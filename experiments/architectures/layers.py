"""Where the conv step's time goes: each layer of the conv networks, forward and backward, on
one thread, against the matmul rate of the same thread.

    taskset -c 1 python -m experiments.architectures.layers --calls 30

Each convolution or dense layer of the conv image encoder's trunk and of its decoder is timed
alone on a batch of 100 (28 x 28 x 1 images, 10-d latent): the forward pass and the gradients
with respect to its input and its weights, compiled with tf.function (no XLA, as
`runs.train` runs conv). Its FLOPs are 3 x the forward FLOPs, counted from the traced graph as
the step's are (`experiments.benchmark.flops`). Writes results/architectures/layers.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

IMAGE_SHAPE, LATENT_DIM, BATCH = (28, 28, 1), 10, 100


def network_layers():
    """[(network, layer, input shape without the batch)] of the conv trunk and decoder body,
    each layer built; reshapes and other layers without weights are left out."""
    from pse_tf.architectures import Conv

    rows = []
    for network, body, shape in (("encoder", Conv().trunk(IMAGE_SHAPE), IMAGE_SHAPE),
                                 ("decoder", Conv().decoder_body(IMAGE_SHAPE), (LATENT_DIM,))):
        for layer in body.layers:
            out = layer.compute_output_shape((BATCH, *shape))
            if not layer.built:
                layer.build((BATCH, *shape))
            if layer.weights:
                rows.append((network, layer, shape))
            shape = tuple(out[1:])
    return rows


def time_layer(layer, shape, calls: int) -> tuple[float, int]:
    """(median ms of one forward + backward call, forward FLOPs) of `layer` on [BATCH, *shape]."""
    import tensorflow as tf

    from experiments.benchmark.flops import matmul_flops
    from experiments.benchmark.machine import wall_seconds

    x = tf.random.uniform((BATCH, *shape))
    forward = tf.function(layer.__call__)
    flops = matmul_flops(forward.get_concrete_function(tf.TensorSpec(x.shape)).graph)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * y)
        return tape.gradient(loss, [x, *layer.trainable_variables])

    # The first call traces: not timed. On CPU a tf.function call returns once it has run.
    seconds = wall_seconds(lambda: step(x), calls, warmup=1)
    return 1000 * statistics.median(seconds), flops


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=30, help="timed calls per layer (default 30)")
    p.add_argument("--out", default="results/architectures/layers.json")
    args = p.parse_args(argv)
    if args.calls < 1:
        p.error("--calls must be at least 1")

    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        one_thread = True
    except RuntimeError:  # TensorFlow already ran in this process: its threads stay as they are
        one_thread = False
        print("TensorFlow had started before: timed with its own thread settings",
              file=sys.stderr)
    from experiments.benchmark.machine import MatmulRate, machine_info
    from pse_tf.atomic import write_json

    peak = MatmulRate().summary(repeats=3)["gflops"]
    rows = []
    for network, layer, shape in network_layers():
        ms, flops = time_layer(layer, shape, args.calls)
        gflops = 3 * flops / (ms / 1000) / 1e9
        rows.append({"network": network, "layer": layer.name, "kind": type(layer).__name__,
                     "input_shape": list(shape), "forward_mflop": flops / 1e6, "ms": ms,
                     "gflops": gflops, "share_of_peak": gflops / peak})
        print(f"{network:8s} {layer.name:11s} {str(shape):14s} {3 * flops / 1e6:8.1f} MFLOP "
              f"{ms:7.2f} ms {gflops:6.1f} GFLOP/s ({gflops / peak:.0%} of peak)", flush=True)
    write_json(args.out, {
        "setting": f"conv layers alone, batch {BATCH}, 28x28x1, forward + "
                   "backward (input and weight gradients), tf.function without XLA, one thread",
        "one_thread": one_thread, "calls": args.calls, "peak_gflops": peak, "machine": machine_info(),
        "written": time.strftime("%Y-%m-%d %H:%M"), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
