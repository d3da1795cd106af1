"""Wall time of the evaluation protocol as `run_metrics.evaluate` calls it: the paper's generation
protocol with a data set's evaluator, and annotation of the test images. What is timed, and its
floor, is stated in the report's Method section (`experiments.benchmark.report`).
"""

from __future__ import annotations

import math
import statistics
from typing import Callable

import keras
import tensorflow as tf

from experiments.benchmark.flops import matmul_flops
from experiments.benchmark.machine import wall_seconds
from pse_tf.config import TrainConfig

GENERATION_BATCH = 10000  # metrics.generation_accuracy's batch size
# The paper's unit for the generation protocol (10,000 images per label, 10 repeats), as
# TrainConfig defines it for run_metrics.evaluate.
GENERATION_SAMPLES_PER_LABEL = TrainConfig.generation_samples_per_label
GENERATION_REPEATS = TrainConfig.generation_repeats


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

    Each call compiles its XLA function afresh (as `run_metrics.evaluate` does), so the cost is
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
        return wall_seconds(lambda: generation_accuracy(model, evaluator, seed=seed,
                                                        batch_size=batch, **kwargs), 1)[0]

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

    times = wall_seconds(lambda: annotation_accuracy(model, images, labels), repeats)
    return {"images": len(images), "seconds": statistics.median(times), "seconds_all": times}
