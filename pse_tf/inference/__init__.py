"""Text in, text out: one Python API over a run directory or an export directory.

    from pse_tf.inference import load
    predictor = load("runs/fashion_mnist-pse_star-word2vec-z10-seed0")  # or exported/<name>[/<v>]
    images = predictor.generate(["sneaker + sandal", "t-shirt"], samples=8, seed=0)
    predictor.annotate(images[0], top_k=5)        # [[(word, probability), ...] per image]

The CLI (scripts/generate.py, annotate.py, retrieve.py) and the demo page (`pse_tf.demo`) are
built on it. Modules, one job each:

    query       the query grammar: "shirt - sleeve + dress", "t-shirt" (one word); `InputError`
    files       images from files and arrays at the model's shape (grey or colour); word files
    backends    a run directory (`load_run`) or an export (SavedModel signatures), same primitives
    predictor   `Predictor`: generation, annotation, scores, interpolation, from the primitives

Every phrase first gets `open_vocabulary.DEFAULT`'s normalisation ("trousers" -> "trouser",
"7" -> "seven"), one token map that a run applies in Python and an export in its graph, so both
give the same vectors. Interpolation between queries A and B: l_t = (1 - t) l_A + t l_B.
Bad input raises one-line ValueErrors: `OOVError` (with close spellings) or `InputError`.
"""

from __future__ import annotations

from pathlib import Path

from pse_tf.inference.backends import frequent_words, open_backend
from pse_tf.inference.files import check_images, read_images, read_word_file
from pse_tf.inference.predictor import DEFAULT_VOCABULARY_SIZE, Predictor
from pse_tf.inference.query import InputError, parse_query


def load(path, taught_words=None) -> Predictor:
    """A `Predictor` over a run directory (config.json + model.weights.h5) or an export
    directory (exported/<name> or exported/<name>/<version>).

    Args:
        taught_words: for a run, words that name a class beyond the default rule: a file of
            `word<TAB>class` lines or {word: class} (`OpenVocabulary.teach`). An export holds
            the taught words it was exported with.
    """
    return Predictor(open_backend(Path(path), taught_words))


__all__ = ["DEFAULT_VOCABULARY_SIZE", "InputError", "Predictor", "check_images",
           "frequent_words", "load", "parse_query", "read_images", "read_word_file"]
