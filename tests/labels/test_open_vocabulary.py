"""Open-vocabulary options: the committed word list, and each fix as a pure function on tiny
vectors."""

import numpy as np
import pytest

from pse_tf.data import CLASS_NAMES
from pse_tf.labels import LabelEncoding, load_word_vectors, phrase_tokens
from pse_tf.labels import open_vocabulary as ov


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
        assert [w["half"] for w in words] == [ov.HALVES[i % 2] for i in range(len(words))]
    dev, held = (ov.unseen_words(dataset, half) for half in ov.HALVES)
    assert len(dev) + len(held) == len(ov.unseen_words(dataset)) and len(held) >= 15
    with pytest.raises(ValueError, match="half"):
        ov.unseen_words(dataset, "test")


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(ValueError, match="mnist"):
        ov.unseen_words("cifar10")


def test_singular_only_towards_targets():
    targets = {"sandal", "t-shirt", "bag", "one", "booty"}
    assert ov.singular("sandals", targets) == "sandal"
    assert ov.singular("T-shirts", targets) == "t-shirt"
    assert ov.singular("bags", targets) == "bag"
    assert ov.singular("ones", targets) == "one"
    assert ov.singular("booties", targets) == "booty"  # -ies -> -y when that is a target
    assert ov.singular("jeans", targets) == "jeans"  # "jean" is no target: unchanged
    assert ov.singular("dress", {"dres"}) == "dress"  # -ss is not a plural
    assert ov.singular_tokens("red sandals", targets) == "red sandal"


def test_spell_numerals():
    assert ov.spell_numerals("7") == "seven"
    assert ov.spell_numerals("0 and 20 21") == "zero and twenty 21"
    assert ov.spell_numerals("07 \u0667") == "07 \u0667"  # plain numerals only: a finite map


@pytest.mark.parametrize("names", [("t-shirt", "trouser", "ankle boot", "bag"),
                                   ("zero", "one", "two"), ("lady", "glass", "box")])
def test_replacements_are_the_normalisation_token_by_token(names):
    vocab = ov.OpenVocabulary(plurals="labels", numerals=True)
    table = vocab.replacements(names)
    targets = set(names) | {t for n in names for t in n.split()}
    # every token singular() or spell_numerals() would change is a key, mapped the same way
    tokens = ["boots", "Boots", "ankles", "ladies", "glasses", "glasss", "boxes", "bags", "twos",
              "ones", "7", "20", "21", "07", "jeans", "dress", "t-shirts", "T-SHIRTS"]
    for token in tokens:
        expected = ov.singular(ov.spell_numerals(token), targets)
        assert table.get(token.lower(), token) == expected, token
    if "lady" in names:
        assert table["ladies"] == "lady" and table["boxes"] == "box" and "glasss" not in table
    assert all(" " not in key for key in table)
    if "t-shirt" in names:
        assert vocab.normalise("Red  T-Shirts 7", names) == "Red t-shirt seven"
    assert ov.OpenVocabulary().replacements(names) == {}
    assert ov.OpenVocabulary().normalise("ankle  boots", names) == "ankle  boots"


def test_class_names_keep_their_rows_under_every_option():
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    for option in (ov.OpenVocabulary(mapping="project"), ov.DEFAULT,
                   ov.OpenVocabulary(mapping="soft_assign", similarity="centred",
                                     temperature=0.1)):
        np.testing.assert_array_equal(option.encode(encoding, ["coat", "bag"]),
                                      encoding.vectors[[4, 8]])
    # plurals normalised to a class name get that class's row
    np.testing.assert_array_equal(ov.DEFAULT.encode(encoding, ["sandals"]), encoding.vectors[[5]])
    hard = ov.OpenVocabulary(mapping="soft_assign", similarity="cosine").encode(encoding, ["gown"])
    assert any(np.array_equal(hard[0], v) for v in encoding.vectors)


def test_option_values_are_checked():
    with pytest.raises(ValueError, match="mapping"):
        ov.OpenVocabulary(mapping="snap")
    with pytest.raises(ValueError, match="temperature"):
        ov.OpenVocabulary(temperature=-1)


def test_lexicon_mapping_gives_a_one_word_phrase_its_wordnet_class_row():
    """"backpack" names bag in WordNet: it gets bag's stored row. A word that names no class, a
    phrase of two words and a class name keep what "raw" gives them."""
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    kv = encoding.word_vectors()
    lexicon = ov.OpenVocabulary(plurals="labels", numerals=True, mapping="lexicon")
    text = ov.OpenVocabulary(plurals="labels", numerals=True)
    phrases = ["backpack", "Backpack", "galaxy", "red backpack", "sandals", "ankle boot"]
    got, raw = lexicon.encode(encoding, phrases), text.encode(encoding, phrases)
    bag = encoding.vectors[encoding.class_names.index("bag")]
    np.testing.assert_array_equal(got[0], bag)
    np.testing.assert_array_equal(got[1], bag)
    assert not np.allclose(raw[0], bag)  # the word's own vector is elsewhere
    np.testing.assert_array_equal(got[2:], raw[2:])
    np.testing.assert_allclose(got[3], (kv["red"] + kv["backpack"]) / 2, atol=1e-6)
    assert lexicon.name == "lexicon+plurals-labels+numerals"
