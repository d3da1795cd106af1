"""The open-vocabulary mappings the library's rule superseded, kept for the studies that compare
with them (unseen_words.py, hubness.py, vocabulary.py, zero_shot.py) and the record; and the
first word list, pse_tf/labels/unseen_words.json, on which the earlier rules were chosen.

- `project`: the vector's orthogonal projection onto the affine span of the class vectors, i.e.
  the input a minimum-norm label encoder sees (`geometry.project_onto_span`);
- `soft_assign`: sum_c softmax(score / temperature)_c l_c, a word expressed as a mixture of class
  vectors by its `similarity` scores ("cosine", "centred" or "csls": cross-domain similarity
  local scaling, Conneau et al., 2018, which penalises hubs);
- `wordnet_wup`: a one-word phrase that names a class by Wu-Palmer similarity in WordNet gets
  that class's row (`lexical_classes`; it maps siblings, so a held-out digit collapses onto a
  seen one);
- `raw` and `knowledge`: the library's own (`pse_tf.labels.open_vocabulary`).

The text normalisation is the library's, so every mapping reads the same words.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
from collections.abc import Sequence

import numpy as np

from experiments.open_vocabulary.geometry import (CSLS_K, SIMILARITIES, class_scores,
                                                  hub_penalty, project_onto_span, soft_assign)
from pse_tf.labels.open_vocabulary import PLURALS, OpenVocabulary
from pse_tf.labels.vectors import phrase_tokens

MAPPINGS = ("raw", "project", "soft_assign", "wordnet_wup", "knowledge")
# Vocabulary words (most frequent first) among which CSLS finds a class's neighbours.
CSLS_VOCABULARY = 50000
# The halves of unseen_words.json (the benchmark's are development and test).
UNSEEN_HALVES = ("development", "held_out")


def unseen_words(dataset: str, half: str | None = None) -> list[dict]:
    """The committed list of words outside `dataset`'s training labels (unseen_words.json).

    Args:
        half: None (every word), "development" (where options were chosen) or "held_out" (only
            reported); the split rule is in the file's `_about`.

    Returns:
        list of {"word": str, "class": str (a class name), "why": str, "half": str}.
    """
    if half is not None and half not in UNSEEN_HALVES:
        raise ValueError(f"half must be one of {UNSEEN_HALVES} or None, got {half!r}")
    text = (importlib.resources.files("pse_tf.labels") / "unseen_words.json").read_text()
    table = json.loads(text)
    if dataset not in table:
        raise ValueError(f"no unseen words for data set {dataset!r}; have "
                         f"{sorted(k for k in table if not k.startswith('_'))}")
    return [w for w in table[dataset] if half is None or w["half"] == half]


@dataclasses.dataclass(frozen=True)
class Mapping:
    """One open-vocabulary option of the studies: the library's text normalisation, then
    `mapping` (module docstring).

    Args:
        plurals: str. "off" or "labels".
        numerals: bool. Spell out numbers 0..20 first.
        mapping: str. One of `MAPPINGS`.
        similarity: str. Scores for "soft_assign": "cosine", "centred" or "csls".
        temperature: float. Softmax temperature of "soft_assign"; 0 is the nearest class.
    """

    plurals: str = "off"
    numerals: bool = False
    mapping: str = "raw"
    similarity: str = "cosine"
    temperature: float = 0.0

    def __post_init__(self):
        for name, allowed in (("plurals", PLURALS), ("mapping", MAPPINGS),
                              ("similarity", SIMILARITIES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")

    @property
    def text(self) -> OpenVocabulary:
        """The library rule with this option's normalisation (and the knowledge table for
        "knowledge")."""
        return OpenVocabulary(plurals=self.plurals, numerals=self.numerals,
                              mapping="knowledge" if self.mapping == "knowledge" else "raw")

    @property
    def name(self) -> str:
        parts = [self.mapping]
        if self.mapping == "soft_assign":
            parts.append(f"{self.similarity}-t{self.temperature:g}")
        if self.plurals != "off":
            parts.append(f"plurals-{self.plurals}")
        if self.numerals:
            parts.append("numerals")
        return "+".join(parts)

    def normalise(self, phrase: str, class_names: Sequence[str]) -> str:
        return self.text.normalise(phrase, class_names)

    def encode(self, encoding, phrases: Sequence[str]) -> np.ndarray:
        """Label vectors [N, L]; a phrase that is (or normalises to) a class name keeps its
        class's stored row."""
        if self.mapping in ("raw", "knowledge"):
            return self.text.encode(encoding, phrases)
        names = encoding.class_names
        normalised = [self.normalise(p, names) for p in phrases]
        vectors = encoding.encode(normalised)
        new = ~np.array([p in names for p in normalised])
        if not new.any():
            return vectors
        if self.mapping == "wordnet_wup":
            index = np.flatnonzero(new)
            vectors[index] = wup_rows(encoding.word_vectors(), names, encoding.vectors,
                                      [normalised[i] for i in index], vectors[index])
        elif self.mapping == "project":
            vectors[new] = project_onto_span(vectors[new], encoding.vectors)
        else:
            penalty = csls_penalty(encoding) if self.similarity == "csls" else None
            scores = class_scores(vectors[new], encoding.vectors, self.similarity, penalty)
            vectors[new] = soft_assign(scores, encoding.vectors, self.temperature)
        return vectors


def wup_rows(kv, class_names: Sequence[str], class_vectors: np.ndarray,
             phrases: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """`vectors` [N, L] of `phrases`, where a phrase of one word of `kv` that names a class by
    Wu-Palmer similarity (`lexical_classes`) gets that class's row of `class_vectors`."""
    from experiments.open_vocabulary.lexical_classes import lexical_classes
    from pse_tf.labels.lexicon import wordnet

    keys = [phrase_tokens(kv, p) for p in phrases]
    single = [i for i, k in enumerate(keys) if len(k) == 1]
    out = np.array(vectors, np.float32, copy=True)
    if single:
        words = [keys[i][0] for i in single]
        named = lexical_classes(wordnet(), words, class_names,
                                kv.vectors[[kv.key_to_index[w] for w in words]], class_vectors)
        for i, c in zip(single, named):
            if c >= 0:
                out[i] = class_vectors[c]
    return out


def csls_penalty(encoding, vocabulary_size: int = CSLS_VOCABULARY, k: int = CSLS_K) -> np.ndarray:
    """`hub_penalty` of an encoding's class vectors over its word vectors' `vocabulary_size` most
    frequent words (cached per encoding)."""
    return _csls_penalty(encoding, vocabulary_size, k)


@functools.lru_cache(maxsize=8)
def _csls_penalty(encoding, vocabulary_size: int, k: int) -> np.ndarray:
    kv = encoding.word_vectors()
    return hub_penalty(encoding.vectors, kv.vectors[:vocabulary_size], k)


def nearest_class(encoding, phrases: Sequence[str], similarity: str = "cosine",
                  plurals: str = "off", numerals: bool = False) -> np.ndarray:
    """The word vectors' own guess: index of the class whose phrase vector scores highest, [N].

    The baseline that says how much of an open-vocabulary score the word vectors already give.
    """
    vocab = OpenVocabulary(plurals=plurals, numerals=numerals)
    normalised = [vocab.normalise(p, encoding.class_names) for p in phrases]
    vectors = encoding.encode(normalised)
    penalty = csls_penalty(encoding) if similarity == "csls" else None
    return np.argmax(class_scores(vectors, encoding.vectors, similarity, penalty), axis=1)
