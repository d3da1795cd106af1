"""Every data set a run can name: `mnist`, `fashion_mnist`, and your own labelled images.

A data set is named by a spec string:

- `mnist`, `fashion_mnist`: the paper's data sets and split (`pse_tf.data.datasets`).
- `folder:PATH`: one sub-folder per class, its name the class phrase (`ankle_boot` is "ankle
  boot"); PNG, JPEG, BMP or GIF, resized (bilinear) to `image_size`, by default the size of the
  first image in sorted order.
- `arrays:PATH.npz`: arrays `images` (uint8 [N, H, W] or [N, H, W, C], C 1 or 3; or float in
  [0, 1]), `labels` (integers [N] in [0, K)) and `class_names` (K strings).
- `tfds:NAME`: any tensorflow-datasets image-classification set (`cifar10`, `mnist:3.0.1`), its
  whole `train` split and `ClassLabel` names; downloaded if not prepared.

`color_mode` `auto` (default) keeps three channels only if some image has colour;
`grayscale` / `rgb` force it. Your own data is split per class after a shuffle by `split_seed`
(default 0, independent of the training seed, so every run shares the test set): the first
`round(test_fraction * n)` test, the next `round(val_fraction * n)` validation (each at least
1, defaults 0.1), the rest train; a class needs at least 3 images.

Bad data fails before training with a one-line `DataError` naming the file or class.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np

from pse_tf.data.datasets import DATASETS, Dataset, load_dataset
from pse_tf.data.idx import DataError

KINDS = ("folder", "arrays", "tfds")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
COLOR_MODES = ("auto", "grayscale", "rgb")
# Options of your own data sets (TrainConfig.data_options) and their defaults.
DATA_OPTIONS = {"image_size": None, "color_mode": "auto", "val_fraction": 0.1,
                "test_fraction": 0.1, "split_seed": 0}
MAX_IMAGE_SIDE = 512  # a dense MLP over more pixels than this squared is not what PSE is for


def parse_spec(spec: str) -> tuple[str, str]:
    """`mnist` -> ("builtin", "mnist"); `folder:PATH` -> ("folder", "PATH"); likewise arrays, tfds.

    Raises:
        ValueError: neither a built-in name nor `KIND:ARGUMENT` with a known kind.
    """
    if spec in DATASETS:
        return "builtin", spec
    kind, sep, argument = str(spec).partition(":")
    if not sep or kind not in KINDS or not argument:
        raise ValueError(f"unknown data set {spec!r}; expected one of {DATASETS} or "
                         "folder:PATH, arrays:PATH.npz, tfds:NAME")
    return kind, argument


def check_options(options: dict) -> dict:
    """`options` completed with the defaults of `DATA_OPTIONS`.

    Raises:
        ValueError: an unknown key or a bad value, named.
    """
    unknown = sorted(set(options) - set(DATA_OPTIONS))
    if unknown:
        raise ValueError(f"unknown data option(s) {unknown}; expected some of {sorted(DATA_OPTIONS)}")
    full = {**DATA_OPTIONS, **options}
    size = full["image_size"]
    if size is not None:
        if (not isinstance(size, (list, tuple)) or len(size) != 2
                or not all(isinstance(s, int) and 1 <= s <= MAX_IMAGE_SIDE for s in size)):
            raise ValueError(f"image_size must be [height, width], each 1..{MAX_IMAGE_SIDE}; "
                             f"got {size!r}")
        full["image_size"] = [int(s) for s in size]
    if full["color_mode"] not in COLOR_MODES:
        raise ValueError(f"color_mode must be one of {COLOR_MODES}, got {full['color_mode']!r}")
    for key in ("val_fraction", "test_fraction"):
        if not 0 < float(full[key]) < 0.5:
            raise ValueError(f"{key} must be in (0, 0.5), got {full[key]!r}")
    return full


def slug(spec: str) -> str:
    """A file-name-safe short name: `folder:/data/My Shoes` -> `folder-my_shoes`."""
    kind, argument = parse_spec(spec)
    if kind == "builtin":
        return argument
    stem = Path(argument.rstrip("/")).stem if kind != "tfds" else argument
    return f"{kind}-" + (re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "data")


def class_phrase(folder_name: str) -> str:
    """A class folder's name as a phrase: `ankle_boot` -> `ankle boot`."""
    return " ".join(folder_name.replace("_", " ").split())


