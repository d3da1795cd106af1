"""The FreeDict dictionaries as a fetched resource: file names, checksums, and what is read."""

import pytest

from pse_tf.data import DataError, freedict


@pytest.fixture(scope="module")
def folder():
    if not freedict.available():
        pytest.skip("FreeDict is not fetched here (python -m pse_tf.data fetch freedict)")
    return freedict.folder()


def test_every_dictionary_has_two_pinned_files():
    assert freedict.PAIRS == ("spa-eng", "deu-eng", "fra-eng", "ita-eng", "eng-deu")
    names = {name for pair in freedict.PAIRS for name in freedict.files(pair)}
    assert names == set(freedict.SHA256)
    assert freedict.files("eng-deu") == ("freedict-eng-deu.dict.dz", "freedict-eng-deu.index")


def test_a_file_that_is_not_debians_is_refused():
    with pytest.raises(DataError, match="sha256 .* expected .* corrupt or not Debian's"):
        freedict.verify("freedict-eng-deu.index", b"not the index")


def test_translations_read_the_entries_into_english(folder):
    assert "five" in freedict.translations("cinq")
    assert "coat" in freedict.translations("Manteau")  # any case
    assert freedict.translations("no-such-headword") == []


def test_synonyms_are_the_english_side_of_the_english_german_entries(folder):
    entries = freedict.synonyms("hoodie")  # the sweatshirt, then the crow
    assert entries[0] == ["hooded sweatshirt", "hoody"]
    assert "hooded crow" in entries[1]
    # German translations and "see:" cross-references are not synonyms
    assert all("kapuzenpullover" not in e and "sweatshirt" not in e for e in entries)
