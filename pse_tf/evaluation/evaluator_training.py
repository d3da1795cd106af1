"""Training the fixed evaluator classifiers (`pse_tf.evaluation.evaluators`) and writing their
committed weights and records (`scripts/train_evaluators.py --dataset X`).

One Keras `fit`, images shifted (and flipped) afresh each epoch; `EarlyStopping` with a patience
of every epoch never stops early, it only restores the best validation epoch (the first on a tie).
"""

from __future__ import annotations

import json
import os
import platform
import time

import keras
import numpy as np
import tensorflow as tf

from pse_tf.evaluation.evaluators import (IMAGE_SHAPE, PAPER_VAL_ACCURACY, accuracy,
                                          build_evaluator, classify, evaluator_input,
                                          flops_per_image, weights_paths)

# Test-accuracy targets: the paper's evaluators (96.86 % MNIST validation, 92.4 % Fashion).
TARGET_TEST_ACCURACY = {"mnist": 0.969, "fashion_mnist": 0.924}

# The settings the committed weights were trained with.
DEFAULTS = {
    # epochs, batch size, peak learning rate, weight decay, max shift in pixels, horizontal flips
    "mnist": dict(epochs=30, batch_size=128, learning_rate=1e-3, weight_decay=0.01, shift=2,
                  flip=False),
    "fashion_mnist": dict(epochs=20, batch_size=128, learning_rate=3e-3, weight_decay=0.05,
                          shift=1, flip=True),
}


def augment(images: np.ndarray, rng: np.random.Generator, shift: int = 2,
            flip: bool = False) -> np.ndarray:
    """Random integer shifts of up to `shift` pixels each way (zero fill) and, if `flip`,
    random horizontal flips. images: float32 [N, 28, 28]."""
    n, h, w = images.shape
    if shift > 0:
        padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift)))
        dy = rng.integers(0, 2 * shift + 1, size=n)
        dx = rng.integers(0, 2 * shift + 1, size=n)
        rows = dy[:, None, None] + np.arange(h)[None, :, None]
        cols = dx[:, None, None] + np.arange(w)[None, None, :]
        images = padded[np.arange(n)[:, None, None], rows, cols]
    if flip:
        flipped = rng.random(n) < 0.5
        images = images.copy() if shift == 0 else images
        images[flipped] = images[flipped, :, ::-1]
    return images


def augmented_epochs(images: np.ndarray, labels: np.ndarray, batch_size: int,
                     rng: np.random.Generator, shift: int, flip: bool) -> tf.data.Dataset:
    """Batches (images [B, 28, 28], labels [B]) of one epoch, re-drawn each time the data set is
    iterated (each `fit` epoch): a new order and new `augment` shifts and flips."""

    def epoch():
        order = rng.permutation(len(images))
        moved, moved_labels = augment(images[order], rng, shift, flip), labels[order]
        for start in range(0, len(order), batch_size):
            yield moved[start:start + batch_size], moved_labels[start:start + batch_size]

    signature = (tf.TensorSpec([None, *IMAGE_SHAPE], tf.float32),
                 tf.TensorSpec([None], labels.dtype))
    batches = tf.data.Dataset.from_generator(epoch, output_signature=signature)
    # The known length gives Keras' progress bar and schedule a step count from the first epoch.
    steps = -(-len(images) // batch_size)
    return batches.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)


def measure_throughput(model: keras.Model, num_images: int = 20000, batch_size: int = 2000,
                       repeats: int = 3, jit_compile: bool = True) -> dict:
    """Speed of `classify`: best of `repeats` passes over `num_images` random images, after a
    warm-up batch. Returns `images_per_s` (wall time), `images_per_s_cpu_time` (per second of
    this process's CPU time times the cores: the speed of an idle machine), `cores`,
    `load_average` (1 min, when measured) and `batch_size`."""
    x = np.random.default_rng(0).uniform(size=(num_images, *IMAGE_SHAPE)).astype(np.float32)
    classify(model, x[:batch_size], batch_size=batch_size, jit_compile=jit_compile)
    cores = os.cpu_count() or 1
    wall = cpu = 0.0
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        classify(model, x, batch_size=batch_size, jit_compile=jit_compile)
        wall = max(wall, num_images / (time.perf_counter() - start))
        cpu = max(cpu, num_images * cores / max(time.process_time() - start_cpu, 1e-9))
    return {"images_per_s": round(wall), "images_per_s_cpu_time": round(cpu), "cores": cores,
            "load_average": round(os.getloadavg()[0], 2), "batch_size": batch_size}


