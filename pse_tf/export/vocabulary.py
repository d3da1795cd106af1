"""Which words an export's text signatures hold: the most frequent words of the word vectors,
every class-name word, WordNet's lemmas and every compound (`pse_tf.export.text`)."""

from __future__ import annotations

import os
import re

import numpy as np


def vocabulary_words(kv, size: int, class_names=(), extra_words=()) -> list[str]:
    """The first `size` words of `kv` (frequency order), then any class-name word and any of
    `extra_words` not among them.

    `size` >= 1, or None for every word; class-name words are always kept so every training
    label encodes in the graph, and so are `extra_words` (the lexicon's, `lexicon_words`).
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


class ExportVocabulary:
    """The words an export knows and their vectors: every word of the word vectors, or the most
    frequent plus the class-name, WordNet, compound and taught words (`pse_tf.export.text`'s
    arguments of the same names)."""

    def __init__(self, model, word_vectors, size, lexicon, lexicon_words, taught=()):
        from pse_tf.labels import DEFAULT_SOURCE, load_word_vectors

        self.kv = kv = (load_word_vectors(word_vectors, lexicon=lexicon)
                        if isinstance(word_vectors, (str, os.PathLike, type(None)))
                        else word_vectors)
        if kv.vectors.shape[1] != model.label_dim:
            raise ValueError(f"word vectors have {kv.vectors.shape[1]} dimensions but the model's "
                             f"label vectors have {model.label_dim}")
        self.class_names, self.lexicon, self.taught = model.class_names, lexicon, list(taught)
        if size is None or size >= len(kv.index_to_key):
            extra, self.extra_note, self.compounds = (), "every word of the word vectors is kept", []
        else:
            extra, self.extra_note = (wordnet_words(kv) if lexicon_words
                                      else ((), "not asked for"))
            self.compounds = compound_words(kv)
        self.words = vocabulary_words(kv, size, model.class_names,
                                      [*extra, *self.compounds, *_known(kv, taught)])
        self.rows = [kv.key_to_index[w] for w in self.words]
        self.vectors = kv.vectors[self.rows]
        self.source = (DEFAULT_SOURCE if word_vectors is None else
                       os.fspath(word_vectors) if isinstance(word_vectors, (str, os.PathLike))
                       else f"in-memory {type(word_vectors).__name__}")

    def annotation_words(self) -> list[str]:
        """The default annotation vocabulary, then the taught words (as `pse_tf.inference` ranks
        them); a smaller export ranks the words it holds."""
        from pse_tf.labels.annotation_vocabulary import annotation_words

        kept = set(self.words)
        words = [w for w in annotation_words(self.kv, self.class_names)
                 if all(t in kept for t in w.split())]
        have = set(words)
        return words + [w for w in dict.fromkeys(self.taught) if w not in have]

    def metadata(self, size, vocabulary_file: str) -> dict:
        return {"vocabulary_size": len(self.words), "vocabulary_file": vocabulary_file,
                "most_frequent_words": len(self.words) if size is None else int(size),
                "word_vectors": self.source, "lexicon": self.lexicon,
                "lexicon_words": self.extra_note,
                "compound_words": f"{len(self.compounds)} words with '-' or '/' kept whatever "
                                  "their frequency (a phrase splits only where the run splits it)"}


def _known(kv, words) -> list[str]:
    """The keys of `kv` that `words` are, as given or lowercased (others are refused later, by
    `OpenVocabulary.word_classes`)."""
    keys = (w if w in kv.key_to_index else w.lower() for w in words)
    return [k for k in keys if k in kv.key_to_index]
