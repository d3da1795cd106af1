"""The knowledge table's study-only options (`experiments.open_vocabulary.study_rules`), on the
real WordNet 3.0 (and FreeDict)."""

import dataclasses

import pytest

from experiments.open_vocabulary.study_rules import StudyRule
from pse_tf.data import CLASS_NAMES
from pse_tf.labels.class_senses import class_senses
from pse_tf.labels.knowledge import DEFAULT_RULE, word_classes
from pse_tf.labels.lexicon import wordnet

FASHION = CLASS_NAMES["fashion_mnist"]
DIGITS = CLASS_NAMES["mnist"]


@pytest.fixture(scope="module")
def reader():
    return wordnet()


def named(reader, words, classes, rule):
    return [classes[c] if c >= 0 else None for c in word_classes(reader, words, classes, rule)]


def english(**options) -> StudyRule:
    return StudyRule(dictionaries=False, thesaurus=False, **options)


def test_the_default_study_rule_decides_as_the_library_rule(reader):
    words = ["nought", "single", "cardigan", "trenchcoat", "cinq", "man", "tee", "car"]
    for classes in (DIGITS, FASHION):
        assert named(reader, words, classes, StudyRule()) == named(reader, words, classes,
                                                                  DEFAULT_RULE)
    assert StudyRule().name == DEFAULT_RULE.name


def test_the_abstain_margin_keeps_only_the_most_frequent_senses(reader):
    # "single": a base hit first, the digit one second
    assert named(reader, ["single"], DIGITS, english()) == ["one"]
    assert named(reader, ["single"], DIGITS, english(max_sense=1)) == [None]


def test_compound_first_parts_name_their_class(reader):
    # the compound lemmas that start with "toreador" (toreador_pants) all name trouser, and a
    # toreador is otherwise a bullfighter; "tee" has tee_hinge beside tee_shirt: nothing
    words = ["toreador", "tee"]
    assert named(reader, words, FASHION, english(heads=False)) == [None, None]
    assert named(reader, words, FASHION, english(heads=False, compounds=True)) == ["trouser",
                                                                                  None]


def test_first_senses_choose_nothing_for_zero(reader):
    first = class_senses(reader, DIGITS, StudyRule(senses="first", parent=0))
    assert first[0][0].name() == "nothing.n.01"
    assert class_senses(reader, DIGITS, StudyRule(parent=0))[0][0].name() == "zero.n.02"


def test_words_english_uses_are_read_as_foreign_only_when_asked(reader):
    from pse_tf.data import freedict

    if not freedict.available():
        pytest.skip("FreeDict is not fetched here (python -m pse_tf.data fetch freedict)")
    words = ["man", "on", "due", "cero", "dos"]
    assert named(reader, words, DIGITS, StudyRule(foreign="all")) == ["one", "one", "two",
                                                                      "zero", "two"]
    assert named(reader, ["film", "fell"], FASHION, StudyRule(foreign="all")) == ["coat", "bag"]


def test_study_options_are_checked_and_named():
    with pytest.raises(ValueError, match="senses must be one of"):
        StudyRule(senses="all")
    with pytest.raises(ValueError, match="max_sense must be >= 0"):
        StudyRule(max_sense=-1)
    with pytest.raises(ValueError, match="foreign must be one of"):
        StudyRule(foreign="some")
    with pytest.raises(ValueError, match="number_affixes must be >= 0"):
        StudyRule(number_affixes=-2)
    ties = StudyRule(senses="coherent_ties")
    names = [DEFAULT_RULE.name, ties.name, dataclasses.replace(ties, sense_tolerance=0.5).name]
    names += [StudyRule(**{k: v}).name for k, v in (("senses", "first"), ("compounds", True),
                                                   ("max_sense", 2), ("foreign", "all"))]
    assert len(set(names)) == len(names), names
