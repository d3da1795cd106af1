"""Fixed evaluator classifiers for the paper's "generation accuracy" metric (§4).

The paper classifies generated images with a pre-trained classifier: an MLP for MNIST (96.86 %
validation accuracy) and a ResNet-18 for Fashion-MNIST (92.4 %). We train our own, on the first
50 000 official training images, select the epoch by the last 10 000 (validation) and report the
official test set:

- `mnist`: an MLP 784 -> 512 -> 256 -> 10 (ReLU, dropout 0.2), trained with random +-2 px
  shifts; ~1.1 MFLOPs per image.
- `fashion_mnist`: a small ResNet: a 3x3 stride-2 conv stem (24 channels, 14x14), then three
  basic residual blocks with batch norm (24 ch at 14x14, 48 at 7x7, 96 at 4x4), global average
  pooling and a dense layer; trained with random shifts and horizontal flips; ~11.4 MFLOPs per
  image. It is far smaller than the paper's ResNet-18 because the generation protocol classifies
  10 x 100 000 images on 2 CPU cores: downsampling in the stem is what makes that fit.

Both models take float32 images in [0, 1] of shape [N, 28, 28] and return logits [N, 10], so
`evaluator(images, training=False)` can be called inside a caller's (XLA) `tf.function`.
`classify` is the batched fast path from numpy and also accepts [N, 784].

The trained weights are committed under `pse_tf/evaluation/weights/` (`<dataset>.keras` and
`<dataset>.json`); `python scripts/train_evaluators.py --dataset X` rebuilds them.
"""

from __future__ import annotations

import json
import os
import platform
import time
import weakref
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from pse_tf.data import flat_float

EVALUATOR_DATASETS = ("mnist", "fashion_mnist")
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10

# Test-accuracy targets: the paper's evaluators (96.86 % MNIST validation, 92.4 % Fashion).
TARGET_TEST_ACCURACY = {"mnist": 0.969, "fashion_mnist": 0.924}

_DEFAULTS = {
    # epochs, batch size, peak learning rate, weight decay, max shift in pixels, horizontal flips
    "mnist": dict(epochs=30, batch_size=128, learning_rate=1e-3, weight_decay=0.01, shift=2,
                  flip=False),
    "fashion_mnist": dict(epochs=20, batch_size=128, learning_rate=3e-3, weight_decay=0.05,
                          shift=1, flip=True),
}

# Fashion-MNIST ResNet: stem (filters, stride), then residual blocks (filters, stride).
_STEM = (24, 2)
_BLOCKS = ((24, 1), (48, 2), (96, 2))


def _check_dataset(dataset: str) -> None:
    if dataset not in EVALUATOR_DATASETS:
        raise ValueError(f"unknown evaluator data set {dataset!r}; expected one of "
                         f"{list(EVALUATOR_DATASETS)}")


def weights_paths(dataset: str, weights_dir: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """(`<dir>/<dataset>.keras`, `<dir>/<dataset>.json`); `dir` defaults to the committed one."""
    _check_dataset(dataset)
    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    return folder / f"{dataset}.keras", folder / f"{dataset}.json"


# ----------------------------------------------------------------------------------------------
# Architectures


def _conv_bn(x, filters: int, kernel_size: int, strides: int, relu: bool, name: str):
    """Conv2D (no bias) -> BatchNormalization (-> ReLU), layers named `name`, `name`_bn."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      name=name)(x)
    # Momentum 0.9, not Keras' 0.99: the moving variance starts at 1 while the stem's true one is
    # ~1e-3, and 0.99 leaves it several times too large after a whole epoch.
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _residual_block(x, filters: int, stride: int, name: str):
    """Basic ResNet block: two 3x3 conv-BN, a 1x1 conv-BN projection when the shape changes."""
    y = _conv_bn(x, filters, 3, stride, relu=True, name=f"{name}_conv1")
    y = _conv_bn(y, filters, 3, 1, relu=False, name=f"{name}_conv2")
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(x, filters, 1, stride, relu=False, name=f"{name}_proj")
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def build_mlp(hidden_units=(512, 256), dropout: float = 0.2, name: str = "mnist_mlp"):
    """MLP classifier [N, 28, 28] -> logits [N, 10]."""
    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, activation="relu", name=f"dense{i}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i}")(x)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_resnet(stem=_STEM, blocks=_BLOCKS, name: str = "fashion_mnist_resnet"):
    """Small ResNet [N, 28, 28] -> logits [N, 10]: a strided 3x3 stem, residual blocks,
    global average pooling and one dense layer."""
    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = layers.Reshape(IMAGE_SHAPE + (1,), name="channels")(inputs)
    x = _conv_bn(x, stem[0], 3, stem[1], relu=True, name="stem")
    for i, (filters, stride) in enumerate(blocks):
        x = _residual_block(x, filters, stride, name=f"block{i}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_evaluator(dataset: str) -> keras.Model:
    """The untrained evaluator architecture of `dataset` (`mnist` or `fashion_mnist`).

    Returns:
        keras.Model mapping float32 images [N, 28, 28] in [0, 1] to logits [N, 10].
    """
    _check_dataset(dataset)
    return build_mlp() if dataset == "mnist" else build_resnet(_STEM, _BLOCKS)


def flops_per_image(model: keras.Model) -> int:
    """Forward FLOPs for one image: 2 x the multiply-adds of the convolutions and dense layers.

    The element-wise ops (batch norm, ReLU, residual adds) add a few percent and are not
    counted; XLA fuses them into the convolutions.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            h, w, c_out = layer.output.shape[1:]
            total += 2 * h * w * int(np.prod(layer.kernel.shape[:-1])) * c_out
        elif isinstance(layer, layers.Dense):
            total += 2 * int(np.prod(layer.kernel.shape))
    return int(total)


# ----------------------------------------------------------------------------------------------
# Inference


def _as_images(images) -> np.ndarray:
    """float32 [N, 28, 28] in [0, 1] from [N, 28, 28], [N, 784] or [N, 28, 28, 1] (uint8 or float)."""
    x = np.asarray(images)
    if x.ndim == 2 and x.shape[1] == 784 or x.ndim == 4 and x.shape[1:] == (28, 28, 1):
        x = x.reshape(-1, *IMAGE_SHAPE)
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape [N, 28, 28], [N, 784] or [N, 28, 28, 1], "
                         f"got {list(x.shape)}")
    return flat_float(x).numpy().reshape(-1, *IMAGE_SHAPE)