def _compile(model: keras.Model, hp: dict, steps_per_epoch: int) -> None:
    """AdamW (no decay on batch-norm scales and biases), one epoch of linear warm-up from a
    tenth of the peak learning rate, then cosine decay; cross-entropy on logits."""
    total_steps = hp["epochs"] * steps_per_epoch
    warmup = min(steps_per_epoch, total_steps // 5)
    schedule = keras.optimizers.schedules.CosineDecay(
        hp["learning_rate"] / 10, decay_steps=max(1, total_steps - warmup),
        warmup_target=hp["learning_rate"], warmup_steps=warmup)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=hp["weight_decay"])
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])


def _epoch_clock() -> keras.callbacks.Callback:
    """Adds each epoch's wall time (augmentation, training and validation) to its logs as
    `seconds`, so `fit`'s History keeps it beside the losses."""
    started = {}
    return keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: started.update(at=time.perf_counter()),
        on_epoch_end=lambda epoch, logs: logs.update(seconds=time.perf_counter() - started["at"]))


class StopAtAccuracy(keras.callbacks.Callback):
    """Stops training as soon as validation accuracy, checked every `every` batches, reaches
    `target`: an evaluator as accurate as the paper's, not the best one can train."""

    def __init__(self, x_val, y_val, target: float, every: int = 20):
        super().__init__()
        self.x_val, self.y_val, self.target, self.every = x_val, y_val, target, every
        self.step, self.stopped_at_step, self.reached = 0, None, None

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            reached = accuracy(self.model, self.x_val, self.y_val)
            if reached >= self.target:
                self.stopped_at_step, self.reached = self.step, reached
                self.model.stop_training = True


