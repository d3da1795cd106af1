"""pse_tf.inference without a trained model: query algebra, inputs, and both back ends on a tiny
model (a run directory written by hand, and its export)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pse_tf.inference import (
    InputError,
    check_images,
    frequent_words,
    parse_query,
    read_images,
    read_word_file,
)


@pytest.mark.parametrize("query, terms", [
    ("sneaker", [(1.0, "sneaker")]),
    ("sneaker + sandal", [(1.0, "sneaker"), (1.0, "sandal")]),
    ("ankle boot - ankle", [(1.0, "ankle boot"), (-1.0, "ankle")]),
    # a hyphen or slash inside a word belongs to the word
    ("t-shirt", [(1.0, "t-shirt")]),
    ("T-shirt/top", [(1.0, "T-shirt/top")]),
    ("x-ray + t-shirt", [(1.0, "x-ray"), (1.0, "t-shirt")]),
    ("shirt - sleeve + dress", [(1.0, "shirt"), (-1.0, "sleeve"), (1.0, "dress")]),
    ("t-shirt - shirt + top", [(1.0, "t-shirt"), (-1.0, "shirt"), (1.0, "top")]),
    ("  boot   -  ankle ", [(1.0, "boot"), (-1.0, "ankle")]),
    # any Unicode whitespace separates tokens; other Unicode is word text
    ("boot\u3000-\u00a0ankle\tboot", [(1.0, "boot"), (-1.0, "ankle boot")]),
    ("Café + Über − naïve", [(1.0, "Café"), (1.0, "Über − naïve")]),  # U+2212 is no operator
    ("a+b", [(1.0, "a+b")]),
])
def test_parse_query(query, terms):
    assert parse_query(query) == terms


@pytest.mark.parametrize("query, message", [
    ("", "is empty"), ("   ", "is empty"), ("\u3000\n", "is empty"),
    ("-", "must stand between"), ("+", "must stand between"), ("+ - +", "must stand between"),
    ("+ boot", "must stand between"), ("boot +", "ends with an operator"),
    ("boot + - shoe", "must stand between"),
    ("boot -ankle", "starts or ends with an operator"), ("boot- ankle", "starts or ends"),
    ("--", "starts or ends"), ("c++", "starts or ends"),
])
def test_bad_queries(query, message):
    with pytest.raises(InputError, match=message):
        parse_query(query)


def test_a_query_is_a_str():
    with pytest.raises(InputError, match="must be a str, got bytes"):
        parse_query(b"boot")


def test_frequent_words_skip_punctuation_and_numbers():
    assert frequent_words(["the", ",", "of", "1990", "'s", "anti-", "u.s.", "e-mail", "x"], 4) == \
        ["the", "of", "u.s.", "e-mail"]
    with pytest.raises(InputError, match="positive int"):
        frequent_words(["a"], 0)


def test_word_file(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("# comment\nboot\n\nankle boot\nboot\n")
    assert read_word_file(path) == ["boot", "ankle boot"]
    (tmp_path / "empty.txt").write_text("\n# nothing\n")
    with pytest.raises(InputError, match="has no words"):
        read_word_file(tmp_path / "empty.txt")
    with pytest.raises(InputError, match="does not exist"):
        read_word_file(tmp_path / "missing.txt")


def test_check_images_shapes_and_ranges():
    assert check_images(np.zeros((28, 28), np.uint8), (28, 28)).shape == (1, 28, 28)
    assert check_images(np.full((3, 784), 255, np.uint8), (28, 28)).max() == 1.0
    with pytest.raises(InputError, match=r"must be \[N, 28, 28\].*got shape \[2, 32, 32\]"):
        check_images(np.zeros((2, 32, 32), np.float32), (28, 28))
    with pytest.raises(InputError, match=r"in \[0, 1\]"):
        check_images(np.full((1, 28, 28), 2.0), (28, 28))
    with pytest.raises(InputError, match="uint8"):
        check_images(np.zeros((1, 28, 28), np.int64), (28, 28))


def test_read_images(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (28, 28)).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(tmp_path / "big.png")
    np.save(tmp_path / "b.npy", np.zeros((2, 28, 28), np.float32))
    images, names = read_images([tmp_path / "a.png", tmp_path / "b.npy"], (28, 28))
    assert images.shape == (3, 28, 28) and names == ["a.png", "b.npy[0]", "b.npy[1]"]
    np.testing.assert_allclose(images[0], pixels / 255.0, atol=1e-6)
    inverted, _ = read_images([tmp_path / "a.png"], (28, 28), invert=True)
    np.testing.assert_allclose(inverted[0], 1 - pixels / 255.0, atol=1e-6)
    with pytest.raises(InputError, match="is 30x40 pixels.*--resize"):
        read_images([tmp_path / "big.png"], (28, 28))
    assert read_images([tmp_path / "big.png"], (28, 28), resize=True)[0].shape == (1, 28, 28)
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(InputError, match="not a readable image file"):
        read_images([tmp_path / "bad.png"], (28, 28))
    with pytest.raises(InputError, match="does not exist"):
        read_images([tmp_path / "none.png"], (28, 28))


# -- the default text normalisation, the same on a run and on its export -------------------------
NORMALISED = ["trousers", "Sneakers", "ankle  BOOTS", "7", "t-shirts", "bag", "red coats"]


@pytest.fixture(scope="module")
def run_and_export(tmp_path_factory):
    """A hand-written run with random weights and its export (a 2,000-word vocabulary)."""
    from tests.helpers.random_run import write_random_run

    return write_random_run(tmp_path_factory.mktemp("normalised"))


def test_run_and_export_normalise_phrases_the_same(run_and_export):
    from pse_tf.inference import load
    from pse_tf.labels import load_word_vectors, phrase_vector

    run, exported = (load(p) for p in run_and_export)
    np.testing.assert_allclose(run.phrase_vectors(NORMALISED), exported.phrase_vectors(NORMALISED),
                               atol=1e-6)
    np.testing.assert_allclose(run.generate(NORMALISED, 3, seed=11),
                               exported.generate(NORMALISED, 3, seed=11), atol=1e-4)
    # The normalised words are their class's label vector on both paths; GloVe's own vector of
    # "trousers" is another, so a path that skipped the normalisation would fail here.
    trouser, sneaker = run.phrase_vectors(["trouser", "sneaker"])
    for pse in (run, exported):
        got = pse.phrase_vectors(["trousers", "Sneakers"])
        np.testing.assert_allclose(got, [trouser, sneaker], atol=1e-6)
    assert not np.allclose(phrase_vector(load_word_vectors(), "trousers"), trouser, atol=1e-3)
    np.testing.assert_allclose(exported.phrase_vectors(["7"]),
                               [phrase_vector(load_word_vectors(), "seven")], atol=1e-6)


def test_export_records_its_normalisation(run_and_export):
    import json

    from pse_tf.export import METADATA_FILE
    from pse_tf.labels.open_vocabulary import DEFAULT

    text = json.loads((run_and_export[1] / METADATA_FILE).read_text())["text"]
    assert text["normalisation"]["option"] == DEFAULT.name
    assert text["normalisation"]["replacements"] > 0


def test_run_and_export_read_queries_the_same(run_and_export):
    """One grammar on both back ends: "t-shirt" is the class, not "t" minus "shirt"."""
    from pse_tf.inference import load
    from pse_tf.labels import load_word_vectors, phrase_vector

    kv = load_word_vectors()
    for predictor in (load(p) for p in run_and_export):
        t_shirt, algebra = predictor.query_vectors(["t-shirt", "shirt - coat + dress"])
        np.testing.assert_allclose(t_shirt, predictor.backend.phrase_vectors(["t-shirt"])[0])
        assert predictor.class_names[0] == "t-shirt"
        expected = sum(s * phrase_vector(kv, w) for s, w in
                       ((1, "shirt"), (-1, "coat"), (1, "dress")))
        np.testing.assert_allclose(algebra, expected, atol=1e-5)
        for bad in ("+ - +", "-", ""):
            with pytest.raises(InputError):
                predictor.query_vectors([bad])
        assert predictor.generate(["t-shirt"], 2, seed=1).shape == (1, 2, 28, 28)
