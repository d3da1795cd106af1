"""The knowledge table (`pse_tf.labels.knowledge`), on the real WordNet 3.0 (and FreeDict)."""

import numpy as np
import pytest

from pse_tf.data import CLASS_NAMES
from pse_tf.labels.knowledge import (ABSTAIN, DEFAULT_RULE, Rule, knowledge_table, number_forms,
                                     word_classes)
from pse_tf.labels.lexicon import wordnet
from pse_tf.labels.vectors import keyed_vectors

FASHION = CLASS_NAMES["fashion_mnist"]
DIGITS = CLASS_NAMES["mnist"]
ENGLISH = Rule(dictionaries=False, thesaurus=False)


def english(**options) -> Rule:
    """A rule with these options and no dictionary."""
    return Rule(dictionaries=False, thesaurus=False, **options)


@pytest.fixture(scope="module")
def reader():
    return wordnet()


def named(reader, words, classes, rule=ENGLISH):
    return [classes[c] if c >= 0 else None for c in word_classes(reader, words, classes, rule)]


def test_synonyms_and_hyponyms_name_their_class(reader):
    words = ["nought", "ace", "trio", "pair"]
    assert named(reader, words, DIGITS) == ["zero", "one", "three", "two"]
    words = ["cardigan", "sweater", "handbag", "jeans", "sneakers", "frock", "parka", "boots"]
    assert named(reader, words, FASHION) == ["pullover", "pullover", "bag", "trouser", "sneaker",
                                             "dress", "coat", "ankle boot"]


def test_siblings_and_unrelated_words_abstain(reader):
    # every digit is a sibling of every other under digit.n.01: none names another
    assert named(reader, ["two", "seven", "nine", "digit"], ("zero", "one")) == [None] * 4
    assert named(reader, ["car", "happy", "figure", "state", "government"], FASHION) == [None] * 5
    assert named(reader, ["car", "happy", "figure", "seven hundred", ""], DIGITS) == [None] * 5


def test_number_forms_come_from_inflect():
    forms = number_forms(DIGITS)
    assert forms["fifth"] == 5 and forms["5th"] == 5 and forms["zeroth"] == 0
    assert forms["first"] == 1 and forms["2nd"] == 2 and forms["ninth"] == 9
    assert "tenth" not in forms and "fiftieth" not in forms
    assert number_forms(FASHION) == {}




def test_rule_options_are_checked():
    with pytest.raises(ValueError, match="number_affixes must be >= 0"):
        Rule(number_affixes=-2)
    with pytest.raises(ValueError, match="parent must be >= 0"):
        Rule(parent=-1)


def test_a_rule_name_tells_every_option_apart():
    """Export metadata and result files name a rule by `Rule.name`: a change to any one option
    gives another name, and the same options the same name."""
    import dataclasses

    changed = {"parent": 0, "numbers": False, "dictionaries": False, "number_senses": False,
               "number_affixes": 3, "affix_senses": False, "other_senses": False,
               "heads": False, "thesaurus": False}
    assert set(changed) == {f.name for f in dataclasses.fields(Rule)}
    names = [DEFAULT_RULE.name] + [Rule(**{k: v}).name for k, v in changed.items()]
    assert len(set(names)) == len(names), names
    assert Rule().name == DEFAULT_RULE.name


def test_adjective_and_adverb_senses_of_number_forms_name_their_class(reader):
    words = ["secondly", "firstly", "fifthly", "half-dozen"]
    assert named(reader, words, DIGITS) == ["two", "one", "five", "six"]
    assert named(reader, words, DIGITS, english(number_senses=False)) == [
        None] * 4


def test_productive_number_suffixes_name_the_digit_but_never_another_number(reader):
    words = ["sevenfold", "ninefold", "twosome", "five-spot"]
    assert named(reader, words, DIGITS) == ["seven", "nine", "two", "five"]
    # "teen" and "ty" attach to digits too, but make other numbers
    assert named(reader, ["fourteen", "seventeen", "sixty", "sixties", "ninetieth"],
                 DIGITS) == [None] * 5
    off = english(number_affixes=0)
    assert named(reader, ["sevenfold", "ninefold"], DIGITS, off) == [None, None]
    # a suffix must be productive: "one" + "rous" is no number word
    assert named(reader, ["onerous", "sevenish"], DIGITS) == [None, None]


def test_the_senses_of_affixed_number_words_lend_their_synonyms(reader):
    # "fourfold" names four by its suffix; "quadruplex" shares its first adjective sense
    words = ["quadruplex", "quadruplicate"]
    assert named(reader, words, DIGITS) == ["four", "four"]
    assert named(reader, words, DIGITS, english(affix_senses=False)) == [
        None] * 2
    # without the suffix rule there is nothing to lend
    assert named(reader, words, DIGITS, english(number_affixes=0)) == [None] * 2
    # other adjectives of the same cluster, with no affixed number word in a first sense
    assert named(reader, ["multiple", "manifold"], DIGITS) == [None, None]


