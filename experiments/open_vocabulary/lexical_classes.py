"""WordNet's class for a word by Wu-Palmer similarity: a superseded default rule, kept for
the studies that compare with it (`mappings.Mapping(mapping="wordnet_wup")`) and the record. It maps siblings (every digit is a sibling of
every other under digit.n.01), so a held-out class collapses onto a seen one; the default is now
the knowledge table (`pse_tf.labels.knowledge`, docs/open-vocabulary.md).

A rule over the whole vocabulary, never a list of chosen words. For a word w and a class name c:

    score(w, c) = max over the noun senses s of w of WuP(s, t_c)  +  TIE_WEIGHT * cos(v_w, v_c)

- WuP is the Wu-Palmer similarity, 2 d(lcs) / (2 d(lcs) + dist(s, lcs) + dist(t, lcs)), d the
  max depth + 1 of the common hypernym lcs of largest min depth (nltk's `wup_similarity` on
  nouns, which a test checks), over nltk's WordNet 3.0 senses of w (`synsets(w, "n")`, which
  include base forms: "jeans" -> jean.n.01).
- t_c is the first (most frequent) noun sense of the whole class name ("t-shirt" -> jersey.n.03),
  else of its last word ("ankle boot" -> boot.n.01, footwear). Every sense of a class name would
  let "car" name "ankle boot" (boot.n.02, a car's luggage compartment).
- The word vectors only break ties between classes WordNet scores alike.

A word names its best class when its best WuP is at least `THRESHOLD`; other words, and the words
of the class names themselves, name none. Both constants were chosen on the development half of
the unseen-word list (docs/open-vocabulary.md). `Mapping(mapping="wordnet_wup")` encodes a
one-word phrase that names a class by that class's stored label vector.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from pse_tf.data.wordnet import WORDLIKE
from pse_tf.labels.table_cache import cached_table, table_path, wordnet_root

THRESHOLD = 0.8
TIE_WEIGHT = 0.1
# Bump when the score changes: cached tables of the old rule are then unused.
RULE_VERSION = "wup-first-class-sense-v1"
DISK_CACHE_WORDS = 10_000


def _ancestors(synset) -> dict:
    """{ancestor name: shortest hypernym distance}, the synset itself at 0."""
    out, frontier, distance = {synset.name(): 0}, [synset], 0
    while frontier:
        distance += 1
        frontier = [h for s in frontier for h in s.hypernyms() + s.instance_hypernyms()
                    if h.name() not in out]
        for h in frontier:
            out.setdefault(h.name(), distance)
    return out


class _Hierarchy:
    """Ancestor tables cached per synset: Wu-Palmer similarity over a whole vocabulary in
    seconds, where nltk's `wup_similarity` recomputes the paths on every call."""

    def __init__(self, reader):
        self.ancestors = functools.lru_cache(maxsize=None)(
            lambda name: _ancestors(reader.synset(name)))
        self.min_depth = functools.lru_cache(maxsize=None)(
            lambda name: reader.synset(name).min_depth())
        self.depth = functools.lru_cache(maxsize=None)(
            lambda name: reader.synset(name).max_depth() + 1)

    def wup(self, a: str, b: str) -> float:
        up_a, up_b = self.ancestors(a), self.ancestors(b)
        common = up_a.keys() & up_b.keys()
        if not common:
            return 0.0
        # nltk's subsumer: the largest min depth, then the first name (`a` itself if it is one)
        deepest = max(self.min_depth(n) for n in common)
        tied = [n for n in common if self.min_depth(n) == deepest]
        lcs = a if a in tied else min(tied)
        d = self.depth(lcs)
        return 2.0 * d / (2.0 * d + self.distance(up_a, lcs) + self.distance(up_b, lcs))

    def distance(self, up: dict, lcs: str) -> int:
        """nltk's `shortest_path_distance` from a synset (its ancestor table `up`) to `lcs`."""
        up_lcs = self.ancestors(lcs)
        return min(d + up_lcs[n] for n, d in up.items() if n in up_lcs)


def _noun_senses(reader, word: str) -> list[str]:
    if not isinstance(word, str) or not WORDLIKE.fullmatch(word):
        return []
    return [s.name() for s in reader.synsets(word, "n")]


def class_sense(reader, name: str) -> str | None:
    """The WordNet sense a class name stands for (module docstring), or None."""
    senses = (_noun_senses(reader, name.lower().replace(" ", "_"))
              or _noun_senses(reader, name.lower().split()[-1]))
    return senses[0] if senses else None


@functools.lru_cache(maxsize=2)
def _hierarchy(reader) -> _Hierarchy:
    return _Hierarchy(reader)


def wordnet_scores(reader, words: Sequence[str], class_names: Sequence[str]) -> np.ndarray:
    """Best Wu-Palmer similarity [N, C] of each word's noun senses to each class's sense; 0 where
    WordNet knows either side not.

    An export scores its whole vocabulary (about 15 s for 127,000 words), so large tables are
    cached: per process, and on disk beside WordNet, one `.npy` per hash of the words, the class
    names, the WordNet files and this rule's version.
    """
    return _wordnet_scores(reader, tuple(words), tuple(class_names)).copy()


@functools.lru_cache(maxsize=4)
def _wordnet_scores(reader, words: tuple, class_names: tuple) -> np.ndarray:
    return cached_table(_cache_path(reader, words, class_names) if len(words) >= DISK_CACHE_WORDS
                        else None, (len(words), len(class_names)),
                        lambda: _compute_scores(reader, words, class_names))


def _cache_path(reader, words: tuple, class_names: tuple):
    return table_path(wordnet_root(reader), "classes", [
        RULE_VERSION, "\n".join(class_names),
        "\n".join(w if isinstance(w, str) else repr(w) for w in words)])


def _compute_scores(reader, words: tuple, class_names: tuple) -> np.ndarray:
    hierarchy = _hierarchy(reader)
    targets = [class_sense(reader, c) for c in class_names]
    scores = np.zeros((len(words), len(class_names)), np.float64)
    by_sense: dict[str, np.ndarray] = {}
    for i, word in enumerate(words):
        for sense in _noun_senses(reader, word.lower() if isinstance(word, str) else word):
            if sense not in by_sense:
                by_sense[sense] = np.array([hierarchy.wup(sense, t) if t else 0.0
                                            for t in targets])
            scores[i] = np.maximum(scores[i], by_sense[sense])
    return scores


def _cosines(a, b) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def lexical_classes(reader, words: Sequence[str], class_names: Sequence[str],
                    word_vectors=None, class_vectors=None,
                    threshold: float = THRESHOLD) -> np.ndarray:
    """Index of the class each word names, or -1: int64 [N].

    Args:
        reader: nltk WordNetCorpusReader (`pse_tf.labels.lexicon.wordnet()`).
        words: N words (one token each).
        class_names: the C class names, in label order.
        word_vectors, class_vectors: [N, L] and [C, L] or None; they break ties.
        threshold: the least best-sense Wu-Palmer similarity for a word to name a class.
    """
    if len(words) == 0:
        return np.zeros(0, np.int64)
    lexical = wordnet_scores(reader, words, class_names)
    scores = lexical
    if word_vectors is not None and class_vectors is not None:
        scores = lexical + TIE_WEIGHT * _cosines(word_vectors, class_vectors)
    out = np.argmax(scores, axis=1).astype(np.int64)
    own = {t for c in class_names for t in c.lower().split()}
    named = np.array([isinstance(w, str) and w.lower() in own for w in words], bool)
    out[(lexical.max(axis=1) < threshold) | named] = -1
    return out
