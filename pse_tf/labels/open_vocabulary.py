"""Open vocabulary: encoding words that are not training labels (paper §5, Fig. 6).

A PSE label encoder is one dense layer, q(z|l) = N(W l + b, softplus(V l + c)). Trained on C
class vectors in an L-dimensional word space (C = 10, L = 50 here), gradient descent only ever
moves W inside the span of those C vectors: the other L - C directions of W keep their random
initialisation. A new word's vector has most of its length outside that span, so its q(z|word)
is mostly set by untrained weights. Second, in GloVe 50-d some class vectors are hubs (nearest to
many words: "shirt" on Fashion-MNIST), so even the word vectors' own nearest class is often wrong.

The fixes here are pure functions of vectors, applied when a new phrase is encoded; the class
names keep their stored rows, so the trained model and the paper's three metrics are unchanged:

- `singular_tokens`: plural -> singular when the singular is a word of a class name
  ("sandals" -> "sandal"); restricted to class-name words so "jeans" does not become "jean".
- `project_onto_span`: the vector's orthogonal projection onto the affine span of the class
  vectors, i.e. the input a minimum-norm label encoder sees (`W P = W_min-norm`).
- `class_scores` with `similarity="csls"`: cross-domain similarity local scaling (Conneau et al.,
  2018, "Word translation without parallel data"): 2 cos(w, c) - r(c), r(c) the mean cosine of
  class c to its k nearest vocabulary words, which penalises hubs.
- `soft_assign`: sum_c softmax(score / temperature)_c l_c, a word expressed as a mixture of class
  vectors by its (hub-corrected) similarities: the model then sees only inputs it was trained on.

`OpenVocabulary` chains them; `DEFAULT` is the measured default: the text normalisation, then
the knowledge table's class for a one-word phrase (`pse_tf.labels.knowledge`; measured on the
frozen benchmark `pse_tf.labels.benchmark`, docs/open-vocabulary.md).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
from collections.abc import Sequence

import numpy as np

from pse_tf.labels.geometry import (CSLS_K, SIMILARITIES, class_scores, hub_penalty,
                                    project_onto_span, soft_assign)
from pse_tf.labels.vectors import phrase_tokens

MAPPINGS = ("raw", "project", "soft_assign", "lexicon", "knowledge")
PLURALS = ("off", "labels")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen", "twenty")
# Vocabulary words (most frequent first) among which CSLS finds a class's neighbours.
CSLS_VOCABULARY = 50000


HALVES = ("development", "held_out")


def unseen_words(dataset: str, half: str | None = None) -> list[dict]:
    """The committed list of words outside `dataset`'s training labels (unseen_words.json).

    Args:
        half: None (every word), "development" (where options are chosen) or "held_out" (only
            reported); the split rule is in the file's `_about`.

    Returns:
        list of {"word": str, "class": str (a class name), "why": str, "half": str}.
    """
    if half is not None and half not in HALVES:
        raise ValueError(f"half must be one of {HALVES} or None, got {half!r}")
    text = (importlib.resources.files("pse_tf.labels") / "unseen_words.json").read_text()
    table = json.loads(text)
    if dataset not in table:
        raise ValueError(f"no unseen words for data set {dataset!r}; have "
                         f"{sorted(k for k in table if not k.startswith('_'))}")
    return [w for w in table[dataset] if half is None or w["half"] == half]


# -- text normalisation ---------------------------------------------------------------------------
def singular(word: str, targets: set[str]) -> str:
    """`word` in its singular form if that form is in `targets`, else `word` unchanged.

    English rules, most specific first: -ies -> -y, -(s|x|ch|sh)es -> drop -es, -s -> drop -s.
    """
    lower = word.lower()
    candidates = []
    if lower.endswith("ies"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("es"):
        candidates.append(lower[:-2])
    if lower.endswith("s") and not lower.endswith("ss"):
        candidates.append(lower[:-1])
    for candidate in candidates:
        if candidate in targets:
            return candidate
    return word


def singular_tokens(phrase: str, targets: set[str]) -> str:
    """`phrase` with each whitespace token made singular by `singular` ("t-shirts" -> "t-shirt"
    when "t-shirt" is a target)."""
    return " ".join(singular(token, targets) for token in phrase.split())


# Written the plain way only ("7", not "07" or other scripts' digits), so the map is finite and
# the SavedModel can hold it as a table (`OpenVocabulary.replacements`).
NUMERALS = {str(i): word for i, word in enumerate(NUMBER_WORDS)}


def spell_numerals(phrase: str) -> str:
    """`phrase` with each token that is a whole number 0..20 spelt out ("7" -> "seven")."""
    return " ".join(NUMERALS.get(t, t) for t in phrase.split())


def plural_forms(target: str) -> set[str]:
    """Every word that `singular` can turn into `target`: target+s, target+es, and
    target[:-1]+ies for a target ending in y."""
    forms = {target + "es"}
    if not target.endswith("s"):  # `singular` leaves -ss alone
        forms.add(target + "s")
    if target.endswith("y"):
        forms.add(target[:-1] + "ies")
    return forms


# -- the chain ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class OpenVocabulary:
    """How a phrase that is not a class name becomes a label vector.

    Args:
        plurals: str. "off" or "labels" (`singular_tokens` towards class-name words).
        numerals: bool. Spell out numbers 0..20 first (`spell_numerals`).
        mapping: str. "raw" (the phrase vector, the paper), "project" (`project_onto_span`),
            "soft_assign" (`soft_assign` of the `similarity` scores), "lexicon" (a one-word
            phrase that names a class by Wu-Palmer similarity in WordNet gets that class's row:
            `lexical_rows`; the previous default) or "knowledge" (a one-word phrase that the
            knowledge table, `pse_tf.labels.knowledge`, maps to a class gets that class's row:
            `knowledge_rows`).
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
    def name(self) -> str:
        parts = [self.mapping]
        if self.mapping == "soft_assign":
            parts.append(f"{self.similarity}-t{self.temperature:g}")
        if self.plurals != "off":
            parts.append(f"plurals-{self.plurals}")
        if self.numerals:
            parts.append("numerals")
        return "+".join(parts)

    @property
    def normalises_text(self) -> bool:
        return self.numerals or self.plurals != "off"

    def replacements(self, class_names: Sequence[str]) -> dict[str, str]:
        """The text normalisation as a finite map: lowercased token -> the token it becomes.

        Every token the normalisation changes is a key (numerals 0..20, and `plural_forms` of the
        class-name words), so `normalise` is this map applied token by token; the SavedModel
        holds the same map as a lookup table (pse_tf.export.text). One rule, two places to run it.
        """
        if not self.normalises_text:
            return {}
        keys = set(NUMERALS) if self.numerals else set()
        if self.plurals != "off":
            targets = set(class_names) | {t for n in class_names for t in n.split()}
            # a whole multi-word class name is a target, but never one whitespace token
            keys |= {form for t in targets if len(t.split()) == 1
                     for form in plural_forms(t.lower())}
        out = {}
        for key in sorted(keys):
            value = NUMERALS.get(key, key) if self.numerals else key
            if self.plurals != "off":
                value = singular(value, targets)
            if value != key:
                out[key] = value
        return out

    def normalise(self, phrase: str, class_names: Sequence[str]) -> str:
        """The phrase after text normalisation (`numerals`, then `plurals`): `replacements`
        applied to each whitespace token (its lowercase form is looked up), tokens joined by
        one space."""
        if not self.normalises_text:
            return phrase
        table = _replacements(self, tuple(class_names))
        return " ".join(table.get(t.lower(), t) for t in phrase.split())

    def encode(self, encoding, phrases: Sequence[str]) -> np.ndarray:
        """Label vectors [N, L] for `phrases` under a word-vector `LabelEncoding`.

        A phrase that is (or normalises to) a class name gets that class's stored row.
        """
        if encoding.encoding != "word2vec":
            raise ValueError("open vocabulary needs a word-vector label encoding, "
                             f"got {encoding.encoding!r}")
        names = encoding.class_names
        normalised = [self.normalise(p, names) for p in phrases]
        vectors = encoding.encode(normalised)
        is_class = np.array([p in names for p in normalised])
        new = ~is_class
        if not new.any() or self.mapping == "raw":
            return vectors
        if self.mapping == "knowledge":
            index = np.flatnonzero(new)
            vectors[index] = knowledge_rows(encoding.word_vectors(), names, encoding.vectors,
                                            [normalised[i] for i in index], vectors[index])
            return vectors
        if self.mapping == "lexicon":
            index = np.flatnonzero(new)
            vectors[index] = lexical_rows(encoding.word_vectors(), names, encoding.vectors,
                                          [normalised[i] for i in index], vectors[index])
            return vectors
        if self.mapping == "project":
            vectors[new] = project_onto_span(vectors[new], encoding.vectors)
            return vectors
        penalty = (csls_penalty(encoding) if self.similarity == "csls" else None)
        scores = class_scores(vectors[new], encoding.vectors, self.similarity, penalty)
        vectors[new] = soft_assign(scores, encoding.vectors, self.temperature)
        return vectors


