"""Run by tests/test_distribute.py in a process of its own: the CPU split into two logical devices
(this must happen before TensorFlow initialises them), then `mirrored` over both against `none`
on one. Prints one JSON line {scenario: result}.

    python tests/helpers/two_devices.py gradient noise ...
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from pse_tf import distribute, networks  # noqa: E402
from pse_tf.models import base  # noqa: E402
from pse_tf.config import ConfigError, ModelConfig, TrainConfig  # noqa: E402
from pse_tf.data import load_dataset  # noqa: E402
from pse_tf.labels import LabelEncoding  # noqa: E402
from pse_tf.training import InGraphLoop, NonFiniteError, build_model, fit  # noqa: E402

DATA = load_dataset("mnist")
ENCODING = LabelEncoding.build(DATA.class_names, "onehot")


def config(strategy: str, **changes) -> TrainConfig:
    base = TrainConfig(dataset="mnist", label_encoding="onehot", model=ModelConfig(name="pse_star"),
                       steps=40, steps_per_execution=10, checkpoint_every=20, seed=1,
                       strategy=strategy)
    return dataclasses.replace(base, **changes)


def built(c: TrainConfig, run_dir=None):
    """(model, its RunContext) of config `c`, as `pse_tf.runs.train` makes them."""
    context = distribute.RunContext.create(c, run_dir)
    return build_model(c, ENCODING, context), context


def weights(model) -> list[np.ndarray]:
    return [w.numpy() for w in model.weights]


def largest_difference(a, b) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(weights(a), weights(b)))


@contextlib.contextmanager
def replaced(module, name: str, value):
    """`module.name` is `value` inside the block."""
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def without_noise():
    """z = the encoder's mean: what is left is a function of the weights and the batch."""
    return replaced(networks, "rsample", lambda distribution, seed: distribution.loc)


def sgd_step(strategy_name: str, jit_compile: bool) -> list[np.ndarray]:
    """One SGD(1.0) step on the first global batch: w - g, so g is compared at full size (Adam
    would hide a gradient scaled by a constant)."""
    model, context = built(config(strategy_name))
    with context.scope():
        model.compile(optimizer=keras.optimizers.SGD(1.0))
        model.optimizer.build(model.trainable_variables)
    before = weights(model)
    InGraphLoop(model, context, DATA.train_images, DATA.train_labels, 100, 1,
                jit_compile).run(0, 1)
    return [b - a for a, b in zip(weights(model), before)]


def gradient(jit_compile: bool = False):
    """The all-reduced gradient of 2 replicas x 50 rows = the gradient of the 100-row batch on one
    device; and, as a control that the comparison can fail, what it is without the 1/replicas
    loss scale."""
    with without_noise():
        one, two = sgd_step("none", jit_compile), sgd_step("mirrored", jit_compile)
        with replaced(base, "global_batch_loss", lambda loss: loss):
            unscaled = sgd_step("mirrored", jit_compile)
    return {"replicas": distribute.RunContext(distribute.create_strategy("mirrored")).replicas,
            "max_gradient": max(float(np.max(np.abs(g))) for g in one),
            "difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one, two)),
            "unscaled_difference": max(float(np.max(np.abs(a - b)))
                                       for a, b in zip(one, unscaled))}


def gradient_xla():
    """`gradient` with XLA: the whole loop on one device, each replica's pass under mirrored."""
    return gradient(jit_compile=True)


def loop():
    """10 Adam steps through InGraphLoop, in two calls, XLA on and off: the same reported terms
    and weights as one device."""
    result = {}
    for jit in (True, False):
        models, logs = {}, {}
        for name in ("none", "mirrored"):
            c = config(name, jit_compile=jit)
            models[name], context = built(c)
            run = InGraphLoop(models[name], context, DATA.train_images, DATA.train_labels,
                              c.batch_size, c.seed, jit)
            with without_noise():
                logs[name] = [run.run(0, 5), run.run(5, 5)][-1]
            result[f"xla_{name}_{jit}"] = run.xla
        result[f"jit_{jit}"] = {
            "logs": logs, "weights": largest_difference(models["none"], models["mirrored"])}
    return result