# One compiled function per (model, jit_compile), dropped with the model.
_CLASSIFY_FNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _classify_fn(model: keras.Model, jit_compile: bool):
    fns = _CLASSIFY_FNS.setdefault(model, {})
    if jit_compile not in fns:
        model_ref = weakref.ref(model)  # a strong reference here would keep the entry alive

        @tf.function(input_signature=[tf.TensorSpec([None, *IMAGE_SHAPE], tf.float32)],
                     jit_compile=jit_compile, reduce_retracing=True, autograph=False)
        def predict(x):
            return tf.argmax(model_ref()(x, training=False), axis=-1, output_type=tf.int32)

        fns[jit_compile] = predict
    return fns[jit_compile]


def classify(model: keras.Model, images, batch_size: int = 2000,
             jit_compile: bool = True) -> np.ndarray:
    """Predicted class of each image: int32 [N].

    Args:
        model: keras.Model. An evaluator (`load_evaluator`, `build_evaluator`).
        images: float images in [0, 1] (or uint8 in 0..255) of shape [N, 28, 28], [N, 784] or
            [N, 28, 28, 1]; numpy or tensor.
        batch_size: int. Images per call of the compiled function. Every call but a lone short
            one gets exactly this many (the last batch is padded), so XLA compiles once.
        jit_compile: bool. Compile the forward pass with XLA. Defaults to True.

    Returns:
        np.ndarray int32 [N].
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    x = _as_images(images)
    n = len(x)
    if n == 0:
        return np.zeros([0], np.int32)
    predict = _classify_fn(model, bool(jit_compile))
    size = min(int(batch_size), n)
    out = np.empty([n], np.int32)
    for start in range(0, n, size):
        batch = x[start:start + size]
        count = len(batch)
        if count < size:
            batch = np.concatenate([batch, np.zeros((size - count, *IMAGE_SHAPE), np.float32)])
        out[start:start + count] = predict(tf.constant(batch)).numpy()[:count]
    return out


def accuracy(model: keras.Model, images, labels, batch_size: int = 2000) -> float:
    """Fraction of `images` that `classify` assigns to their `labels`."""
    return float(np.mean(classify(model, images, batch_size=batch_size) == np.asarray(labels)))


def measure_throughput(model: keras.Model, num_images: int = 20000, batch_size: int = 2000,
                       repeats: int = 3, jit_compile: bool = True) -> dict:
    """Speed of `classify`: best of `repeats` passes over `num_images` random images, after a
    warm-up batch.

    Returns:
        dict: `images_per_s` (wall time; other work on the machine lowers it),
        `images_per_s_cpu_time` (images per second of this process's CPU time, times the core
        count: what the machine gives when nothing else runs, if the work spreads over all
        cores), `cores`, `load_average` (1 min, when measured), `batch_size`.
    """
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


# ----------------------------------------------------------------------------------------------
# Loading


def load_evaluator(dataset: str, weights_dir: str | os.PathLike | None = None) -> keras.Model:
    """The trained evaluator of `dataset`, from the committed `weights/<dataset>.keras`.

    Raises:
        FileNotFoundError: the weights file is missing; the message names it and the command
            that trains it.
    """
    path, _ = weights_paths(dataset, weights_dir)
    if not path.is_file():
        raise FileNotFoundError(
            f"evaluator weights for {dataset!r} not found at {path}; train them with "
            f"`python scripts/train_evaluators.py --dataset {dataset}`")
    return keras.saving.load_model(path, compile=False)


def evaluator_info(dataset: str, weights_dir: str | os.PathLike | None = None) -> dict:
    """The training record `weights/<dataset>.json` (accuracies, epochs, seed, wall time, FLOPs
    per image, images per second)."""
    _, path = weights_paths(dataset, weights_dir)
    if not path.is_file():
        raise FileNotFoundError(
            f"evaluator record for {dataset!r} not found at {path}; train the evaluator with "
            f"`python scripts/train_evaluators.py --dataset {dataset}`")
    return json.loads(path.read_text())


# ----------------------------------------------------------------------------------------------
# Training


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


def train_evaluator(dataset: str, epochs: int | None = None, seed: int = 0, verbose: int = 1,
                    weights_dir: str | os.PathLike | None = None, save: bool = True,
                    **hyperparameters) -> tuple[keras.Model, dict]:
    """Trains the evaluator of `dataset` on the training split, keeps the epoch with the best
    validation accuracy, and (if `save`) writes `<weights_dir>/<dataset>.keras` and `.json`.

    Args:
        dataset: str. `mnist` or `fashion_mnist`.
        epochs: int. Defaults to the data set's default (`_DEFAULTS`).
        seed: int. Seeds Keras, TensorFlow, NumPy and the augmentation.
        verbose: int. 0 silent, 1 one line per epoch.
        weights_dir: where to write; defaults to the committed `pse_tf/evaluation/weights`.
        save: bool. Write the files.
        **hyperparameters: overrides of `_DEFAULTS[dataset]` (batch_size, learning_rate,
            weight_decay, shift, flip).

    Returns:
        (model, info): the trained model (best validation epoch) and its record.
    """
    from pse_tf.data import load_dataset

    _check_dataset(dataset)
    hp = dict(_DEFAULTS[dataset])
    unknown = sorted(set(hyperparameters) - set(hp))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown}; expected some of {sorted(hp)}")
    hp.update(hyperparameters)
    if epochs is not None:
        hp["epochs"] = int(epochs)
    if hp["epochs"] < 1:
        raise ValueError(f"epochs must be >= 1, got {hp['epochs']}")

    start_time, start_cpu = time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    data = load_dataset(dataset)
    x_train, y_train = _as_images(data.train_images), np.asarray(data.train_labels)
    x_val, y_val = _as_images(data.val_images), np.asarray(data.val_labels)
    x_test, y_test = _as_images(data.test_images), np.asarray(data.test_labels)

    model = build_evaluator(dataset)
    steps_per_epoch = -(-len(x_train) // hp["batch_size"])
    total_steps = hp["epochs"] * steps_per_epoch
    warmup = min(steps_per_epoch, total_steps // 5)  # one epoch of linear warm-up, then cosine
    schedule = keras.optimizers.schedules.CosineDecay(
        hp["learning_rate"] / 10, decay_steps=max(1, total_steps - warmup),
        warmup_target=hp["learning_rate"], warmup_steps=warmup)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=hp["weight_decay"])
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])

    history, best_val, best_epoch, best_weights = [], -1.0, 0, None
    for epoch in range(hp["epochs"]):
        epoch_start = time.perf_counter()
        x_epoch = augment(x_train, rng, hp["shift"], hp["flip"])
        fit = model.fit(x_epoch, y_train, batch_size=hp["batch_size"], epochs=epoch + 1,
                        initial_epoch=epoch, shuffle=True, verbose=0)
        val_acc = accuracy(model, x_val, y_val)
        row = {"epoch": epoch + 1, "loss": float(fit.history["loss"][-1]),
               "augmented_train_accuracy": float(fit.history["accuracy"][-1]),
               "val_accuracy": val_acc, "seconds": time.perf_counter() - epoch_start}
        history.append(row)
        if val_acc > best_val:
            best_val, best_epoch, best_weights = val_acc, epoch + 1, model.get_weights()
        if verbose:
            print(f"[{dataset}] epoch {epoch + 1}/{hp['epochs']} loss {row['loss']:.4f} "
                  f"train(aug) {row['augmented_train_accuracy']:.4f} val {val_acc:.4f} "
                  f"({row['seconds']:.0f} s)", flush=True)
    train_seconds = time.perf_counter() - start_time
    train_cpu_seconds = time.process_time() - start_cpu

    # A fresh, uncompiled copy: the saved file holds no optimizer state.
    final = build_evaluator(dataset)
    final.set_weights(best_weights)
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
        "best_epoch": best_epoch,
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
    if verbose:
        print(f"[{dataset}] best epoch {best_epoch}: train {info['train_accuracy']:.4f} "
              f"val {info['val_accuracy']:.4f} test {info['test_accuracy']:.4f}; "
              f"{info['flops_per_image'] / 1e6:.2f} MFLOPs/image, "
              f"{info['images_per_s']} images/s; {train_seconds:.0f} s", flush=True)
    if save:
        model_path, info_path = weights_paths(dataset, weights_dir)
        model_path.parent.mkdir(parents=True, exist_ok=True)
        final.save(model_path)
        info_path.write_text(json.dumps(info, indent=2) + "\n")
    return final, info