# ----------------------------------------------------------------------------------------------
# Sources: each returns (images uint8 [N, H, W] or [N, H, W, 3], labels int [N], class_names)


def _color(images: np.ndarray, color_mode: str, where: str) -> np.ndarray:
    """uint8 [N, H, W, C] -> [N, H, W] (grey) or [N, H, W, 3] (colour), as `color_mode` says."""
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[-1] not in (1, 3, 4):
        raise DataError(f"{where}: images have {images.shape[-1]} channels; expected 1, 3 or 4")
    images = images[..., :3]  # drop alpha
    if images.shape[-1] == 1:
        return images[..., 0] if color_mode != "rgb" else np.repeat(images, 3, axis=-1)
    grey_already = bool(np.all(images == images[..., :1]))
    if color_mode == "grayscale" or (color_mode == "auto" and grey_already):
        # ITU-R 601 luma, as PIL's "L" mode.
        luma = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(np.rint(luma), 0, 255).astype(np.uint8)
    return images


def _folder(path: str, image_size, color_mode: str):
    import keras

    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"folder:{path}: no such folder")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DataError(f"folder:{path}: {len(classes)} class folder(s); need at least 2 "
                        "(one sub-folder per class, named by its class phrase)")
    images, labels, size = [], [], image_size
    for index, folder in enumerate(classes):
        files = sorted(f for f in folder.iterdir()
                       if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"folder:{path}: class folder {folder.name!r} has no images "
                            f"({', '.join(IMAGE_SUFFIXES)})")
        for file in files:
            try:
                if size is None:
                    width, height = keras.utils.load_img(file).size
                    size = [height, width]
                    if max(size) > MAX_IMAGE_SIDE:
                        raise DataError(f"folder:{path}: first image {file} is {width}x{height}; "
                                        f"set data option image_size (each side <= {MAX_IMAGE_SIDE})")
                image = keras.utils.load_img(file, color_mode="rgba", target_size=tuple(size),
                                             interpolation="bilinear")
            except DataError:
                raise
            except Exception as e:  # PIL raises several types for a bad file
                raise DataError(f"folder:{path}: cannot read image {file}: "
                                f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                                ) from None
            images.append(np.asarray(image, dtype=np.uint8))
            labels.append(index)
    stacked = np.stack(images)
    # Transparent pixels count as background (0), the way MNIST-like data are drawn.
    alpha = stacked[..., 3:4].astype(np.float32) / 255.0
    stacked = np.rint(stacked[..., :3] * alpha).astype(np.uint8)
    names = tuple(class_phrase(c.name) for c in classes)
    return _color(stacked, color_mode, f"folder:{path}"), np.array(labels, np.int64), names


def _arrays(path: str, color_mode: str):
    file = Path(path).expanduser()
    where = f"arrays:{path}"
    try:
        with np.load(file, allow_pickle=False) as data:
            missing = sorted({"images", "labels", "class_names"} - set(data.files))
            if missing:
                raise DataError(f"{where}: missing array(s) {missing}; expected images, labels, "
                                "class_names")
            images, labels, names = data["images"], data["labels"], data["class_names"]
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"{where}: cannot read: {type(e).__name__}: {e}") from None
    if images.ndim not in (3, 4) or len(images) == 0:
        raise DataError(f"{where}: images are {images.dtype} {list(images.shape)}; expected "
                        "[N, H, W] or [N, H, W, C], N >= 1")
    if images.dtype != np.uint8:
        if images.dtype.kind != "f" or not np.all(np.isfinite(images)) or images.min() < 0 \
                or images.max() > 1:
            raise DataError(f"{where}: images must be uint8 (0..255) or float in [0, 1]; got "
                            f"{images.dtype} from {images.min()} to {images.max()}")
        images = np.rint(images * 255).astype(np.uint8)
    if labels.shape != images.shape[:1] or labels.dtype.kind not in "iu":
        raise DataError(f"{where}: labels are {labels.dtype} {list(labels.shape)}; expected "
                        f"integers [{len(images)}]")
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise DataError(f"{where}: class_names are {names.dtype} {list(names.shape)}; expected "
                        "a 1-d array of strings")
    names = tuple(str(n.decode() if isinstance(n, bytes) else n) for n in names)
    return _color(images, color_mode, where), labels.astype(np.int64), names


