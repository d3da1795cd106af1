"""FreeDict bilingual dictionaries, verified by SHA-256, read for the knowledge table
(`pse_tf.labels.knowledge`): Spanish, German, French and Italian into English
(`Rule.dictionaries`), and English into German, whose entries list English synonyms
(`Rule.thesaurus`: "hoodie": "hooded sweatshirt", "hoody").

The dictd files come from Debian's `dict-freedict-*` packages 2022.04.21-1 (offline, nothing
installed), else the same .deb files from deb.debian.org, unpacked in Python. FreeDict is
GPL-2.0-or-later; the files are read, never shipped.

    python -m pse_tf.data fetch freedict
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import lzma
import os
import re
import socket
import tarfile
import urllib.request
from pathlib import Path
from typing import Sequence

from pse_tf.data.datasets import cache_dir, stage_missing
from pse_tf.data.idx import DataError
from pse_tf.data.sources import DebPackage, Source, verified

NAME = "freedict"
LANGUAGES = ("spa", "deu", "fra", "ita")
THESAURUS = "eng-deu"  # English headwords; each entry's "Synonyms:" line is English
PAIRS = (*(f"{language}-eng" for language in LANGUAGES), THESAURUS)
VERSION = "2022.04.21-1"
_DEBIAN_DIR = "usr/share/dictd"
_POOL = "https://deb.debian.org/debian/pool/main/f/freedict"
_TIMEOUT_S = 60
SHA256 = {
    "freedict-eng-deu.dict.dz": "f56d2bfa57ccfe9cfad28106d8f1eaf66e2fee1f20b6ae170e7b984f913d4770",
    "freedict-eng-deu.index": "2f8e1b99ce2e2677d96638c75d80d11e9d66cf03c677674ac6b78f07af13b170",
    "freedict-deu-eng.dict.dz": "7eff8dad06ac1227e5e251f5439cabb095cd16d05c1e2af5f330e98dec433616",
    "freedict-deu-eng.index": "0e8ccd3bc0f8848cb67ee01b97968092c1037ee92dee7f8d1e878de49e75cbbd",
    "freedict-fra-eng.dict.dz": "03fdb4912187359faf0f0801b15510937a4d5f2ea9000dbd4968d921947a1175",
    "freedict-fra-eng.index": "1e592f4caa40294377e8ee4bf5e4dc18c730fe79addf4f039eec2eec265540c5",
    "freedict-ita-eng.dict.dz": "0559ddaaad1aa02a302f5446985a9d8e2b561b6fcb98096c7398970669a4b9f7",
    "freedict-ita-eng.index": "05302b630d1b7ec726e9e7cb51cfacd8a788ba2ba89e4cd982c36d8eb37ad724",
    "freedict-spa-eng.dict.dz": "c62e089dc5797e337457cdc22abd0d510df18901a32e84b0d173da6bc6ef66da",
    "freedict-spa-eng.index": "e874c04f3912812b7e128c9fdd6b10b96ffe6624b09bc4353f9cfa761208c90d",
}


def files(pair: str) -> tuple[str, str]:
    """The dictd files of a dictionary ("deu-eng": German into English)."""
    return f"freedict-{pair}.dict.dz", f"freedict-{pair}.index"


def verify(file: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[file]:
        raise DataError(f"{NAME}/{file}: sha256 {digest}, expected {SHA256[file]} "
                        f"({len(data)} bytes; corrupt or not Debian's {VERSION} file)")


class DebianPool(Source):
    """The package's .deb from deb.debian.org (online), unpacked in Python (ar + tar.xz)."""

    def __init__(self, package: str):
        self.package = package

    def __str__(self) -> str:
        return f"{_POOL}/{self.package}_{VERSION}_all.deb (online)"

    def provide(self, names: Sequence[str], dest: Path) -> None:
        url = f"{_POOL}/{self.package}_{VERSION}_all.deb"
        try:
            with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
                deb = response.read()
        except (OSError, socket.timeout) as error:
            raise DataError(f"{url}: {error}") from None
        if not deb.startswith(b"!<arch>\n"):
            raise DataError(f"{url}: not a Debian package (no ar header)")
        offset, members = 8, {}
        while offset + 60 <= len(deb):
            header = deb[offset:offset + 60]
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            members[name] = deb[offset + 60:offset + 60 + size]
            offset += 60 + size + (size % 2)
        data = next((v for k, v in members.items() if k.startswith("data.tar")), None)
        if data is None:
            raise DataError(f"{url}: no data.tar member")
        raw = lzma.decompress(data) if members.keys() & {"data.tar.xz"} else data
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            for name in names:
                try:
                    member = tar.extractfile(f"./{_DEBIAN_DIR}/{name}")
                except KeyError:
                    member = None
                if member is None:
                    raise DataError(f"{url} has no {_DEBIAN_DIR}/{name}")
                (dest / name).write_bytes(member.read())