# The measured default (docs/open-vocabulary.md): text normalisation, then a one-word phrase that
# the knowledge table maps to a class (a synonym or hyponym in WordNet, an ordinal by inflect)
# gets its row. The trained model and the paper's metrics are unchanged: the class rows are the
# same.
DEFAULT = OpenVocabulary(plurals="labels", numerals=True, mapping="knowledge")


@functools.lru_cache(maxsize=32)
def _replacements(vocabulary: OpenVocabulary, class_names: tuple) -> dict[str, str]:
    return vocabulary.replacements(class_names)


def encode_default(encoding, phrases: Sequence[str]) -> np.ndarray:
    """Label vectors [N, L] of a user's phrases: `DEFAULT`'s normalisation, then the encoding
    (word vectors: `DEFAULT.encode`; one-hot: the class rows of the normalised phrases)."""
    if encoding.encoding != "word2vec":
        return encoding.encode([DEFAULT.normalise(p, encoding.class_names) for p in phrases])
    return DEFAULT.encode(encoding, phrases)


def lexical_rows(kv, class_names: Sequence[str], class_vectors: np.ndarray,
                 phrases: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """`vectors` [N, L] of `phrases`, where a phrase of one word of `kv` that names a class in
    WordNet (`pse_tf.labels.lexical_classes`) gets that class's row of `class_vectors` instead."""
    from pse_tf.labels.lexical_classes import lexical_classes
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


def knowledge_rows(kv, class_names: Sequence[str], class_vectors: np.ndarray,
                   phrases: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """`vectors` [N, L] of `phrases`, where a phrase of one word of `kv` that the knowledge table
    (`pse_tf.labels.knowledge.knowledge_table`) maps to a class gets that class's row of
    `class_vectors` instead."""
    from pse_tf.labels.knowledge import knowledge_table

    out = np.array(vectors, np.float32, copy=True)
    keys = [phrase_tokens(kv, p) for p in phrases]
    single = [i for i, k in enumerate(keys) if len(k) == 1]
    if single:
        table = knowledge_table(kv, class_names)
        for i in single:
            c = table[kv.key_to_index[keys[i][0]]]
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


def tokens_known(kv, phrase: str) -> bool:
    """Whether every word of `phrase` is in the word vectors' vocabulary."""
    try:
        phrase_tokens(kv, phrase)
    except ValueError:
        return False
    return True
