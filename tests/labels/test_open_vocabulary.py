"""The open-vocabulary rule: its text normalisation as pure functions, the default on real GloVe
vectors and WordNet, and the words a user teaches."""

import numpy as np
import pytest

from pse_tf.data import CLASS_NAMES
from pse_tf.labels import LabelEncoding
from pse_tf.labels import open_vocabulary as ov


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


def test_class_names_and_their_plurals_keep_their_rows():
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    np.testing.assert_array_equal(ov.DEFAULT.encode(encoding, ["coat", "bag", "sandals"]),
                                  encoding.vectors[[4, 8, 5]])


def test_option_values_are_checked():
    with pytest.raises(ValueError, match="mapping"):
        ov.OpenVocabulary(mapping="project")  # superseded: experiments/open_vocabulary/mappings.py
    with pytest.raises(ValueError, match="plurals"):
        ov.OpenVocabulary(plurals="all")


def test_default_gives_a_word_that_names_a_class_its_row_and_keeps_the_rest():
    """"backpack" names bag in the knowledge table: bag's stored row. A word that names no class,
    a phrase of two words and a class name keep what the paper's phrase vectors give them."""
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    kv = encoding.word_vectors()
    raw = ov.OpenVocabulary(plurals="labels", numerals=True)
    phrases = ["backpack", "Backpack", "galaxy", "red backpack", "sandals", "ankle boot"]
    got, plain = ov.DEFAULT.encode(encoding, phrases), raw.encode(encoding, phrases)
    bag = encoding.vectors[encoding.class_names.index("bag")]
    np.testing.assert_array_equal(got[:2], [bag, bag])
    assert not np.allclose(plain[0], bag)  # the word's own vector is elsewhere
    np.testing.assert_array_equal(got[2:], plain[2:])
    np.testing.assert_allclose(got[3], (kv["red"] + kv["backpack"]) / 2, atol=1e-6)
    table = ov.DEFAULT.word_classes(kv, encoding.class_names)
    assert table.shape == (len(kv.index_to_key),)
    assert table[kv.key_to_index["backpack"]] == 8 and table[kv.key_to_index["galaxy"]] == -1
    assert (raw.word_classes(kv, encoding.class_names) == -1).all()


# -- words a user teaches -------------------------------------------------------------------------
def test_taught_words_from_a_file_name_their_class_before_the_knowledge_table(tmp_path):
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    kv = encoding.word_vectors()
    path = tmp_path / "taught.tsv"
    path.write_text("# my words\nskorts\ttrouser\n\nbackpack\tcoat\ngalaxy\tdress\n")
    taught = ov.DEFAULT.teach(path)
    assert [w for w, _, _ in taught.taught] == ["skorts", "backpack", "galaxy"]
    assert taught.taught[0][2] == f"{path}:2" and taught.name.endswith("+taught3")
    got = taught.encode(encoding, ["skorts", "Backpack", "galaxy", "red galaxy", "bag"])
    rows = encoding.vectors
    np.testing.assert_array_equal(got[:3], rows[[1, 4, 3]])  # a taught class wins
    np.testing.assert_array_equal(got[3:], ov.DEFAULT.encode(encoding, ["red galaxy", "bag"]))
    table = taught.word_classes(kv, encoding.class_names)
    assert table[kv.key_to_index["skorts"]] == 1 and table[kv.key_to_index["cardigan"]] == 2
    # the Python API: a dict, on any rule
    api = ov.OpenVocabulary().teach({"skorts": "trouser"})
    np.testing.assert_array_equal(api.encode(encoding, ["skorts", "backpack"])[0], rows[1])
    assert not np.allclose(api.encode(encoding, ["backpack"])[0], rows[8])  # raw otherwise
    assert ov.DEFAULT.teach({})  == ov.DEFAULT


@pytest.mark.parametrize("line, message", [
    ("skorts\tskirt", r"taught.tsv:2: unknown class 'skirt' for 'skorts'; expected one of"),
    ("skorts trouser", r"taught.tsv:2: expected 'word<TAB>class', got 1 tab-separated column"),
    ("skorts\ttrouser\textra", r"taught.tsv:2: expected 'word<TAB>class', got 3"),
    ("blue skorts\ttrouser", r"taught.tsv:2: 'blue skorts' is not a word"),
    ("7\tseven", r"taught.tsv:2: '7' is not a word"),
    ("skorts\t ", r"taught.tsv:2: the class of 'skorts' is empty"),
    ("jortsxqzw\ttrouser", r"taught.tsv:2: 'jortsxqzw' is not one word of the word vectors"),
    ("skorts\tbag", r"taught.tsv:2: 'skorts' is taught both 'trouser' and 'bag'"),
])
def test_a_bad_taught_line_is_one_error_naming_the_file_and_line(tmp_path, line, message):
    encoding = LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec")
    path = tmp_path / "taught.tsv"
    first = "skorts\ttrouser\n" if "taught both" in message else "# header\n"
    path.write_text(first + line + "\n")
    with pytest.raises(ov.TaughtWordsError, match=message):
        ov.DEFAULT.teach(path).encode(encoding, ["coat"])


def test_taught_words_through_the_api_are_checked():
    encoding = LabelEncoding.build(CLASS_NAMES["mnist"], "word2vec")
    with pytest.raises(ov.TaughtWordsError, match="taught word 1: 'two words' is not a word"):
        ov.DEFAULT.teach({"two words": "two"})
    with pytest.raises(ov.TaughtWordsError, match="taught word 1: unknown class 'ten'"):
        ov.DEFAULT.teach({"tenner": "ten"}).encode(encoding, ["tenner"])
