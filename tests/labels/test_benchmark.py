"""The frozen open-vocabulary benchmark (pse_tf/labels/benchmark_words.json)."""

import hashlib
import json

import pytest

from pse_tf.data import CLASS_NAMES
from pse_tf.labels import load_word_vectors
from pse_tf.labels.benchmark import all_words, benchmark_words, denominator
from pse_tf.labels.open_vocabulary import DEFAULT
from pse_tf.labels.vectors import phrase_tokens


@pytest.mark.parametrize("key, least", [("fashion_mnist", 100), ("mnist", 100),
                                        ("negative", 150)])
def test_denominators_are_written_and_match_the_words(key, least):
    words = benchmark_words(key)
    assert denominator(key) == len(words) >= least
    for half in ("development", "test"):
        assert denominator(key, half) == len(benchmark_words(key, half)) > 0
    assert len({w["word"] for w in words}) == len(words)


def test_halves_follow_the_hash_of_the_word():
    for key in ("fashion_mnist", "mnist", "negative"):
        for w in benchmark_words(key):
            digest = hashlib.sha256(f"pse_tf benchmark v1:{w['word']}".encode()).hexdigest()
            assert w["half"] == ("development" if int(digest[:8], 16) % 2 == 0 else "test")


@pytest.mark.parametrize("dataset", ["fashion_mnist", "mnist"])
def test_words_stay_unseen_are_in_glove_and_name_real_classes(dataset):
    kv = load_word_vectors()
    names = CLASS_NAMES[dataset]
    for w in benchmark_words(dataset):
        assert set(w["classes"]) <= set(names) and w["classes"]
        assert w["class"] == ("several" if len(w["classes"]) > 1 else w["classes"][0])
        assert phrase_tokens(kv, w["word"]) == [w["word"]]  # one GloVe token
        assert DEFAULT.normalise(w["word"], names) not in names and w["word"] not in names
    for w in benchmark_words("negative"):
        phrase_tokens(kv, w["word"])


def test_negatives_name_no_class_of_either_data_set():
    names = {n for ns in CLASS_NAMES.values() for n in ns}
    positives = {w["word"] for d in CLASS_NAMES for w in benchmark_words(d)}
    negatives = {w["word"] for w in benchmark_words("negative")}
    assert not negatives & names and not negatives & positives
    assert set(all_words()) == positives | negatives


def test_bad_keys_and_halves_are_refused():
    with pytest.raises(ValueError, match="key must be one of"):
        benchmark_words("cifar")
    with pytest.raises(ValueError, match="half must be one of"):
        benchmark_words("mnist", "held_out")


def test_the_file_says_where_its_words_come_from():
    from importlib.resources import files

    table = json.loads((files("pse_tf.labels") / "benchmark_words.json").read_text("utf-8"))
    assert "general knowledge" in table["_about"] and "not taken from WordNet" in table["_about"]


def test_benchmark_v2_is_new_in_glove_and_all_test():
    """v2: at least 60 words per list, none in v1 or unseen_words.json, each one GloVe token
    (phrases of GloVe tokens among the negatives), every word in the test half."""
    import importlib.resources

    kv = load_word_vectors()
    unseen = json.loads((importlib.resources.files("pse_tf.labels") / "unseen_words.json")
                        .read_text())
    earlier = set(all_words()) | {w["word"] for k, ws in unseen.items() if not k.startswith("_")
                                  for w in ws}
    seen = set()
    for key in ("fashion_mnist", "mnist", "negative"):
        words = benchmark_words(key, version="v2")
        assert denominator(key, version="v2") == denominator(key, "test", version="v2") == \
            len(words) >= 60
        assert denominator(key, "development", version="v2") == 0
        for w in words:
            assert w["word"] not in earlier and w["word"] not in seen and w["half"] == "test"
            seen.add(w["word"])
            tokens = phrase_tokens(kv, w["word"])
            assert tokens == w["word"].split()
            if key != "negative":
                names = CLASS_NAMES[key]
                assert set(w["classes"]) <= set(names) and w["word"] not in names
                assert DEFAULT.normalise(w["word"], names) not in names
    with pytest.raises(ValueError, match="version must be one of"):
        benchmark_words("mnist", version="v3")