def two_steps_on_one_image(strategy: str, jit: bool):
    """A model after two steps on 100 copies of one image: equal rows, so what differs between
    replicas is their noise alone."""
    images = np.repeat(DATA.train_images[:1], 100, axis=0)
    labels = np.repeat(DATA.train_labels[:1], 100)
    model, context = built(config(strategy))
    InGraphLoop(model, context, images, labels, 100, 1, jit).run(0, 2)
    return model


def replica_losses(model) -> list[float]:
    """Each replica's loss of a mirrored model's last call."""
    totals = model.distribute_strategy.experimental_local_results(model.loss_tracker.total.value)
    return [float(t) for t in totals]


def noise():
    """Each replica draws its own z, XLA on and off (and, as a control, the same z once the
    replica id is no longer folded into the seed); the seed state stays the same on every
    replica and advances as on one device."""
    result = {}
    for jit in (True, False):
        model = two_steps_on_one_image("mirrored", jit)
        result[f"losses_{jit}"] = replica_losses(model)
    with replaced(base, "replica_seed", lambda seed: seed):
        result["losses_without_fold"] = replica_losses(two_steps_on_one_image("mirrored", True))
    states = model.distribute_strategy.experimental_local_results(model.seed_generator.state.value)
    result["seed_states"] = [s.numpy().tolist() for s in states]
    one = two_steps_on_one_image("none", False)
    result["seed_state_one_device"] = one.seed_generator.state.numpy().tolist()
    return result


def nonfinite():
    """A NaN in a row that replica 1 trains on stops both replicas at its step."""
    images = DATA.train_images.astype(np.float32) / 255.0
    model, context = built(config("mirrored"))
    run = InGraphLoop(model, context, images, DATA.train_labels, 100, 1)
    step, row = 7, int(run.batches(7, 1)[0, 75])  # rows 50-99 of a batch are replica 1's
    images[row] = np.nan
    run = InGraphLoop(model, context, images, DATA.train_labels, 100, 1)
    try:
        run.run(0, 10)
    except NonFiniteError as e:
        # Batch index 7 is the 8th step: NonFiniteError counts steps from 1, as checkpoints do.
        return {"step": e.step, "expected": step + 1, "names": e.names}
    return {"step": None, "expected": step}


def batch():
    """A global batch that does not split over 2 replicas is refused."""
    try:
        built(config("mirrored", batch_size=101))
    except ConfigError as e:
        return {"error": str(e)}
    return {"error": None}


def resume():
    """fit under mirrored, interrupted after its first checkpoint, resumes to the weights of the
    uninterrupted run (sampling included: the seed state is checkpointed). Without XLA: what
    XLA compiles under mirrored is the other scenarios' subject, and its compile takes longer
    than these 40 steps."""
    full = config("mirrored", jit_compile=False)
    with tempfile.TemporaryDirectory() as tmp:
        straight, context = built(full, Path(tmp) / "a")
        fit(straight, full, DATA, context, verbose=0)
        (Path(tmp) / "b").mkdir()
        half = dataclasses.replace(full, steps=20)
        first, context = built(half, Path(tmp) / "b")
        fit(first, half, DATA, context, verbose=0)
        resumed, context = built(full, Path(tmp) / "b")
        history = fit(resumed, full, DATA, context, verbose=0)
        return {"steps": history["step"], "difference": largest_difference(straight, resumed),
                "validation": history["validation"][-1]}


SCENARIOS = {f.__name__: f for f in (gradient, gradient_xla, loop, noise, nonfinite, batch, resume)}

if __name__ == "__main__":
    print(json.dumps({name: SCENARIOS[name]() for name in sys.argv[1:]}))
