"""Image-classification data sets from tensorflow-datasets (tfds), as numpy arrays.

tfds sorts a prepared data set's examples by the MD5 of `split name + str(key)`, the key its
builder yields with each example (MNIST's: the index in the official file). `load_tfds_images`
returns that stored order exactly; `restore_generation_order` undoes the sort given the keys.
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
    """Whole `splits` (e.g. `("train", "test")`) of the tfds image-classification data set
    `name` (`mnist`, `cifar10:3.0.2`), as TfdsImages in tfds's stored order; `data_dir`
    defaults to tfds's own, and without `download` a data set not prepared there is an error.

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
    """The order in which tfds stores the examples of `split` (its hash salt) that a builder
    generated with `keys`: int64 [N], stored example p is generated example `order[p]`."""
    salted = hashlib.md5(split.encode("utf-8"))

    def hashed(key):
        h = salted.copy()
        h.update(_key_bytes(key))
        return int(h.hexdigest(), 16)

    keys = list(keys)
    return np.array(sorted(range(len(keys)), key=lambda i: hashed(keys[i])), dtype=np.int64)


def restore_generation_order(stored: np.ndarray, split: str,
                             keys: Iterable[int | str | bytes]) -> np.ndarray:
    """A new array [N, ...] of the split `stored` [N, ...] read from tfds, in the order its
    builder generated it with `keys` (for tfds's MNIST builders, `range(N)`)."""
    order = tfds_order(split, keys)
    if len(order) != len(stored):
        raise ValueError(f"{len(order)} keys for {len(stored)} stored examples")
    restored = np.empty_like(stored)
    restored[order] = stored
    return restored
