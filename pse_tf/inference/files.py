"""User files and arrays in: images (grey or colour, at the model's shape) and word lists.

Every image enters as float32 [N, *image_shape] in [0, 1], where `image_shape` is the model's
(H, W) for grey or (H, W, C) for colour images (`pse_tf.inference.backends`: from the run's
config or the export's metadata).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pse_tf.inference.query import InputError


def _shape_text(shape) -> str:
    return ", ".join(map(str, shape))


def check_images(images, image_shape) -> np.ndarray:
    """Images as float32 [N, *image_shape] in [0, 1]; uint8 0..255 is divided by 255.

    Accepts [N, *image_shape], flat rows [N, prod(image_shape)] or one image `image_shape`.

    Raises:
        InputError: wrong size or dtype, or values outside [0, 1] / non-finite.
    """
    image_shape = tuple(int(d) for d in image_shape)
    size = math.prod(image_shape)
    x = np.asarray(images)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    elif not np.issubdtype(x.dtype, np.floating):
        raise InputError(f"images must be uint8 (0..255) or float in [0, 1], got {x.dtype}")
    x = x.astype(np.float32)
    if x.shape == image_shape:
        x = x[None]
    elif x.ndim == 2 and x.shape[1] == size:
        x = x.reshape(-1, *image_shape)
    if x.shape[1:] != image_shape:
        raise InputError(f"images must be [N, {_shape_text(image_shape)}] (or [N, {size}]), "
                         f"got shape {list(np.shape(images))}")
    if not np.all(np.isfinite(x)) or x.size and (x.min() < 0 or x.max() > 1):
        raise InputError("float images must hold finite values in [0, 1]")
    return x


def _read_picture(path: Path, image_shape, resize: bool) -> np.ndarray:
    """One picture file as float32 [1, *image_shape]: greyscale for a grey model, RGB for a
    colour one (keras.utils.load_img)."""
    import keras

    height, width = image_shape[:2]
    colour = len(image_shape) == 3
    try:
        img = keras.utils.load_img(path, color_mode="rgb" if colour else "grayscale")
    except Exception:  # PIL raises UnidentifiedImageError, OSError, ...
        raise InputError(f"{path}: not a readable image file (PNG, JPEG, BMP or GIF expected; "
                         "or a .npy array)") from None
    if img.size != (width, height):
        if not resize:
            raise InputError(f"{path}: image is {img.size[0]}x{img.size[1]} pixels; the model "
                             f"reads {width}x{height} {'colour' if colour else 'greyscale'} "
                             "(pass --resize to scale it, aspect ratio not kept)")
        img = img.resize((width, height), resample=2)  # PIL BILINEAR
    x = keras.utils.img_to_array(img, dtype="float32") / 255.0
    return (x if colour else x[..., 0])[None]


def read_images(paths, image_shape, resize: bool = False, invert: bool = False) -> tuple:
    """Images from PNG/JPEG files and .npy batches: (float32 [N, *image_shape] in [0, 1], names).

    A picture file is read as greyscale for a grey model ((H, W)) and as RGB for a colour one
    ((H, W, 3)). It must be H x W unless `resize`, which scales it to H x W with bilinear
    filtering (aspect ratio not kept). `invert` maps v -> 1 - v (the data sets draw light strokes
    on a black background). A .npy file holds one image or a batch (`check_images`), uint8 0..255
    or float in [0, 1]; it is never resized.
    """
    batches, names = [], []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"image file {str(path)!r} does not exist")
        if path.suffix.lower() == ".npy":
            try:
                array = np.load(path, allow_pickle=False)
            except (ValueError, OSError) as err:
                raise InputError(f"{path}: not a readable .npy array ({err})") from None
            try:
                x = check_images(array, image_shape)
            except InputError as err:
                raise InputError(f"{path}: {err}") from None
            names += [f"{path.name}[{i}]" for i in range(len(x))]
        else:
            x = _read_picture(path, tuple(image_shape), resize)
            names.append(path.name)
        batches.append(1.0 - x if invert else x)
    if not batches:
        raise InputError("no image files given")
    return np.concatenate(batches).astype(np.float32), names


def read_word_file(path) -> list[str]:
    """Words or phrases, one per line; blank lines and lines starting with # are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"vocabulary file {str(path)!r} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise InputError(f"vocabulary file {str(path)!r} is not UTF-8 text ({err})") from None
    words = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not words:
        raise InputError(f"vocabulary file {str(path)!r} has no words")
    return list(dict.fromkeys(words))
