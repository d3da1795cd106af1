"""rejected_rules.py's two candidate rules, on the real WordNet 3.0."""

import pytest

from experiments.open_vocabulary.rejected_rules import gloss_class, margin_keeps, number_values
from pse_tf.data import CLASS_NAMES
from pse_tf.labels.knowledge import ClassNamer, Rule
from pse_tf.labels.lexicon import wordnet

DIGITS = CLASS_NAMES["mnist"]


@pytest.fixture(scope="module")
def reader():
    return wordnet()


def test_number_values_read_cardinals_ordinals_and_numerals():
    values = number_values()
    assert [values[w] for w in ("two", "fifth", "5th", "twenty", "0")] == [2, 5, 5, 20, 0]


def test_gloss_numbers_read_the_first_words_of_the_first_definition(reader):
    values = number_values()
    digits = {values[n]: c for c, n in enumerate(DIGITS)}
    assert DIGITS[gloss_class(reader, "twice", digits, values, 4)] == "two"  # "two times"
    # why the rule is rejected: "any period of seven consecutive days"
    assert DIGITS[gloss_class(reader, "week", digits, values, 4)] == "seven"
    assert gloss_class(reader, "week", digits, values, 2) == -1
    # "one of four children born at the same time": "one" followed by "of" is a pronoun
    assert DIGITS[gloss_class(reader, "quad", digits, values, 4)] == "four"
    # a word SemCor counts is skipped by the tight variant
    assert gloss_class(reader, "twice", digits, values, 2, counted={"twice"}) == -1
    assert gloss_class(reader, "no-such-word", digits, values, 4) == -1


def test_the_sense_count_margin_unnames_a_word_only_through_a_rare_late_sense(reader):
    decide = ClassNamer(reader, tuple(DIGITS), Rule(dictionaries=False, thesaurus=False))
    assert DIGITS[decide("span")] == "two"  # a pair, in an uncounted late sense
    assert not margin_keeps(decide, "span", decide("span"))
    assert margin_keeps(decide, "trio", decide("trio"))
    assert margin_keeps(decide, "fifth", decide("fifth"))  # named by inflect, not by a sense
