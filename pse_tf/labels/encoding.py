"""Label encodings: the vectors l that parameterise the PSE prior p(z | l) (paper §2.1)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from pse_tf.labels.lexicon import check_lexicon
from pse_tf.labels.vectors import DEFAULT_SOURCE, load_word_vectors, phrase_vector

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

ENCODINGS = ("onehot", "word2vec")


def _check_names(class_names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(class_names, str):
        raise TypeError("class_names must be a sequence of str, not one str")
    names = tuple(class_names)
    if not names:
        raise ValueError("class_names is empty")
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"class_names must all be str, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"class_names has duplicates: {names!r}")
    return names


def _check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown label encoding {encoding!r}; expected one of {ENCODINGS}")
    return encoding


def _check_lexicon(encoding: str, lexicon: str) -> str:
    check_lexicon(lexicon)
    if lexicon != "none" and encoding != "word2vec":
        raise ValueError(f"lexicon {lexicon!r} needs word-vector labels (word2vec), "
                         f"got encoding {encoding!r}")
    return lexicon


def _is_keyed_vectors(obj: Any) -> bool:
    from gensim.models import KeyedVectors

    return isinstance(obj, KeyedVectors)


def label_matrix(
    class_names: Sequence[str],
    encoding: str,
    word_vectors: KeyedVectors | str | os.PathLike | None = None,
    lexicon: str = "none",
) -> np.ndarray:
    """One label vector per class (in label-index order): float32 [C, C] (identity) for
    "onehot", [C, dim] for "word2vec" from `word_vectors` (KeyedVectors, path, or None for the
    default GloVe 6B 50-d), retrofitted to WordNet if `lexicon` is "wordnet".

    Raises:
        ValueError: unknown encoding, empty or duplicate class names.
        OOVError: a class name has a word missing from the word vectors.
    """
    names = _check_names(class_names)
    _check_lexicon(encoding, lexicon)
    if _check_encoding(encoding) == "onehot":
        return np.eye(len(names), dtype=np.float32)
    if _is_keyed_vectors(word_vectors):
        from pse_tf.labels.vectors import lexicon_vectors

        kv = lexicon_vectors(word_vectors, lexicon)
    else:
        kv = load_word_vectors(word_vectors, lexicon)
    return np.stack([phrase_vector(kv, name) for name in names]).astype(np.float32)


@dataclasses.dataclass(frozen=True, eq=False)
class LabelEncoding:
    """The label vectors of a dataset's classes, and how to encode new phrases the same way.

    Attributes:
        encoding: str. "onehot" or "word2vec".
        class_names: tuple of str. In label-index order.
        vectors: np.ndarray, float32, [C, L], read-only. Row i encodes class_names[i].
        word_vectors_source: str. The word-vector file path, DEFAULT_SOURCE for the default
            GloVe vectors, or "" for "onehot".
        lexicon: str. "none", or "wordnet" for word vectors retrofitted to WordNet.
    """

    encoding: str
    class_names: tuple[str, ...]
    vectors: np.ndarray
    word_vectors_source: str = ""
    lexicon: str = "none"

    def __post_init__(self):
        _check_encoding(self.encoding)
        _check_lexicon(self.encoding, self.lexicon)
        names = _check_names(self.class_names)
        vectors = np.array(self.vectors, dtype=np.float32)  # a private copy, made read-only
        if vectors.ndim != 2 or vectors.shape[0] != len(names):
            raise ValueError(
                f"vectors must have shape [{len(names)}, L] for {len(names)} classes, "
                f"got {vectors.shape}"
            )
        if self.encoding == "onehot" and vectors.shape[1] != len(names):
            raise ValueError(f"onehot vectors must be [C, C], got {vectors.shape}")
        vectors.setflags(write=False)
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "word_vectors_source", str(self.word_vectors_source or ""))

    @classmethod
    def build(
        cls,
        class_names: Sequence[str],
        encoding: str,
        word_vectors_path: str | os.PathLike | None = None,
        lexicon: str = "none",
    ) -> LabelEncoding:
        """The LabelEncoding of `class_names` by `label_matrix` (`word_vectors_path`: a file, or
        None for the default GloVe 6B 50-d)."""
        _check_encoding(encoding)
        if encoding == "onehot":
            source = ""
        elif word_vectors_path is None:
            source = DEFAULT_SOURCE
        else:
            source = os.path.abspath(os.path.expanduser(os.fspath(word_vectors_path)))
        vectors = label_matrix(class_names, encoding, word_vectors_path, lexicon)
        return cls(encoding, tuple(class_names), vectors, source, lexicon)

    @property
    def dim(self) -> int:
        """L, the length of a label vector."""
        return int(self.vectors.shape[1])

    def word_vectors(self) -> KeyedVectors:
        """Returns the (cached) word vectors this encoding was built from; "word2vec" only."""
        if self.encoding != "word2vec":
            raise ValueError(f"a {self.encoding!r} encoding has no word vectors")
        source = self.word_vectors_source
        return load_word_vectors(None if source in ("", DEFAULT_SOURCE) else source, self.lexicon)

    def encode(self, phrases: Sequence[str]) -> np.ndarray:
        """Label vectors float32 [N, L] of `phrases`. For "word2vec" any phrase of
        in-vocabulary words works, unseen ones included (how the paper generates from unseen
        descriptions), and a class name gets its stored row; for "onehot" every phrase must be
        a class name.

        Raises:
            ValueError: a phrase is not a class name ("onehot").
            OOVError: a word is missing from the word vectors ("word2vec").
        """
        if isinstance(phrases, str):
            raise TypeError("phrases must be a sequence of str, not one str; wrap it in a list")
        phrases = list(phrases)
        rows = {name: i for i, name in enumerate(self.class_names)}
        if self.encoding == "onehot":
            unknown = [p for p in phrases if p not in rows]
            if unknown:
                raise ValueError(
                    f"onehot labels can only encode the class names {self.class_names}; "
                    f"got {unknown!r} (use the word2vec encoding for new words)"
                )
        out = np.empty((len(phrases), self.dim), dtype=np.float32)
        kv = None
        for i, phrase in enumerate(phrases):
            if phrase in rows:
                out[i] = self.vectors[rows[phrase]]
                continue
            if kv is None:
                kv = self.word_vectors()
            out[i] = phrase_vector(kv, phrase)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelEncoding):
            return NotImplemented
        return (
            self.encoding == other.encoding
            and self.class_names == other.class_names
            and self.word_vectors_source == other.word_vectors_source
            and self.lexicon == other.lexicon
            and np.array_equal(self.vectors, other.vectors)
        )

    def __hash__(self) -> int:
        return hash((self.encoding, self.class_names, self.word_vectors_source, self.lexicon))
