"""Open-vocabulary score: do words that are not training labels generate the intended class?

For each word, `samples` latent codes are drawn from q(z|word), decoded to Bernoulli means and
classified by the fixed evaluator (the one behind the paper's generation accuracy, §4). A word
*lands* when the evaluator's majority class over its samples is the intended class; its
*accuracy* is the fraction of its samples classified as the intended class.

A word that the text normalisation rewrites into a training label (`rewritten_into_label`) gets
that class's own label vector: it is no longer an unseen word. Every headline (`landed_counts`)
is over the words that stay unseen; rewritten words are counted apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from experiments.open_vocabulary.mappings import UNSEEN_HALVES as HALVES


def word_predictions(model, label_vectors: np.ndarray, classify: Callable[[np.ndarray], np.ndarray],
                     samples: int = 1000, seed: int = 0) -> np.ndarray:
    """Evaluator classes of `samples` images generated from each label vector: int [N, samples].

    Args:
        model: a LatentModel (anything with `generate(label_vectors, seed)` -> [M, D]).
        label_vectors: [N, L]. One row per word.
        classify: images [M, D] float in [0, 1] -> int classes [M] (e.g.
            `lambda x: evaluators.classify(evaluator, x)`).
        samples: int. Images per word.
        seed: int. Word i uses the stateless seed (seed, i), so words do not share draws.
    """
    import tensorflow as tf

    label_vectors = np.asarray(label_vectors, np.float32)
    out = np.empty((len(label_vectors), samples), np.int32)
    for i, vector in enumerate(label_vectors):
        repeated = tf.constant(np.repeat(vector[None, :], samples, axis=0))
        images = np.asarray(model.generate(repeated, tf.constant([seed, i], tf.int32)))
        out[i] = classify(images)
    return out


def word_scores(predictions: np.ndarray, intended: Sequence[int], num_classes: int) -> dict:
    """Per-word and summary scores from `word_predictions`.

    Args:
        predictions: int [N, S]. Evaluator classes of each word's samples.
        intended: N ints. The class each word should generate.
        num_classes: int. C.

    Returns:
        {"landed": bool [N], "accuracy": float [N], "majority": int [N],
         "fraction_landed": float, "mean_accuracy": float}. A tie for the majority is broken
        towards the smaller class index (np.argmax), so a tie with the intended class counts
        as landed only if the intended class has the smaller index.
    """
    predictions = np.asarray(predictions)
    intended = np.asarray(intended)
    counts = np.stack([np.bincount(row, minlength=num_classes) for row in predictions])
    majority = counts.argmax(axis=1)
    accuracy = (predictions == intended[:, None]).mean(axis=1)
    landed = majority == intended
    return {"landed": landed, "accuracy": accuracy, "majority": majority,
            "fraction_landed": float(landed.mean()), "mean_accuracy": float(accuracy.mean())}


def score_words(model, encoding, vocabulary, words: Sequence[dict], classify, samples: int = 1000,
                seed: int = 0) -> dict:
    """`word_scores` of the words of `unseen_words(...)` encoded by `vocabulary`.

    Args:
        model: a trained LatentModel with word-vector labels.
        encoding: its LabelEncoding.
        vocabulary: OpenVocabulary. How each word becomes a label vector.
        words: [{"word", "class", ...}], as `experiments.open_vocabulary.mappings.unseen_words`.
        classify: images [M, D] -> int [M] (the fixed evaluator).
        samples, seed: as `word_predictions`.

    Returns:
        `word_scores`' dict plus "normalised" (the phrase each word became).
    """
    phrases = [w["word"] for w in words]
    intended = [encoding.class_names.index(w["class"]) for w in words]
    vectors = vocabulary.encode(encoding, phrases)
    predictions = word_predictions(model, vectors, classify, samples=samples, seed=seed)
    scores = word_scores(predictions, intended, len(encoding.class_names))
    scores["normalised"] = [vocabulary.normalise(p, encoding.class_names) for p in phrases]
    return scores


# -- which words a headline counts ----------------------------------------------------------------
GROUPS = ("unseen", "rewritten", "taught")


def phrase_key(phrase: str) -> tuple[str, ...]:
    """A phrase's words for comparing two phrases: its lowercase runs of letters and digits.

    It splits wherever the encoder's `pse_tf.labels.phrase_tokens` may split (whitespace, and '-'
    or '/' inside a compound) and at any other punctuation too, so two phrases the encoder reads
    as the same words always share a key: "T-Shirt", "t shirt" and "t/shirt" -> ("t", "shirt").
    """
    return tuple(re.findall(r"[^\W_]+", phrase.lower()))


def rewritten_into_label(normalised: str, class_names: Sequence[str]) -> bool:
    """Whether a word's normalised phrase is a training label phrase: its `phrase_key` equals a
    class name's (case- and punctuation-insensitive).

    Such a word gets the class's own label vector ("trousers" -> "trouser"; "7" -> "seven"), so a
    score on it measures the text rule, not the model. "boots" -> "boot" is not rewritten: the
    label is "ankle boot".
    """
    key = phrase_key(normalised)
    return bool(key) and any(key == phrase_key(name) for name in class_names)


def word_groups(normalised: Sequence[str], class_names: Sequence[str],
                taught: Sequence[bool] | None = None) -> list[str]:
    """Per word: "rewritten" (`rewritten_into_label`), else "taught" (`taught[i]`: one of the
    phrases a `label_neighbours` model trained on), else "unseen" (the words a headline counts)."""
    taught = list(taught or []) or [False] * len(normalised)
    return ["rewritten" if rewritten_into_label(n, class_names) else "taught" if t else "unseen"
            for n, t in zip(normalised, taught)]


def landed_counts(landed: Sequence[bool], groups: Sequence[str], halves: Sequence[str]) -> dict:
    """Landed words k of n: {"all", "development", "held_out"} over the "unseen" words (each
    half apart), {"rewritten", "taught"} over those groups (both halves).

    Returns:
        {name: {"landed": k, "words": n}}.
    """
    if not len(landed) == len(groups) == len(halves):
        raise ValueError(f"landed, groups and halves must have one entry per word; got "
                         f"{len(landed)}, {len(groups)}, {len(halves)}")
    bad = (set(groups) - set(GROUPS)) | (set(halves) - set(HALVES))
    if bad:
        raise ValueError(f"groups must be in {GROUPS} and halves in {HALVES}; got {sorted(bad)}")
    selections = {"all": lambda g, h: g == "unseen",
                  **{half: (lambda g, h, half=half: g == "unseen" and h == half)
                     for half in HALVES},
                  **{group: (lambda g, h, group=group: g == group) for group in GROUPS[1:]}}
    out = {}
    for name, keep in selections.items():
        kept = [bool(x) for x, g, h in zip(landed, groups, halves) if keep(g, h)]
        out[name] = {"landed": sum(kept), "words": len(kept)}
    return out
