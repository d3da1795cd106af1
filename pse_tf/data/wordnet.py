"""WordNet 3.0 (Princeton), verified by SHA-256, in the layout nltk's WordNet reader reads.

The files come from Debian's `wordnet-base` and `wordnet-sense-index` packages (offline,
nothing installed), else from nltk's downloader (online). `lexnames`, which Debian does not
ship, is written from the 45 rows lexnames(5WN) documents and verified like the others.

The hashes are Debian 1:3.0-37's. Debian patches one adjective entry, so another source's copy
may differ: it is then refused, naming the file and both hashes; once checked, add its hash to
`SHA256[file]`.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Sequence

from pse_tf.data.datasets import _log, cache_dir, stage_missing
from pse_tf.data.idx import DataError
from pse_tf.data.sources import DebPackage, Source, _run, verified

NAME = "wordnet"
_POS = ("noun", "verb", "adj", "adv")
DATABASE_FILES = (*(f"{kind}.{pos}" for kind in ("data", "index") for pos in _POS),
                  *(f"{pos}.exc" for pos in _POS), "cntlist.rev")
SENSE_INDEX = "index.sense"
LEXNAMES = "lexnames"
FILES = (*DATABASE_FILES, SENSE_INDEX, LEXNAMES)
# A token that can be a WordNet lemma (lower case, "_" for a space); the rest (numbers,
# punctuation, other scripts) has no senses and is skipped without asking the reader.
WORDLIKE = re.compile(r"[a-z][a-z'._\-]*")

# lexnames(5WN): file number, lexicographer file name; the category follows from the name.
LEXICOGRAPHER_FILES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)
SYNTACTIC_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

# Accepted SHA-256 of each file (Debian wordnet-base / wordnet-sense-index 1:3.0-37).
SHA256 = {
    "data.noun": ("fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2",),
    "data.verb": ("adcf43e35b581e8036d8b5a52d63d9cd3d3b4870b2720d3c03c799df44777bc2",),
    "data.adj": ("c89120dfc1f046ddff4a631bf9b7e9fa1a36b5e86565a23bf82dbe14f30b88a7",),
    "data.adv": ("444a63bf3955080ab7524f5079cfc07ff9bc682cb98bdb1db73b0fb9829f1139",),
    "index.noun": ("a490d99d93d017bf4822fe2f0ffa51fd73911ce271dc7535fade21f8814b5a04",),
    "index.verb": ("e2ac24816c3a8289dcb72aaa9cf8db81fdf25ec34d792bfc96ac5b7a20c8b4ae",),
    "index.adj": ("c9865d7b4d1f805bdef82ccdcea5282436e23083e6f6f1b33e716327c4eda810",),
    "index.adv": ("6f5465ed5758fe9c8a2f7ec17b1300f3aa875756c70ff7cba162f7e71bcf88ea",),
    "noun.exc": ("2b5d675c380b39ecf595af9fa9d4e7feb1d58c643b0bff08c40ed5bfe41fab7a",),
    "verb.exc": ("dbbcf9a601b2d77e934e413b91d90e88ec7f933a8b77cfc00602a923b891b42c",),
    "adj.exc": ("8824cc24bbedd797b9702316b27f07cd4c2b76b629539f0a1276f03926758016",),
    "adv.exc": ("e7291461b629abfe63301bbe1998cee09fd575ed7107abd7ea9763adb05bf0a8",),
    "cntlist.rev": ("a198580b8f705fa02797bba8b13e5cbe4a9f9f40cb1697e774c7fc6a5865b035",),
    "index.sense": ("ce997000ec806318ff1dfadf77d314ac527358e127d7bbe3d1f4e83a1c5c1c2b",),
    "lexnames": ("c871b6797d2109f563f7a162b64e8ebf18f6f42d00918572846034c7f393a214",),
}
_DEBIAN_DIR = "usr/share/wordnet"
_DOWNLOAD_SOCKET_TIMEOUT_S = 60


def lexnames_text() -> str:
    """The `lexnames` file: one `NN<TAB>name<TAB>category` line per lexicographer file."""
    return "".join(f"{number:02d}\t{name}\t{SYNTACTIC_CATEGORY[name.split('.')[0]]}\n"
                   for number, name in enumerate(LEXICOGRAPHER_FILES))


class Lexnames(Source):
    """Writes `lexnames` from lexnames(5WN)'s table; provides no other file."""

    def __str__(self) -> str:
        return "lexnames(5WN) table"

    def provide(self, files: Sequence[str], dest: Path) -> None:
        if LEXNAMES in files:
            (dest / LEXNAMES).write_text(lexnames_text(), encoding="ascii")