def fetch(data_dir: str | os.PathLike | None = None, verbose: bool = True,
          pairs: Sequence[str] = PAIRS) -> Path:
    """Ensures the dictionaries are cached and verified; returns their folder.

    Raises:
        DataError: a file has no verified copy from any source; one line naming each failure.
    """
    target = cache_dir(data_dir) / NAME
    failures = []
    for pair in pairs:
        wanted = list(files(pair))
        for file in wanted:
            path = target / file
            if path.is_file() and not verified(path, verify):
                path.unlink(missing_ok=True)
        package = f"dict-freedict-{pair}"
        missing = stage_missing((DebPackage(package, _DEBIAN_DIR, suffix=""), DebianPool(package)),
                                target, wanted, verify, NAME, verbose, failures)
        if missing:
            raise DataError(f"could not get verified FreeDict file(s) {missing} from any source "
                            f"(run `python -m pse_tf.data fetch freedict` where apt-get or the "
                            f"network works): " + " | ".join(failures))
    return target


def folder(data_dir: str | os.PathLike | None = None) -> Path:
    """The verified FreeDict folder, fetched quietly first if a file is missing or bad; checked
    once per process and cache root."""
    return _verified(str(cache_dir(data_dir)))


@functools.lru_cache(maxsize=4)
def _verified(root: str) -> Path:
    target = Path(root) / NAME
    if all(verified(target / f, verify) for pair in PAIRS for f in files(pair)):
        return target
    return fetch(root, verbose=False)


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOTE = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")


def _number(text: str) -> int:
    n = 0
    for ch in text:
        n = n * 64 + _B64.index(ch)
    return n


@functools.lru_cache(maxsize=8)
def _dictionary(root: str, pair: str) -> tuple[dict, bytes]:
    dict_file, index_file = files(pair)
    data = gzip.decompress((Path(root) / dict_file).read_bytes())
    index: dict[str, list] = {}
    for line in (Path(root) / index_file).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not parts[0].startswith("00-database"):
            index.setdefault(parts[0].lower(), []).append((_number(parts[1]),
                                                           _number(parts[2])))
    return index, data


def _entries(root: str, pair: str, word: str):
    """Each entry of `word` (a headword, any case) in a dictionary: its lines after the
    headword line."""
    index, data = _dictionary(root, pair)
    for offset, length in index.get(word.lower(), ()):
        yield data[offset:offset + length].decode("utf-8", "replace").split("\n")[1:]


def translations(word: str, data_dir: str | os.PathLike | None = None,
                 languages: Sequence[str] = LANGUAGES) -> list[str]:
    """The English translations of `word` (a headword, any case) in the dictionaries, in order:
    each entry's translation lines, split at commas and semicolons, notes (<...>, [...], (...))
    removed; usage examples, synonyms and cross-references are not read."""
    root = str(folder(data_dir))
    out = []
    for language in languages:
        for lines in _entries(root, f"{language}-eng", word):
            for line in lines:
                if not line.strip() or line[:1].isspace():
                    continue  # examples, "Synonym:" and "see:" lines are indented
                line = re.sub(r"^\d+\.\s*", "", line.strip())
                for part in re.split(r"[,;]", _NOTE.sub(" ", line)):
                    part = " ".join(part.split()).lower()
                    if part:
                        out.append(part)
    return list(dict.fromkeys(out))


_BRACED = re.compile(r"\{([^}]*)\}")


def synonyms(word: str, data_dir: str | os.PathLike | None = None) -> list[list[str]]:
    """The English synonyms that the English-German dictionary lists for `word` (a headword,
    any case), one list per entry (an entry is one sense: "hoodie" the sweatshirt, "hoodie" the
    crow), lower case."""
    out = []
    for lines in _entries(str(folder(data_dir)), THESAURUS, word):
        found = []
        for line in lines:
            if line.strip().startswith("Synonym"):  # "Synonym: {...}" or "Synonyms: {...}, {...}"
                found += [" ".join(s.split()).lower() for s in _BRACED.findall(line)]
        out.append(list(dict.fromkeys(s for s in found if s)))
    return out


def available(data_dir: str | os.PathLike | None = None) -> bool:
    try:
        folder(data_dir)
    except DataError:
        return False
    return True


__all__ = ["LANGUAGES", "NAME", "PAIRS", "THESAURUS", "fetch", "folder", "translations",
           "synonyms", "available"]
