"""conv against mlp: ms/step of the training path and the step's FLOP floor, on one thread.

    taskset -c 1 python -m experiments.architectures.benchmark --steps 100 --repeats 3

For PSE* 10-d on Fashion-MNIST with word-vector labels, batch 100, each architecture is timed
on our training path (`experiments.benchmark.paths.FastPath`: `training.InGraphLoop`, as
`runs.train` runs it; conv also without XLA), with TensorFlow held to one thread (intra- and
inter-op) so that a shared machine's other jobs change the timings less; pin the process to
one core with `taskset`. The step's FLOPs are counted from the traced graph
(`experiments.benchmark.flops`: 3 x the forward matmul and (transposed) convolution FLOPs); the
floor is those FLOPs at the rate of a 2048^3 float32 matmul timed on the same thread between the
step timings. Writes results/architectures/benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SETTINGS = (("mlp", True), ("conv", False), ("conv", True))  # (architecture, XLA)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=100, help="steps per timing (default 100)")
    p.add_argument("--repeats", type=int, default=3, help="timings per setting (default 3)")
    p.add_argument("--out", default="results/architectures/benchmark.json")
    args = p.parse_args(argv)

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from experiments.benchmark.flops import count_step_flops
    from experiments.benchmark.machine import MatmulRate, machine_info
    from experiments.benchmark.paths import FastPath
    from pse_tf.atomic import write_json
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.runs import load_data

    peak = MatmulRate()
    rows = []
    for architecture, xla in SETTINGS:
        config = TrainConfig(dataset="fashion_mnist", label_encoding="word2vec", jit_compile=xla,
                             model=ModelConfig(name="pse_star", architecture=architecture))
        dataset, encoding = load_data(config)
        path = FastPath(config, encoding, dataset)
        flops = count_step_flops(path.model)
        path.run(config.steps_per_execution)  # compiles: not timed
        ms, rates = [], []
        for _ in range(args.repeats):
            rates.append(peak.summary(repeats=3)["gflops"])
            ms.append(1000 * path.run(args.steps) / args.steps)
        floor_ms = 1000 * flops / (statistics.median(rates) * 1e9)
        row = {"architecture": architecture, "xla": xla,
               "parameters": int(path.model.count_params()), "step_mflop": flops / 1e6,
               "ms_per_step": ms, "peak_gflops": rates, "floor_ms": floor_ms,
               "times_floor": statistics.median(ms) / floor_ms}
        print(json.dumps(row), flush=True)
        rows.append(row)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        write_json(args.out, {  # after every row: a slow setting cut short keeps the others
            "setting": "PSE* 10-d, fashion_mnist, word2vec labels, batch 100, one thread",
            "steps_per_timing": args.steps, "machine": machine_info(),
            "written": time.strftime("%Y-%m-%d %H:%M"), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
