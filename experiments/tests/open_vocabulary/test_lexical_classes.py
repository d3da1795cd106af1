"""WordNet's class for a word (`experiments.open_vocabulary.lexical_classes`), on the real WordNet 3.0."""

import itertools

import numpy as np
import pytest

from pse_tf.data import CLASS_NAMES
from experiments.open_vocabulary.lexical_classes import (THRESHOLD, _Hierarchy, class_sense, lexical_classes,
                                           wordnet_scores)
from pse_tf.labels.lexicon import wordnet

FASHION = CLASS_NAMES["fashion_mnist"]
DIGITS = CLASS_NAMES["mnist"]


@pytest.fixture(scope="module")
def reader():
    return wordnet()


def test_wu_palmer_equals_nltk_on_noun_pairs(reader):
    rng = np.random.default_rng(0)
    nouns = list(reader.all_synsets("n"))
    picked = [nouns[i] for i in rng.choice(len(nouns), 40, replace=False)]
    picked += [reader.synset(n) for n in ("jean.n.01", "trouser.n.01", "three.n.01",
                                          "bag.n.01", "dog.n.01", "entity.n.01")]
    hierarchy = _Hierarchy(reader)
    for a, b in itertools.combinations(picked, 2):
        assert hierarchy.wup(a.name(), b.name()) == pytest.approx(a.wup_similarity(b), abs=1e-12), \
            (a, b)


def test_a_class_stands_for_the_first_sense_of_its_name_or_its_head_word(reader):
    assert [class_sense(reader, c) for c in FASHION] == [
        "jersey.n.03", "trouser.n.01", "pullover.n.01", "dress.n.01", "coat.n.01", "sandal.n.01",
        "shirt.n.01", "gym_shoe.n.01", "bag.n.01", "boot.n.01"]
    assert class_sense(reader, "no such thing") == "thing.n.01"  # its head word
    assert class_sense(reader, "zzyzx qwxz") is None


def test_words_under_a_class_sense_name_it(reader):
    """Words of no committed list: hyponyms and synonyms found through the hierarchy."""
    words = ["backpack", "knapsack", "sweatpants", "windbreaker", "shirtdress", "Trousers"]
    named = lexical_classes(reader, words, FASHION)
    assert [FASHION[i] for i in named] == ["bag", "bag", "trouser", "coat", "dress", "trouser"]
    named = lexical_classes(reader, ["threesome", "foursome", "triplet", "cipher"], DIGITS)
    assert [DIGITS[i] for i in named] == ["three", "four", "three", "zero"]


def test_unrelated_unknown_and_class_words_name_nothing(reader):
    words = ["galaxy", "hoodie", "Ankle", "boot", "t-shirt", "", "123", "+", "ünïcode", "a b",
             "x" * 500, "\x00"]
    assert lexical_classes(reader, words, FASHION).tolist() == [-1] * len(words)
    scores = wordnet_scores(reader, words, FASHION)
    assert scores[0].max() < THRESHOLD and (scores[1] == 0).all()
    assert lexical_classes(reader, [], FASHION).shape == (0,)


def test_word_vectors_break_ties_between_equal_scores(reader):
    """Two classes that share a sense score alike; the word's vector picks the closer one."""
    classes = ("trouser", "trousers")  # both trouser.n.01
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])
    for towards, expected in ((np.array([[0.1, 1.0]]), 1), (np.array([[1.0, 0.1]]), 0)):
        assert lexical_classes(reader, ["slacks"], classes, towards, vectors).tolist() == \
            [expected]


def test_large_score_tables_are_read_back_from_the_disk_cache(reader, monkeypatch):
    from experiments.open_vocabulary import lexical_classes as lc

    monkeypatch.setattr(lc, "DISK_CACHE_WORDS", 1)
    words, classes = ("backpack", "galaxy", "jeans"), ("bag", "trouser", "cache test")
    path = lc._cache_path(reader, words, classes)
    path.unlink(missing_ok=True)
    try:
        lc._wordnet_scores.cache_clear()
        first = wordnet_scores(reader, words, classes)
        assert path.is_file()
        lc._wordnet_scores.cache_clear()
        monkeypatch.setattr(lc, "_compute_scores", lambda *a: pytest.fail("not read from disk"))
        np.testing.assert_array_equal(wordnet_scores(reader, words, classes), first)
        path.write_bytes(b"torn")  # a torn file is computed again, not trusted
        lc._wordnet_scores.cache_clear()
        with pytest.raises(pytest.fail.Exception, match="not read from disk"):
            wordnet_scores(reader, words, classes)
    finally:
        path.unlink(missing_ok=True)
        lc._wordnet_scores.cache_clear()