def test_other_senses_of_a_class_name_lend_their_synonyms_only_where_they_come_first(reader):
    assert named(reader, ["nil", "zilch", "nada"], DIGITS) == ["zero"] * 3
    assert named(reader, ["nil", "zilch"], DIGITS, english(other_senses=False)) == [None, None]
    # "base" is a baseball bag only in a late sense: it keeps its own meaning
    assert named(reader, ["base"], FASHION) == [None]


def test_compounds_unknown_to_wordnet_are_named_by_their_head(reader):
    assert named(reader, ["trenchcoat", "gumboots"], FASHION) == ["coat", "ankle boot"]
    assert named(reader, ["trenchcoat"], FASHION, english(heads=False)) == [
        None]
    # a head needs 4 letters ("anyone" is no "one"), and a word WordNet knows is not split
    assert named(reader, ["anyone", "everyone"], DIGITS) == [None, None]
    assert named(reader, ["sandbag"], FASHION) == named(reader, ["sandbag"], FASHION,
                                                        english(heads=False))


def test_bilingual_dictionaries_translate_into_english(reader):
    from pse_tf.data import freedict

    if not freedict.available():
        pytest.skip("FreeDict is not fetched here (python -m pse_tf.data fetch freedict)")
    rule = Rule(dictionaries=True)
    assert named(reader, ["cinq", "drei", "nueve", "sette"], DIGITS, rule) == [
        "five", "three", "nine", "seven"]
    assert named(reader, ["manteau", "stiefel"], FASHION, rule) == ["coat", "ankle boot"]
    # English senses first; a word whose translations name no class abstains
    assert named(reader, ["car", "pain", "chat"], FASHION, rule) == [None] * 3
    assert named(reader, ["cinq"], DIGITS, ENGLISH) == [None]


def test_words_english_uses_are_not_read_as_foreign(reader):
    from pse_tf.data import freedict

    if not freedict.available():
        pytest.skip("FreeDict is not fetched here (python -m pse_tf.data fetch freedict)")
    # French "on" and German "man" are "one", Italian "due" is "two"; in English they are not
    words = ["man", "on", "due", "cero", "dos"]
    assert named(reader, words, DIGITS, DEFAULT_RULE) == [None, None, None, "zero", "two"]
    assert named(reader, ["film", "fell"], FASHION, DEFAULT_RULE) == [None, None]


def test_words_english_hardly_uses_are_named_by_their_listed_synonyms(reader):
    from pse_tf.data import freedict

    if not freedict.available():
        pytest.skip("FreeDict is not fetched here (python -m pse_tf.data fetch freedict)")
    # one list per entry (sense), lower case; an entry may list none
    assert freedict.synonyms("Raglan") == [["raglan coat"], []]
    assert freedict.synonyms("sweater")[0][:2] == ["pullover", "jumper"]
    assert freedict.synonyms("no-such-headword") == []
    # "polos": "polo shirts"; "raglan": "raglan coat"; "quintupled": "multiplied fivefold"
    words = ["polos", "raglan", "straitjacket"]
    assert named(reader, words, FASHION, DEFAULT_RULE) == ["shirt", "coat", "coat"]
    assert named(reader, words, FASHION, Rule(thesaurus=False)) == [None] * 3
    assert named(reader, ["quintupled"], DIGITS, DEFAULT_RULE) == ["five"]
    # function words and words English uses are not read ("we": "one", "you"; "case")
    assert named(reader, ["we", "you", "case"], DIGITS, DEFAULT_RULE) == [None] * 3
    # a synonym names a class by its usual meaning: "cudgel" is a club, and "club" is no nine
    assert named(reader, ["cudgel", "truncheon"], DIGITS, DEFAULT_RULE) == [None, None]


def test_the_table_covers_every_word_of_the_vectors_and_is_cached(reader):
    words = ["the", "nought", "trio", "5th", "car", "fifth", "a"]
    kv = keyed_vectors(words, np.zeros((len(words), 3), np.float32))
    table = knowledge_table(kv, DIGITS, ENGLISH)
    assert table.shape == (len(words),) and table.dtype == np.int64
    assert [DIGITS[c] if c >= 0 else None for c in table] == [
        None, "zero", "three", "five", None, "five", None]
    assert knowledge_table(kv, DIGITS, ENGLISH) is table  # per process
    assert table[words.index("car")] == ABSTAIN  # a word that names nothing keeps its vector
