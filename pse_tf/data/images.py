"""The one conversion from stored images to what every network reads: flat float32 in [0, 1]."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def flat_float(images) -> tf.Tensor:
    """Images [N, ...] (array or tensor, uint8 0..255 or float in [0, 1]) as a float32 tensor
    [N, D] in [0, 1]: uint8 is divided by 255, float only cast. Eager or inside XLA."""
    images = tf.convert_to_tensor(images)
    if not (images.dtype == tf.uint8 or images.dtype.is_floating):
        raise TypeError(f"images must be uint8 (0..255) or float in [0, 1], got {images.dtype.name}")
    if images.shape.rank is not None and images.shape.rank < 2:
        raise ValueError(f"images must be [N, ...] with at least 2 dimensions, got shape "
                         f"{images.shape.as_list()}")
    x = tf.cast(images, tf.float32)
    if images.dtype == tf.uint8:
        x = x / 255.0
    return tf.reshape(x, [tf.shape(images)[0], -1])


def binarize(images: np.ndarray, seed: int) -> np.ndarray:
    """One Bernoulli draw of every pixel, its grey level the probability: uint8 0/255, same shape.

    A fixed draw (`seed`) is "static binarisation" (Larochelle & Murray, 2011); the training
    loop's fresh draw per step is the dynamic one (`TrainConfig.binarize`).
    """
    images = np.asarray(images)
    grey = images / 255.0 if images.dtype == np.uint8 else images
    draws = np.random.default_rng(seed).random(images.shape) < grey
    return (draws * 255).astype(np.uint8)


def bernoulli_draw(images, seed) -> tf.Tensor:
    """In-graph dynamic binarisation: float32 images in [0, 1] -> one 0/1 draw per pixel from a
    stateless `seed`."""
    return tf.cast(tf.random.stateless_uniform(tf.shape(images), seed=seed) < images, images.dtype)