class NltkDownloader(Source):
    """nltk's own copy (`nltk.download("wordnet")`, online), read by name from its zip.

    Runs in a child process with a socket timeout, so a machine without network fails in
    seconds instead of hanging.
    """

    def __str__(self) -> str:
        return "nltk downloader (nltk.download('wordnet'), online)"

    def provide(self, files: Sequence[str], dest: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=".nltk-", dir=dest) as tmp:
            script = ("import socket, nltk; socket.setdefaulttimeout("
                      f"{_DOWNLOAD_SOCKET_TIMEOUT_S}); "
                      "nltk.download('wordnet', download_dir=r'%s', quiet=True, "
                      "raise_on_error=True)" % tmp)
            _run([sys.executable, "-c", script], cwd=Path(tmp))
            archive = Path(tmp) / "corpora" / "wordnet.zip"
            missing = []
            try:
                with zipfile.ZipFile(archive) as zf:
                    for name in files:
                        try:
                            (dest / name).write_bytes(zf.read(f"wordnet/{name}"))
                        except KeyError:
                            missing.append(name)
            except (OSError, zipfile.BadZipFile) as e:
                raise DataError(f"{archive}: unreadable zip: {e}") from None
            if missing:
                raise DataError(f"{archive} has no wordnet/{{{', '.join(missing)}}}")


def default_sources() -> tuple[Source, ...]:
    """The sources tried after the cache, in order."""
    return (
        Lexnames(),
        DebPackage("wordnet-base", _DEBIAN_DIR, suffix=""),
        DebPackage("wordnet-sense-index", _DEBIAN_DIR, suffix=""),
        NltkDownloader(),
    )


def verify(file: str, data: bytes) -> None:
    """Raises DataError unless `data` is an accepted copy of WordNet file `file`."""
    digest = hashlib.sha256(data).hexdigest()
    if digest not in SHA256[file]:
        raise DataError(f"{NAME}/{file}: sha256 {digest}, expected {' or '.join(SHA256[file])} "
                        f"({len(data)} bytes; corrupt or not the WordNet 3.0 file)")


def fetch(data_dir: str | os.PathLike | None = None, verbose: bool = True, *,
          sources: Sequence[Source] | None = None) -> Path:
    """Ensures the WordNet 3.0 files are cached and verified, as `datasets.fetch` does for
    its files (a source may provide only some); returns `<cache root>/wordnet`, the folder to
    give nltk's `WordNetCorpusReader`.

    Args:
        data_dir: cache root; default `$PSE_DATA_DIR`, else `~/.cache/pse_tf/data`.
        verbose: bool. One line per source tried and per file verified (to stderr).
        sources: sources to try after the cache instead of `default_sources()` (for tests).

    Raises:
        DataError: some file has no verified copy from any source; one line naming each
            source's failure.
    """
    target = cache_dir(data_dir) / NAME
    failures = []
    for file in FILES:
        path = target / file
        if path.is_file() and not verified(path, verify):
            _log(verbose, f"{NAME}/{file}: fails its sha256; removing {path}")
            failures.append(f"cache {path}: bad sha256 (removed)")
            path.unlink(missing_ok=True)
    missing = stage_missing(default_sources() if sources is None else sources, target, FILES,
                            verify, NAME, verbose, failures)
    if missing:
        raise DataError(
            f"could not get verified WordNet 3.0 file(s) {missing} from any source "
            f"(run `python -m pse_tf.data fetch wordnet` where apt-get or the network works): "
            + " | ".join(failures)
        )
    return target


def folder(data_dir: str | os.PathLike | None = None) -> Path:
    """The verified WordNet folder, fetched quietly first if any file is missing or bad."""
    target = cache_dir(data_dir) / NAME
    if all(verified(target / f, verify) for f in FILES):
        return target
    return fetch(data_dir, verbose=False)
