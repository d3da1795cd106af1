"""Small data sets in your-own-data formats, written from the shipped Fashion-MNIST."""

from pathlib import Path

import numpy as np

from pse_tf.data import load_dataset

# Three Fashion-MNIST classes; the folder names exercise `_` -> space.
CLASSES = {1: "trouser", 5: "sandal", 9: "ankle_boot"}
TINTS = {1: (1.0, 0.3, 0.2), 5: (0.2, 0.8, 1.0), 9: (0.9, 0.9, 0.2)}


def fashion_subset(per_class: int = 40):
    """uint8 [3 * per_class, 28, 28] images and labels 0..2 of `CLASSES` (training split)."""
    data = load_dataset("fashion_mnist")
    images, labels = [], []
    for new, old in enumerate(CLASSES):
        idx = np.flatnonzero(data.train_labels == old)[:per_class]
        images.append(data.train_images[idx])
        labels.append(np.full(len(idx), new))
    return np.concatenate(images), np.concatenate(labels)


def colour(images, labels) -> np.ndarray:
    """Each class tinted with its own colour: uint8 [N, H, W, 3]."""
    tints = np.array([TINTS[c] for c in CLASSES], np.float32)[labels]
    return np.rint(images[..., None] * tints[:, None, None, :]).astype(np.uint8)


def write_folder(root: Path, per_class: int = 40, size: int = 32, rgb: bool = True) -> Path:
    """root/<class>/<i>.png, `size` x `size`, colour-tinted (rgb) or grey."""
    import keras

    images, labels = fashion_subset(per_class)
    pixels = colour(images, labels) if rgb else images[..., None]
    root.mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(pixels, labels)):
        folder = root / list(CLASSES.values())[label]
        folder.mkdir(exist_ok=True)
        img = keras.utils.array_to_img(image, scale=False).resize((size, size))
        img.save(folder / f"{i:04d}.png")
    return root


def write_arrays(path: Path, per_class: int = 40, **overrides) -> Path:
    """An .npz with images (grey 28 x 28), labels and class_names; `overrides` replace arrays."""
    images, labels = fashion_subset(per_class)
    arrays = {"images": images, "labels": labels,
              "class_names": np.array([n.replace("_", " ") for n in CLASSES.values()])}
    arrays.update(overrides)
    np.savez(path, **arrays)
    return path
