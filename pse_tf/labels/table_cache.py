"""One disk cache for every table derived from WordNet or FreeDict (the knowledge table, the
retrofitted word vectors): a `.npy` beside WordNet, named by a hash of everything it depends on.

A torn or stale file (another shape) is computed again and replaced; writes are atomic, and a
read-only cache folder costs only the recomputation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from pse_tf.atomic import write_with


def wordnet_root(reader) -> Path | None:
    """The folder an nltk WordNet reader reads, or None (a reader with no folder: no disk cache)."""
    root = Path(str(getattr(getattr(reader, "root", None), "path", "")))
    return root if root.name and root.is_dir() else None


def table_path(root: Path | None, kind: str, parts: Iterable[str | bytes],
               wordnet_files: bool = True) -> Path | None:
    """`root/<kind>-<hash>.npy`, the hash over `parts` (and the WordNet files' bytes), or None
    when `root` is None."""
    if root is None:
        return None
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    if wordnet_files:
        from pse_tf.data import wordnet

        for name in wordnet.FILES:
            h.update(hashlib.sha256((root / name).read_bytes()).digest())
    return root / f"{kind}-{h.hexdigest()[:20]}.npy"


def cached_table(path: Path | None, shape: tuple, compute: Callable[[], np.ndarray],
                 stored_dtype=None) -> np.ndarray:
    """The array at `path` (None: no disk cache) when it loads with `shape`, else `compute()`,
    then written there as `stored_dtype` (None: the array's)."""
    if path is not None and path.is_file():
        try:
            table = np.load(path)
            if table.shape == tuple(shape):
                return table
        except (OSError, ValueError, EOFError):
            pass  # torn: computed again and replaced below
    table = compute()
    if path is not None:
        stored = table if stored_dtype is None else table.astype(stored_dtype)
        try:
            write_with(path, lambda f: np.save(f, stored))
        except OSError:
            pass  # a read-only cache: the table is still returned
    return table
