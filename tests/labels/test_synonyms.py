"""The thesaurus rule's parts (`pse_tf.labels.synonyms`)."""

import pytest

from pse_tf.labels.lexicon import wordnet
from pse_tf.labels.number_words import ABSTAIN
from pse_tf.labels.synonyms import counted_lemmas, thesaurus_class, used_in_english


@pytest.fixture(scope="module")
def reader():
    return wordnet()


def test_words_english_uses_are_function_words_or_have_a_counted_form(reader):
    counted = counted_lemmas(reader)
    assert {"case", "dog", "run"} <= counted and "hoodie" not in counted
    # "cases" and "stocks" are not lemmas, but their base forms are counted
    assert [used_in_english(reader, counted, w) for w in ["we", "the", "cases", "stocks"]] == [
        True] * 4
    assert [used_in_english(reader, counted, w) for w in ["hoodie", "raglan"]] == [False] * 2
    # not a word at all: never read through a dictionary
    assert used_in_english(reader, counted, "42!") is True


def test_the_synonyms_of_one_entry_vote_and_entries_must_agree(monkeypatch):
    from pse_tf.data import freedict

    entries = {"a": [["x coat", "y"], ["crow"]],       # one of two names coat: enough
               "b": [["x coat", "y", "z"]],            # one of three: too few
               "c": [["x coat"], ["x shirt"]],          # two entries, two classes
               "d": [["x coat", "x shirt"]],            # one entry, two classes
               "e": []}
    monkeypatch.setattr(freedict, "synonyms", lambda word: entries[word])
    classes = {"x coat": 4, "x shirt": 6}
    vote = {w: thesaurus_class(w, lambda s: classes.get(s, ABSTAIN)) for w in entries}
    assert vote == {"a": 4, "b": ABSTAIN, "c": ABSTAIN, "d": ABSTAIN, "e": ABSTAIN}
