"""Image-classification data sets from tensorflow-datasets (tfds), as numpy arrays.

tfds does not keep a source's file order. When it prepares a data set it sorts the examples by
the MD5 of `split name + str(key)`, where `key` is the id the builder yields with each example
(tfds `core/hashing.py` and `core/shuffle.py`; its MNIST builders key each example by its index in
the official file). `load_tfds_images` returns that stored order, read back exactly (one file at a
time, no shuffling); `restore_generation_order` undoes the sort when the keys are known.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import socket
import urllib.parse
import urllib.request
from typing import Iterable, Iterator, Sequence

import numpy as np

from pse_tf.data.idx import DataError

_PROBE_TIMEOUT_S = 10


@dataclasses.dataclass(frozen=True, eq=False)
class TfdsImages:
    """One tfds image-classification data set, split by split, in tfds's stored order.

    Attributes:
        name: str. The tfds name, e.g. `mnist`.
        class_names: tuple[str]. Name of class i at index i (the tfds `ClassLabel` names).
        images: dict[str, np.ndarray]. Split -> uint8 [N, H, W, C].
        labels: dict[str, np.ndarray]. Split -> int64 [N], in [0, len(class_names)).
    """

    name: str
    class_names: tuple
    images: dict
    labels: dict


@contextlib.contextmanager
def _one_line_errors(name: str) -> Iterator[None]:
    """Turns anything tfds raises into a one-line DataError naming the data set."""
    try:
        yield
    except DataError:
        raise
    except Exception as e:  # tfds raises many types (requests, tf.errors, AssertionError, ...).
        first = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
        raise DataError(f"tfds {name}: {type(e).__name__}: {first or repr(e)}") from None


def _check_reachable(name: str, urls: Iterable[str]) -> None:
    """Fails fast when a download host cannot be reached.

    Without this, tfds retries a dead connection for minutes (urllib3, 10 retries with backoff)
    before it gives up. Skipped behind a proxy, which resolves and connects on our behalf.
    """
    proxies = urllib.request.getproxies()
    hosts = {}
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if parts.scheme in proxies:
            return
        hosts[(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))] = None
    for host, port in hosts:
        try:
            socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S).close()
        except OSError as e:
            raise DataError(f"tfds {name}: cannot reach download host {host}:{port} ({e}); "
                            "no network?") from None


def load_tfds_images(name: str, splits: Sequence[str] = ("train", "test"), *,
                     data_dir: str | os.PathLike | None = None,
                     download: bool = True) -> TfdsImages:
    """Loads whole splits of a tfds image-classification data set as numpy arrays.

    Args:
        name: str. tfds name, optionally with config and version (`mnist`, `cifar10:3.0.2`).
        splits: Sequence[str]. tfds split names or slices, e.g. `("train", "test")`.
        data_dir: tfds data folder; default tfds's own (`$TFDS_DATA_DIR`, else
            `~/tensorflow_datasets`).
        download: bool. If the data set is not prepared in `data_dir`, let tfds download and
            prepare it; if False, that is an error.

    Returns:
        TfdsImages in tfds's stored order (see the module docstring).

    Raises:
        DataError: one line naming the data set: tfds missing or failing, not an
            image-classification set, not prepared with `download=False`, no network.
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise DataError(f"tfds {name}: tensorflow-datasets is not importable: {e}") from None
    with _one_line_errors(name):
        builder = tfds.builder(name, data_dir=data_dir)
        info = builder.info
        keys = info.supervised_keys
        if not (isinstance(keys, tuple) and len(keys) == 2
                and isinstance(info.features[keys[0]], tfds.features.Image)
                and isinstance(info.features[keys[1]], tfds.features.ClassLabel)):
            raise DataError(f"tfds {name}: not an image-classification data set (supervised "
                            f"keys {keys!r}; expected an Image feature and a ClassLabel)")
        if not builder.is_prepared():
            if not download:
                raise DataError(f"tfds {name}: not prepared in {builder.data_dir} and "
                                "download=False")
            _check_reachable(name, builder.url_infos or ())
            builder.download_and_prepare()
        # One file at a time and unshuffled, so the arrays follow the stored order exactly
        # (tfds interleaves 16 files by default).
        batches = builder.as_dataset(
            split=list(splits), batch_size=-1, as_supervised=True, shuffle_files=False,
            read_config=tfds.ReadConfig(interleave_cycle_length=1),
        )
        arrays = [tuple(np.asarray(a) for a in pair) for pair in tfds.as_numpy(batches)]
        class_names = tuple(info.features[keys[1]].names)
    for split, (images, labels) in zip(splits, arrays):
        if images.dtype != np.uint8 or images.ndim != 4:
            raise DataError(f"tfds {name}[{split}]: images are {images.dtype} "
                            f"{images.shape}; expected uint8 [N, H, W, C]")
        if labels.shape != images.shape[:1] or labels.dtype.kind not in "iu":
            raise DataError(f"tfds {name}[{split}]: labels are {labels.dtype} {labels.shape}; "
                            f"expected integers [{len(images)}]")
    return TfdsImages(
        name=name,
        class_names=class_names,
        images={s: images for s, (images, _) in zip(splits, arrays)},
        labels={s: labels.astype(np.int64) for s, (_, labels) in zip(splits, arrays)},
    )


def _key_bytes(key: int | str | bytes) -> bytes:
    if isinstance(key, bytes):
        return key
    # tfds hashes str(key) for ints, and normalises Windows path separators in strings.
    return str(key).replace("\\", "/").encode("utf-8")


def tfds_order(split: str, keys: Iterable[int | str | bytes]) -> np.ndarray:
    """The order in which tfds stores the examples a builder generated with `keys`.

    Args:
        split: str. The split name (tfds's hash salt), e.g. `train`.
        keys: the builder's example keys, in generation order.

    Returns:
        int64 [N] `order`: stored example p is generated example `order[p]`.
    """
    salted = hashlib.md5(split.encode("utf-8"))

    def hashed(key):
        h = salted.copy()
        h.update(_key_bytes(key))
        return int(h.hexdigest(), 16)

    keys = list(keys)
    return np.array(sorted(range(len(keys)), key=lambda i: hashed(keys[i])), dtype=np.int64)


def restore_generation_order(stored: np.ndarray, split: str,
                             keys: Iterable[int | str | bytes]) -> np.ndarray:
    """Reorders a split read from tfds back into the order its builder generated it.

    Args:
        stored: np.ndarray [N, ...]. One split as tfds stores it (`load_tfds_images`).
        split: str. The split's name.
        keys: the builder's N example keys, in generation order (for tfds's MNIST builders,
            `range(N)`).

    Returns:
        np.ndarray [N, ...]. A new array in generation order.
    """
    order = tfds_order(split, keys)
    if len(order) != len(stored):
        raise ValueError(f"{len(order)} keys for {len(stored)} stored examples")
    restored = np.empty_like(stored)
    restored[order] = stored
    return restored
