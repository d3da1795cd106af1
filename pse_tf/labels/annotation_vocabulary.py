"""The default annotation vocabulary: the open list of words an image is annotated with.

Built by one rule from the word vectors, the knowledge table and WordNet, the same for a run and
its export (which stores the list):

1. the class names, then every word the knowledge table maps to a class
   (`pse_tf.labels.knowledge`);
2. every word of the benchmark (pse_tf/labels/benchmark_words.json, negatives included), so the
   benchmark measures the list a user meets;
3. then the most frequent words whose first WordNet noun sense is something one can see
   (`VISUAL_LEXNAMES`: artifacts, animals, plants, food, body parts, natural objects, substances)
   until the list holds `size` words.

Words that name nothing visual ("enriched", "stock") stay out. A word the table maps to a class
gets its class's stored row (`open_vocabulary.DEFAULT`), so a hub word cannot outrank the class
that names the image unless its own q(z|l) fits the image better.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from pse_tf.data.wordnet import WORDLIKE

SIZE = 10_000
# Nats added to the annotation score of a word that names a class (its label vector is the class's
# stored row): a log prior that favours words the knowledge table vouches for. Chosen on
# validation images and the benchmark's development negatives
# (experiments/open_vocabulary/annotation_prior.py).
NAMED_PRIOR = 10.0
VISUAL_LEXNAMES = ("noun.artifact", "noun.animal", "noun.plant", "noun.food", "noun.body",
                   "noun.object", "noun.substance")
# One phrase under the query grammar: starts with a letter or digit, ends with neither '-' nor
# '+'; words only (no spaces).
_WORD = re.compile(r"^[^\W_]([\w'.-]*[\w'.])?$")


def named_prior(vectors, class_vectors, prior: float | None = None) -> np.ndarray:
    """[W]: `prior` (default `NAMED_PRIOR`) where a row of `vectors` [W, L] equals a row of
    `class_vectors` [C, L], else 0."""
    prior = NAMED_PRIOR if prior is None else float(prior)
    vectors = np.asarray(vectors, np.float32)
    class_vectors = np.asarray(class_vectors, np.float32)
    named = (vectors[:, None, :] == class_vectors[None, :, :]).all(axis=-1).any(axis=1)
    return np.where(named, prior, 0.0)


def annotation_words(kv, class_names, size: int = SIZE) -> list[str]:
    """The default annotation vocabulary (module docstring), in the word vectors' order, then
    the benchmark's multi-word phrases."""
    return list(_annotation_words(kv, tuple(class_names), int(size)))


@functools.lru_cache(maxsize=8)
def _annotation_words(kv, class_names: tuple, size: int) -> tuple:
    from pse_tf.labels.benchmark import all_words
    from pse_tf.labels.knowledge import knowledge_table
    from pse_tf.labels.lexicon import wordnet

    table = knowledge_table(kv, class_names)
    words = kv.index_to_key
    keep = {i for i in range(len(words))
            if table[i] >= 0 and isinstance(words[i], str) and _WORD.match(words[i])}
    phrases = []
    for word in all_words():
        if word in kv.key_to_index:
            keep.add(kv.key_to_index[word])
        else:
            phrases.append(word)
    reader = wordnet()
    for i, word in enumerate(words):
        if len(keep) + len(phrases) >= size:
            break
        if i in keep or not isinstance(word, str) or not _WORD.match(word) or not word[0].isalpha():
            continue
        senses = reader.synsets(word, "n") if WORDLIKE.fullmatch(word) else []
        if senses and senses[0].lexname() in VISUAL_LEXNAMES:
            keep.add(i)
    # the class names first: among the words of a class, which share its score, the name wins
    names = [n for n in class_names if all(t in kv.key_to_index for t in n.split())]
    rest = [words[i] for i in sorted(keep) if words[i] not in names]
    return tuple(names + rest + [p for p in phrases if p not in names])
