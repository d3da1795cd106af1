"""Which words an export's text signatures hold: the most frequent words of the word vectors,
every class-name word, WordNet's lemmas and every compound (`pse_tf.export.text`)."""

from __future__ import annotations

import re

import numpy as np


def vocabulary_words(kv, size: int, class_names=(), extra_words=()) -> list[str]:
    """The first `size` words of `kv` (frequency order), then any class-name word and any of
    `extra_words` not among them.

    Args:
        kv: gensim KeyedVectors.
        size: int or None. How many of the most frequent words, >= 1; None: all of them.
        class_names: sequence of str. Their words (`phrase_tokens`) are always included, so every
            training label encodes in the graph.
        extra_words: sequence of str. Words of `kv` kept whatever their frequency (the lexicon's:
            `pse_tf.labels.lexicon.lexicon_words`).
    """
    from pse_tf.labels import phrase_tokens

    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer))
                             or size < 1):
        raise ValueError(f"vocabulary_size must be a positive int or None, got {size!r}")
    words = [w for w in kv.index_to_key[:size] if isinstance(w, str) and w and "\n" not in w]
    seen = set(words)
    needed = [word for name in class_names for word in phrase_tokens(kv, name)]
    for word in (*needed, *extra_words):
        if word not in seen and word in kv.key_to_index:
            seen.add(word)
            words.append(word)
    return words


def wordnet_words(kv) -> tuple:
    """(WordNet lemmas among `kv`'s words, a note for the metadata)."""
    from pse_tf.data import DataError
    from pse_tf.labels.lexicon import lexicon_words

    try:
        words = lexicon_words(kv)
    except DataError as error:  # no WordNet here: the most frequent words still serve
        return (), f"not included ({' '.join(str(error).split())})"
    return words, f"{len(words)} WordNet lemmas kept whatever their frequency"


def compound_words(kv) -> list[str]:
    """The words of `kv` that hold '-' or '/' beside other characters, in `kv`'s order.

    An export keeps them all: a missing token is split into its parts, so a compound the run knows
    ("flip-flops") would otherwise get its parts' mean in the export and its own vector in
    Python. With them, a phrase is split in the export only where the run splits it too.
    """
    return [w for w in kv.index_to_key
            if isinstance(w, str) and _HAS_COMPOUND.search(w) and _HAS_OTHER.search(w)]


_HAS_COMPOUND = re.compile(r"[-/]")
_HAS_OTHER = re.compile(r"[^-/]")
