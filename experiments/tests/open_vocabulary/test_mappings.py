"""The superseded open-vocabulary mappings and the first word list (`experiments.open_vocabulary
.mappings`), on the real GloVe vectors and WordNet."""

import numpy as np
import pytest

from experiments.open_vocabulary import mappings as ov
from pse_tf.data import CLASS_NAMES
from pse_tf.labels import LabelEncoding, load_word_vectors, phrase_tokens
from pse_tf.labels.open_vocabulary import DEFAULT


@pytest.mark.parametrize("dataset", ["fashion_mnist", "mnist"])
def test_word_list_is_in_glove_and_not_a_training_label(dataset):
    words = ov.unseen_words(dataset)
    kv = load_word_vectors()
    names = CLASS_NAMES[dataset]
    assert len(words) >= 30
    assert len({w["word"] for w in words}) == len(words)
    for w in words:
        assert w["word"] not in names and w["class"] in names and w["why"]
        assert w["word"] in kv.key_to_index, w["word"]  # one GloVe token, no splitting
        assert phrase_tokens(kv, w["word"]) == [w["word"]]


@pytest.mark.parametrize("dataset", ["fashion_mnist", "mnist"])
def test_the_committed_halves_follow_the_documented_seeded_rule(dataset):
    """Within each intended class, words sorted by SHA-256 alternate development, held_out."""
    import collections
    import hashlib

    by_class = collections.defaultdict(list)
    for w in ov.unseen_words(dataset):
        by_class[w["class"]].append(w)
    for words in by_class.values():
        words.sort(key=lambda w: hashlib.sha256(
            f"pse_tf unseen-word split v1:{dataset}:{w['word']}".encode()).hexdigest())
        assert [w["half"] for w in words] == [ov.UNSEEN_HALVES[i % 2] for i in range(len(words))]
    dev, held = (ov.unseen_words(dataset, half) for half in ov.UNSEEN_HALVES)
    assert len(dev) + len(held) == len(ov.unseen_words(dataset)) and len(held) >= 15
    with pytest.raises(ValueError, match="half"):
        ov.unseen_words(dataset, "test")


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(ValueError, match="mnist"):
        ov.unseen_words("cifar10")


def test_class_names_keep_their_rows_under_every_option():
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    for option in (ov.Mapping(mapping="project"), DEFAULT,
                   ov.Mapping(mapping="soft_assign", similarity="centred",
                                     temperature=0.1)):
        np.testing.assert_array_equal(option.encode(encoding, ["coat", "bag"]),
                                      encoding.vectors[[4, 8]])
    # plurals normalised to a class name get that class's row
    np.testing.assert_array_equal(DEFAULT.encode(encoding, ["sandals"]), encoding.vectors[[5]])
    hard = ov.Mapping(mapping="soft_assign", similarity="cosine").encode(encoding, ["gown"])
    assert any(np.array_equal(hard[0], v) for v in encoding.vectors)


def test_option_values_are_checked():
    with pytest.raises(ValueError, match="mapping"):
        ov.Mapping(mapping="snap")
    with pytest.raises(ValueError, match="temperature"):
        ov.Mapping(temperature=-1)


def test_wordnet_wup_mapping_gives_a_one_word_phrase_its_wordnet_class_row():
    """"backpack" names bag in WordNet: it gets bag's stored row. A word that names no class, a
    phrase of two words and a class name keep what "raw" gives them."""
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    kv = encoding.word_vectors()
    lexicon = ov.Mapping(plurals="labels", numerals=True, mapping="wordnet_wup")
    text = ov.Mapping(plurals="labels", numerals=True)
    phrases = ["backpack", "Backpack", "galaxy", "red backpack", "sandals", "ankle boot"]
    got, raw = lexicon.encode(encoding, phrases), text.encode(encoding, phrases)
    bag = encoding.vectors[encoding.class_names.index("bag")]
    np.testing.assert_array_equal(got[0], bag)
    np.testing.assert_array_equal(got[1], bag)
    assert not np.allclose(raw[0], bag)  # the word's own vector is elsewhere
    np.testing.assert_array_equal(got[2:], raw[2:])
    np.testing.assert_allclose(got[3], (kv["red"] + kv["backpack"]) / 2, atol=1e-6)
    assert lexicon.name == "wordnet_wup+plurals-labels+numerals"
