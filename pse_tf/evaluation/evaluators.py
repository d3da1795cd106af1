"""Fixed evaluator classifiers for the paper's "generation accuracy" metric (§4).

The paper uses its own pre-trained MLP (MNIST, 96.86 % validation accuracy) and ResNet-18
(Fashion-MNIST, 92.4 %). Ours train on the first 50,000 official training images, pick the epoch
by the last 10,000 and report the official test set:

- `mnist`: an MLP 784 -> 512 -> 256 -> 10 (ReLU, dropout 0.2), random +-2 px shifts; ~1.1 MFLOPs.
- `fashion_mnist`: a small ResNet (a 3x3 stride-2 stem, three basic residual blocks at 24, 48,
  96 channels, average pooling, a dense layer), random shifts and flips; ~11.4 MFLOPs. Far
  smaller than ResNet-18 because the protocol classifies 10 x 100,000 images on 2 CPU cores.

Both map float32 [N, 28, 28] in [0, 1] to logits [N, 10], so they run inside a caller's (XLA)
`tf.function`; `classify` is the batched path from numpy. The weights and training records are
committed under `weights/` (`scripts/train_evaluators.py --dataset X` rebuilds them).

Variant "paper" (`<dataset>-paper.keras`) stops training when validation accuracy first reaches
the paper's (`PAPER_VAL_ACCURACY`), for `experiments/evaluator_reading.py`; only MNIST's is
committed, so Fashion-MNIST's raises FileNotFoundError until
`scripts/train_evaluators.py --dataset fashion_mnist --paper-accuracy` trains it.
"""

from __future__ import annotations

import json
import os
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
# Evaluator variants: None, the default (trained to its best validation epoch), or "paper".
EVALUATOR_VARIANTS = (None, "paper")
# The paper's evaluators' validation accuracy (§4), where the "paper" variant stops training.
PAPER_VAL_ACCURACY = {"mnist": 0.9686, "fashion_mnist": 0.924}

# Fashion-MNIST ResNet: stem (filters, stride), then residual blocks (filters, stride).
_STEM = (24, 2)
_BLOCKS = ((24, 1), (48, 2), (96, 2))


def _check_dataset(dataset: str) -> None:
    if dataset not in EVALUATOR_DATASETS:
        raise ValueError(f"unknown evaluator data set {dataset!r}; expected one of "
                         f"{list(EVALUATOR_DATASETS)}")


def weights_paths(dataset: str, weights_dir: str | os.PathLike | None = None,
                  variant: str | None = None) -> tuple[Path, Path]:
    """(`<dir>/<stem>.keras`, `<dir>/<stem>.json`), stem `<dataset>` or `<dataset>-<variant>`;
    `dir` defaults to the committed one."""
    _check_dataset(dataset)
    if variant not in EVALUATOR_VARIANTS:
        raise ValueError(f"unknown evaluator variant {variant!r}; expected one of "
                         f"{list(EVALUATOR_VARIANTS)}")
    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    stem = dataset if variant is None else f"{dataset}-{variant}"
    return folder / f"{stem}.keras", folder / f"{stem}.json"


# -- architectures -------------------------------------------------------------------------------
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
    """The untrained evaluator of `dataset`: float32 images [N, 28, 28] in [0, 1] -> logits
    [N, 10]."""
    _check_dataset(dataset)
    return build_mlp() if dataset == "mnist" else build_resnet(_STEM, _BLOCKS)


def flops_per_image(model: keras.Model) -> int:
    """Forward FLOPs for one image: 2 x the multiply-adds of the convolutions and dense layers
    (element-wise ops add a few percent, fused by XLA, and are not counted)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            h, w, c_out = layer.output.shape[1:]
            total += 2 * h * w * int(np.prod(layer.kernel.shape[:-1])) * c_out
        elif isinstance(layer, layers.Dense):
            total += 2 * int(np.prod(layer.kernel.shape))
    return int(total)


# -- inference -----------------------------------------------------------------------------------
def evaluator_input(images) -> np.ndarray:
    """What an evaluator takes: float32 [N, 28, 28] in [0, 1] (numpy), from images of shape
    [N, 28, 28], [N, 784] or [N, 28, 28, 1], uint8 (0..255) or float in [0, 1]."""
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
    """Predicted class of each image (`evaluator_input`'s shapes), int32 [N], by an evaluator.
    Every call of the compiled function gets exactly `batch_size` images (the last batch is
    padded), so XLA compiles once."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    x = evaluator_input(images)
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


# -- loading -------------------------------------------------------------------------------------
def load_evaluator(dataset: str, weights_dir: str | os.PathLike | None = None,
                   variant: str | None = None) -> keras.Model:
    """The trained evaluator of `dataset`, from the committed `weights/<dataset>.keras`
    (`<dataset>-<variant>.keras` for a variant).

    Raises:
        FileNotFoundError: the weights file is missing; the message names it and the command
            that trains it.
    """
    path, _ = weights_paths(dataset, weights_dir, variant)
    if not path.is_file():
        raise FileNotFoundError(
            f"evaluator weights for {dataset!r} not found at {path}; train them with "
            f"`python scripts/train_evaluators.py --dataset {dataset}{_flag(variant)}`")
    return keras.saving.load_model(path, compile=False)


def evaluator_info(dataset: str, weights_dir: str | os.PathLike | None = None,
                   variant: str | None = None) -> dict:
    """The training record `weights/<dataset>.json` (accuracies, epochs, seed, wall time, FLOPs
    per image, images per second)."""
    _, path = weights_paths(dataset, weights_dir, variant)
    if not path.is_file():
        raise FileNotFoundError(
            f"evaluator record for {dataset!r} not found at {path}; train the evaluator with "
            f"`python scripts/train_evaluators.py --dataset {dataset}{_flag(variant)}`")
    return json.loads(path.read_text())


def _flag(variant: str | None) -> str:
    return "" if variant is None else f" --{variant}-accuracy"