def train_evaluator(dataset: str, epochs: int | None = None, seed: int = 0, verbose: int = 1,
                    weights_dir: str | os.PathLike | None = None, save: bool = True,
                    train_images: int | None = None, variant: str | None = None,
                    **hyperparameters) -> tuple[keras.Model, dict]:
    """Trains the evaluator of `dataset` on the training split, keeps the epoch with the best
    validation accuracy, and (if `save`) writes `<weights_dir>/<dataset>.keras` and `.json`.

    Args:
        dataset: str. `mnist` or `fashion_mnist`.
        epochs: int. Defaults to the data set's default (`DEFAULTS`).
        seed: int. Seeds Keras, TensorFlow, NumPy and the augmentation.
        verbose: int. 0 silent; 1 Keras' per-epoch log (`fit(verbose=2)`) and a summary line.
        weights_dir: where to write; defaults to the committed `pse_tf/evaluation/weights`.
        save: bool. Write the files.
        train_images: int or None. Train on only the first this many images (smoke tests).
        variant: None, or "paper": no augmentation, stop once validation accuracy reaches
            `PAPER_VAL_ACCURACY` (checked every 20 batches); written as `<dataset>-paper.keras`.
        **hyperparameters: overrides of `DEFAULTS[dataset]` (batch_size, learning_rate,
            weight_decay, shift, flip).

    Returns:
        (model, info): the trained model (best validation epoch) and its record.
    """
    from pse_tf.data import load_dataset

    model_path, info_path = weights_paths(dataset, weights_dir, variant)  # checks both
    hp = dict(DEFAULTS[dataset])
    if variant == "paper":  # the paper states no augmentation for its evaluators
        hp.update(shift=0, flip=False)
    unknown = sorted(set(hyperparameters) - set(hp))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown}; expected some of {sorted(hp)}")
    hp.update(hyperparameters)
    if epochs is not None:
        hp["epochs"] = int(epochs)
    if hp["epochs"] < 1:
        raise ValueError(f"epochs must be >= 1, got {hp['epochs']}")
    if train_images is not None and train_images < 1:
        raise ValueError(f"train_images must be >= 1 or None, got {train_images}")

    start_time, start_cpu = time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(seed)
    data = load_dataset(dataset)
    x_train = evaluator_input(data.train_images[:train_images])
    y_train = np.asarray(data.train_labels[:train_images])
    x_val, y_val = evaluator_input(data.val_images), np.asarray(data.val_labels)
    x_test, y_test = evaluator_input(data.test_images), np.asarray(data.test_labels)

    model = build_evaluator(dataset)
    batches = augmented_epochs(x_train, y_train, hp["batch_size"], np.random.default_rng(seed),
                               hp["shift"], hp["flip"])
    _compile(model, hp, steps_per_epoch=int(batches.cardinality()))
    if variant == "paper":
        best = StopAtAccuracy(x_val, y_val, PAPER_VAL_ACCURACY[dataset])
    else:
        best = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                             patience=hp["epochs"], restore_best_weights=True)
    fit = model.fit(batches, epochs=hp["epochs"], validation_data=(x_val, y_val),
                    validation_batch_size=2000, shuffle=False,  # `batches` reshuffles itself
                    callbacks=[_epoch_clock(), best],
                    verbose=2 if verbose else 0)
    history = [{"epoch": epoch + 1, "loss": float(fit.history["loss"][epoch]),
                "augmented_train_accuracy": float(fit.history["accuracy"][epoch]),
                "val_accuracy": float(fit.history["val_accuracy"][epoch]),
                "seconds": fit.history["seconds"][epoch]}
               for epoch in range(len(fit.history["loss"]))]
    if variant is not None and best.stopped_at_step is None:
        raise RuntimeError(f"the {dataset} evaluator never reached validation accuracy "
                           f"{PAPER_VAL_ACCURACY[dataset]} in {hp['epochs']} epoch(s); "
                           f"train longer (--epochs)")
    train_seconds = time.perf_counter() - start_time
    train_cpu_seconds = time.process_time() - start_cpu

    # A fresh, uncompiled copy of the best epoch: the saved file holds no optimizer state.
    final = build_evaluator(dataset)
    final.set_weights(model.get_weights())
    speed = measure_throughput(final)
    info = {
        "dataset": dataset,
        "architecture": final.name,
        "params": int(final.count_params()),
        "train_accuracy": accuracy(final, x_train, y_train),
        "val_accuracy": accuracy(final, x_val, y_val),
        "test_accuracy": accuracy(final, x_test, y_test),
        "target_test_accuracy": TARGET_TEST_ACCURACY[dataset],
        "epochs": hp["epochs"],
        "best_epoch": best.best_epoch + 1 if variant is None else len(history),
        "train_images": len(x_train),
        "seed": seed,
        "hyperparameters": hp,
        "wall_time_s": round(train_seconds, 1),
        # CPU seconds over all threads: / cores ~ the wall time on an otherwise idle machine.
        "cpu_time_s": round(train_cpu_seconds, 1),
        "flops_per_image": flops_per_image(final),
        "images_per_s": speed["images_per_s"],
        "throughput": speed,
        "machine": platform.machine(),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "history": history,
    }
    if variant is not None:
        info.update(variant=variant, target_val_accuracy=PAPER_VAL_ACCURACY[dataset],
                    stopped_at_step=best.stopped_at_step)
    if verbose:
        print(f"[{dataset}] best epoch {info['best_epoch']}: train {info['train_accuracy']:.4f} "
              f"val {info['val_accuracy']:.4f} test {info['test_accuracy']:.4f}; "
              f"{info['flops_per_image'] / 1e6:.2f} MFLOPs/image, "
              f"{info['images_per_s']} images/s; {train_seconds:.0f} s", flush=True)
    if save:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        final.save(model_path)
        info_path.write_text(json.dumps(info, indent=2) + "\n")
    return final, info
