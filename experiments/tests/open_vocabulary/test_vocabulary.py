"""Unseen-word scoring on hand-known numbers: a stub model and a stub evaluator."""

import numpy as np

from experiments.open_vocabulary import vocabulary
from experiments.open_vocabulary import mappings as ov


class StubModel:
    """Generates images whose first pixel is the label vector's first entry, whatever the seed."""

    def generate(self, label_vectors, seed):
        v = np.asarray(label_vectors)
        images = np.zeros((len(v), 4), np.float32)
        images[:, 0] = v[:, 0]
        images[::4, 1] = 1.0  # every 4th sample is "wrong"
        return images


def stub_classify(images):
    """Class = round(first pixel * 10), except class 9 for images with the wrong-flag pixel."""
    images = np.asarray(images)
    return np.where(images[:, 1] > 0, 9, np.round(images[:, 0] * 10)).astype(np.int32)


def test_word_predictions_and_scores_by_hand():
    vectors = np.array([[0.1, 0.0], [0.3, 0.0], [0.9, 0.0]], np.float32)
    predictions = vocabulary.word_predictions(StubModel(), vectors, stub_classify, samples=8)
    assert predictions.shape == (3, 8)
    np.testing.assert_array_equal(predictions[0], [9, 1, 1, 1, 9, 1, 1, 1])
    scores = vocabulary.word_scores(predictions, intended=[1, 2, 9], num_classes=10)
    # word 0: 6/8 in class 1, majority 1 -> lands; word 1: makes class 3, wants 2 -> 0/8;
    # word 2: every sample is class 9 (flagged or 0.9 * 10) -> 8/8
    np.testing.assert_array_equal(scores["landed"], [True, False, True])
    np.testing.assert_allclose(scores["accuracy"], [0.75, 0.0, 1.0])
    assert scores["fraction_landed"] == 2 / 3
    np.testing.assert_allclose(scores["mean_accuracy"], (0.75 + 0 + 1) / 3)


def test_majority_tie_goes_to_smaller_class():
    scores = vocabulary.word_scores(np.array([[2, 2, 5, 5]]), intended=[5], num_classes=6)
    assert not scores["landed"][0] and scores["accuracy"][0] == 0.5


class StubEncoding:
    encoding = "word2vec"
    class_names = ("a", "b")
    vectors = np.array([[0.0, 0.1], [0.1, 1.0]], np.float32)

    def encode(self, phrases):
        table = {"a": self.vectors[0], "b": self.vectors[1], "x": np.array([0.5, 1.0], np.float32)}
        return np.stack([table[p] for p in phrases])


def test_score_words_raw_and_soft_assign():
    words = [{"word": "x", "class": "b", "why": ""}, {"word": "a", "class": "a", "why": ""}]
    raw = vocabulary.score_words(StubModel(), StubEncoding(), ov.Mapping(), words,
                                 stub_classify, samples=4)
    # raw: x's first entry 0.5 -> class 5, never b; "a" -> class 0 on 3 of 4 samples
    np.testing.assert_allclose(raw["accuracy"], [0.0, 0.75])
    np.testing.assert_array_equal(raw["landed"], [False, True])
    option = ov.Mapping(mapping="soft_assign", similarity="cosine")
    snapped = vocabulary.score_words(StubModel(), StubEncoding(), option, words, stub_classify,
                                     samples=4)
    # x is closer to b by cosine (0.934 vs 0.894), takes b's vector -> class 1 on 3 of 4
    np.testing.assert_allclose(snapped["accuracy"], [0.75, 0.75])
    assert snapped["fraction_landed"] == 1.0 and snapped["normalised"] == ["x", "a"]
