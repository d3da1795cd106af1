"""Neighbour phrases: drawn by a rule from the vectors (ownership by cosine or by rank), and the
padded table a model trains on."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from pse_tf.labels import neighbours as nb

CLASSES = np.array([[1.0, 0.0], [0.0, 1.0]])  # a hub ("shirt") and a narrow class ("trouser")


def keyed(words, vectors):
    kv = KeyedVectors(2)
    kv.add_vectors(words, np.asarray(vectors, np.float32))
    return kv


def test_candidates_skip_class_words_numbers_and_punctuation():
    words = ["the", "ankle", "boot", "7", ",", "t-shirt", "boots", "x-ray", "Paris"]
    index = nb.candidate_words(words, ["ankle boot", "t-shirt/top"], size=8)
    assert [words[i] for i in index] == ["the", "boots", "x-ray"]


def test_neighbour_ranks():
    cos = np.array([[0.9, 0.1], [0.5, 0.8], [0.7, 0.9]])
    np.testing.assert_array_equal(nb.neighbour_ranks(cos), [[0, 2], [2, 1], [1, 0]])


def test_ownership_by_rank_takes_words_from_a_hub():
    # near the hub: many words; "pants" is a bit nearer the hub than the narrow class by cosine,
    # but the narrow class's nearest word and only 4th in the hub's list
    vectors = np.array([[1.0, 0.05], [1.0, 0.1], [1.0, 0.15], [1.0, 0.9], [0.3, 1.0]])
    by_cosine = nb.mutual_neighbours(CLASSES, vectors, k=5, owner="cosine")
    by_rank = nb.mutual_neighbours(CLASSES, vectors, k=5, owner="rank")
    assert 3 in by_cosine[0] and 3 not in by_cosine[1]
    assert 3 in by_rank[1] and 3 not in by_rank[0]
    assert list(by_rank[0]) == [0, 1, 2]  # nearest first
    assert [len(x) for x in nb.mutual_neighbours(CLASSES, vectors, k=1)] == [1, 1]
    with pytest.raises(ValueError, match="owner"):
        nb.mutual_neighbours(CLASSES, vectors, k=1, owner="csls")


def test_neighbour_phrases_are_words_the_class_owns():
    kv = keyed(["shirt", "trouser", "jacket", "pants", "sleeve", "pleated"],
               [[1, 0], [0, 1], [1, 0.2], [0.3, 1], [1, 0.1], [0.1, 1]])
    got = nb.neighbour_phrases(kv, ["shirt", "trouser"], CLASSES, k=2)
    assert got == [["sleeve", "jacket"], ["pleated", "pants"]]
    assert nb.neighbour_phrases(kv, ["shirt", "trouser"], CLASSES, k=0) == [[], []]
    with pytest.raises(ValueError, match="k must be"):
        nb.neighbour_phrases(kv, ["shirt", "trouser"], CLASSES, k=-1)


def test_phrase_table_pads_with_the_class_vector():
    table, counts = nb.phrase_table(CLASSES, [np.array([[2.0, 2.0], [3.0, 3.0]]), []])
    assert table.shape == (2, 3, 2) and table.dtype == np.float32
    np.testing.assert_array_equal(counts, [3, 1])
    np.testing.assert_array_equal(table[0], [[1, 0], [2, 2], [3, 3]])
    np.testing.assert_array_equal(table[1], [[0, 1], [0, 1], [0, 1]])
