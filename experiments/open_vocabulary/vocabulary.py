"""Open-vocabulary score: do words that are not training labels generate the intended class?

For each word, `samples` latent codes are drawn from q(z|word), decoded to Bernoulli means and
classified by the fixed evaluator (the one behind the paper's generation accuracy, §4). A word
*lands* when the evaluator's majority class over its samples is the intended class; its
*accuracy* is the fraction of its samples classified as the intended class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf


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
        words: [{"word", "class", ...}], as `pse_tf.labels.open_vocabulary.unseen_words`.
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