def _tfds(name: str, color_mode: str):
    from pse_tf.data.tfds_images import load_tfds_images

    data = load_tfds_images(name, ("train",))
    return (_color(data.images["train"], color_mode, f"tfds:{name}"), data.labels["train"],
            tuple(class_phrase(n) for n in data.class_names))


# ----------------------------------------------------------------------------------------------


def _resize(images: np.ndarray, size, where: str) -> np.ndarray:
    if size is None or list(images.shape[1:3]) == list(size):
        return images
    import tensorflow as tf

    x = images if images.ndim == 4 else images[..., None]
    resized = tf.image.resize(x, size, method="bilinear").numpy()
    resized = np.clip(np.rint(resized), 0, 255).astype(np.uint8)
    return resized if images.ndim == 4 else resized[..., 0]


def check_labels(labels: np.ndarray, class_names: tuple, where: str) -> None:
    """Fewer than two classes, duplicate names, labels out of range, classes with < 3 images."""
    if len(class_names) < 2:
        raise DataError(f"{where}: {len(class_names)} class(es) {list(class_names)}; need at "
                        "least 2")
    if len(set(class_names)) != len(class_names):
        raise DataError(f"{where}: duplicate class names in {list(class_names)}")
    bad = labels[(labels < 0) | (labels >= len(class_names))]
    if len(bad):
        raise DataError(f"{where}: {len(bad)} label(s) out of range [0, {len(class_names)}), "
                        f"e.g. {int(bad[0])}")
    counts = np.bincount(labels, minlength=len(class_names))
    few = [f"{class_names[c]!r} ({counts[c]})" for c in range(len(class_names)) if counts[c] < 3]
    if few:
        raise DataError(f"{where}: class(es) with fewer than 3 images (one each for train, "
                        f"validation, test): {', '.join(few)}")


def split(images, labels, class_names, name, val_fraction=0.1, test_fraction=0.1,
          split_seed=0) -> Dataset:
    """The seeded, per-class split of the module docstring, as a `Dataset`."""
    rng = np.random.default_rng(split_seed)
    parts = {"train": [], "val": [], "test": []}
    for c in range(len(class_names)):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = max(1, round(test_fraction * len(idx)))
        n_val = max(1, round(val_fraction * len(idx)))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    arrays = {}
    for part, chunks in parts.items():
        order = np.sort(np.concatenate(chunks))
        arrays[f"{part}_images"] = np.ascontiguousarray(images[order])
        arrays[f"{part}_labels"] = labels[order].astype(np.int32)
    for a in arrays.values():
        a.setflags(write=False)
    return Dataset(name=name, class_names=tuple(class_names), **arrays)


def load(spec: str, options: dict | None = None) -> Dataset:
    """The data set named by `spec` (module docstring), split, with read-only arrays; `options`
    are `DATA_OPTIONS` for your own data (ignored for the built-in sets).

    Raises:
        ValueError: unknown spec or option.
        DataError: one line naming the bad file, class or array.
    """
    kind, argument = parse_spec(spec)
    if kind == "builtin":
        return load_dataset(argument)
    opts = check_options(dict(options or {}))
    if kind == "folder":
        images, labels, names = _folder(argument, opts["image_size"], opts["color_mode"])
    elif kind == "arrays":
        images, labels, names = _arrays(argument, opts["color_mode"])
    else:
        images, labels, names = _tfds(argument, opts["color_mode"])
    images = _resize(images, opts["image_size"], spec)
    if max(images.shape[1:3]) > MAX_IMAGE_SIDE:
        raise DataError(f"{spec}: images are {images.shape[1]}x{images.shape[2]}; set data "
                        f"option image_size (each side <= {MAX_IMAGE_SIDE})")
    check_labels(labels, names, spec)
    return split(images, labels, names, spec, opts["val_fraction"], opts["test_fraction"],
                 opts["split_seed"])


@dataclasses.dataclass(frozen=True)
class DataSummary:
    """What a run records about its data (dataset.json): enough to rebuild the model without it."""

    spec: str
    class_names: tuple
    image_shape: tuple
    sizes: dict

    @classmethod
    def of(cls, data: Dataset) -> "DataSummary":
        return cls(data.name, tuple(data.class_names), tuple(data.train_images.shape[1:]),
                   {"train": len(data.train_images), "val": len(data.val_images),
                    "test": len(data.test_images)})
