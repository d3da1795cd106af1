"""Extra training phrases for each class, drawn by a rule from the word vectors.

Training each class with several phrases near its name pins the label encoder down around it
(untrained directions otherwise set a new word's q(z|word), `open_vocabulary`). The phrases come
from a fixed rule, never by hand, so the unseen-word list cannot leak in by choice:

    neighbours(c) = the k words nearest (cosine) to class c's phrase vector among the
                    `vocabulary_size` most frequent alphabetic words, that are not words of a
                    class name, and that c owns.

A class owns a word when it ranks better in that class's neighbour list than in any other's
(owner "rank", used in training) or when it is the word's nearest class (owner "cosine").
Ownership keeps a generic word ("jacket") from being taught as several classes; ranks correct
for hubs: "shirt" is the cosine-nearest class of "trousers", yet "trousers" ranks 2nd in
trouser's list and 8th in shirt's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

NEIGHBOUR_VOCABULARY = 50_000
OWNERS = ("cosine", "rank")
_ALPHABETIC = re.compile(r"^[a-z]+(-[a-z]+)*$")  # words, not numbers or punctuation


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def candidate_words(words: Sequence[str], class_names: Sequence[str], size: int) -> np.ndarray:
    """Indices of the first `size` entries of a frequency-ordered word list that are alphabetic
    and not a word of a class name, [M]."""
    # every way a class name can be cut into words ("t-shirt/top": t-shirt, top, t, shirt)
    taken = {t for name in class_names for pattern in (r"\s+", r"[\s/]+", r"[\s/-]+")
             for t in re.split(pattern, name.lower()) if t}
    return np.array([i for i, w in enumerate(words[:size])
                     if isinstance(w, str) and _ALPHABETIC.match(w) and w not in taken], int)


def neighbour_ranks(cos: np.ndarray) -> np.ndarray:
    """rank[m, c]: how many candidates are nearer to class c than candidate m is, [M, C].

    A hub class ("shirt") is near many words, so a word's rank in the hub's list is worse than
    its cosine suggests; ranking by it is hubness correction from the class side.
    """
    order = np.argsort(-cos, axis=0, kind="stable")
    ranks = np.empty_like(order)
    ranks[order, np.arange(cos.shape[1])[None, :]] = np.arange(cos.shape[0])[:, None]
    return ranks


def mutual_neighbours(class_vectors: np.ndarray, vectors: np.ndarray, k: int,
                      owner: str = "cosine") -> list[np.ndarray]:
    """For each class of `class_vectors` [C, L], the rows of `vectors` [M, L] among its k
    nearest (cosine) that it owns (`owner` "cosine" or "rank", `neighbour_ranks`), nearest
    first: C int arrays of length <= k."""
    if owner not in OWNERS:
        raise ValueError(f"owner must be one of {OWNERS}, got {owner!r}")
    cos = _unit(vectors) @ _unit(class_vectors).T  # [M, C]
    owner = np.argmax(cos, axis=1) if owner == "cosine" else \
        np.argmin(neighbour_ranks(cos), axis=1)
    out = []
    for c in range(class_vectors.shape[0]):
        order = np.argsort(-cos[:, c], kind="stable")[:k]
        out.append(order[owner[order] == c])
    return out


def neighbour_phrases(kv, class_names: Sequence[str], class_vectors: np.ndarray, k: int,
                      vocabulary_size: int = NEIGHBOUR_VOCABULARY,
                      owner: str = "cosine") -> list[list[str]]:
    """The training phrases (C lists of words) each class gets besides its name (module
    docstring): among the `vocabulary_size` most frequent words of `kv` (frequency-ordered),
    the ones of its k nearest that it owns (`mutual_neighbours`)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    index = candidate_words(kv.index_to_key, class_names, vocabulary_size)
    if k == 0 or index.size == 0:
        return [[] for _ in class_names]
    chosen = mutual_neighbours(class_vectors, kv.vectors[index], k, owner)
    return [[kv.index_to_key[index[j]] for j in rows] for rows in chosen]


def training_phrases(encoding, k: int) -> list[list[str]]:
    """The neighbour words each class of a word-vector `LabelEncoding` trains on besides its
    name (`TrainConfig.label_neighbours`): `neighbour_phrases` with owner "rank"."""
    return neighbour_phrases(encoding.word_vectors(), encoding.class_names, encoding.vectors, k,
                             owner="rank")


def phrase_table(class_vectors: np.ndarray, extra: Sequence[np.ndarray]) -> tuple:
    """Each class's training vectors, padded: (table [C, 1 + K, L] float32, counts [C] int32).

    Row 0 of class c is its own vector, rows 1..counts[c]-1 its extra phrases' vectors; the rest
    repeat row 0 and are never drawn (`LatentModel.training_label_vectors`).
    """
    class_vectors = np.asarray(class_vectors, np.float32)
    width = 1 + max((len(e) for e in extra), default=0)
    table = np.repeat(class_vectors[:, None, :], width, axis=1)
    counts = np.ones(len(class_vectors), np.int32)
    for c, rows in enumerate(extra):
        if len(rows):
            table[c, 1:1 + len(rows)] = np.asarray(rows, np.float32)
            counts[c] = 1 + len(rows)
    return table, counts
