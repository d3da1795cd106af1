"""MNIST and Fashion-MNIST from registry packages (offline) or tensorflow-datasets (online),
verified by SHA-256; tfds image-classification sets as numpy arrays.

The names below are loaded on first use (PEP 562), so that importing a pure submodule
(`pse_tf.data.catalog` for spec parsing, as `pse_tf.config` does) does not load TensorFlow.
"""

import importlib

_WHERE = {
    "CLASS_NAMES": "datasets", "DATASETS": "datasets", "Dataset": "datasets",
    "cache_dir": "datasets", "fetch": "datasets", "load_dataset": "datasets", "verify": "datasets",
    "DataError": "idx", "IdxError": "idx", "parse_idx": "idx",
    "bernoulli_draw": "images", "binarize": "images", "flat_float": "images",
    "TfdsImages": "tfds_images", "load_tfds_images": "tfds_images",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_WHERE})
