"""Text inside the SavedModel: the tokeniser's parity with the Python encoder, the text
signatures' parity with the Keras model, their errors, and what saved_model_cli shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from gensim.models import KeyedVectors

from pse_tf import export
from pse_tf.config import ModelConfig
from pse_tf.export.algebra import normalise_phrases, phrase_rows
from pse_tf.export.text import TEXT_SIGNATURES, WORD_SIGNATURES
from pse_tf.export.vocabulary import compound_words, vocabulary_words
from pse_tf.labels import OOVError, phrase_tokens, phrase_vector
from pse_tf.labels.open_vocabulary import DEFAULT
from pse_tf.models import get_model_class

from .conftest import TOL, Exported, random_images, randomise_weights, tiny

WORDS = ["the", "ankle", "boot", "boots", "t-shirt", "shirt", "t", "top", "new", "york",
         "Paris", "paris", "sandal", "high", "heel", ",", "boot,", "e-mail", "café", "über"]
CLASSES = ["ankle boot", "t-shirt/top", "sandal"]
# Case, punctuation, hyphens, slashes, runs of (unicode) whitespace, accents.
PHRASES = ["ankle boot", "Ankle BOOT", "  ankle   boot  ", "ankle\tboot\n", "ankle\u00a0boot",
           "ankle\u3000boot", "t-shirt", "T-Shirt", "t-shirt/top", "T-SHIRT/Top", "new-york",
           "new/york", "boot,", "Boot,", "boot , high-heel", "Paris", "PARIS", "paris", "e-mail",
           "E-Mail", "Café", "ÜBER boot", "ankle--boot", "ankle-/-boot", "-boot-", "ankle boot"]
OOV = ["jeans", "boot.", "ankle brogue", "---", "new-jersey", "t-shirt/jeans", "high-heels"]


def small_vectors(dim=5, seed=0):
    kv = KeyedVectors(dim)
    kv.add_vectors(WORDS, np.random.default_rng(seed).normal(size=(len(WORDS), dim)))
    return kv


def word_table(words):
    keys = tf.constant(words)
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.range(len(words), dtype=tf.int64)), -1)


def graph_tokens(words, phrases):
    """phrase_rows on a table of `words`: per phrase, the words found, or ("OOV", first word)."""
    rows, looked_up = phrase_rows(word_table(words), tf.constant(phrases))
    out = []
    for row, text in zip(rows.to_list(), looked_up.to_list()):
        missing = [t.decode() for r, t in zip(row, text) if r < 0]
        out.append(("OOV", missing[0]) if missing else [words[r] for r in row])
    return out


def python_tokens(kv, phrases):
    out = []
    for phrase in phrases:
        try:
            out.append(phrase_tokens(kv, phrase))
        except OOVError as err:
            out.append(("OOV", err.word))
    return out


def test_graph_tokeniser_matches_python_encoder():
    kv = small_vectors()
    assert graph_tokens(WORDS, PHRASES + OOV) == python_tokens(kv, PHRASES + OOV)
    assert python_tokens(kv, ["T-SHIRT/Top"]) == [["t", "shirt", "top"]]  # the cases are real
    assert [t[0] for t in python_tokens(kv, OOV)] == ["OOV"] * len(OOV)


# Plurals of class-name words in any case and spacing, numerals, and words left alone.
TO_NORMALISE = ["sandals", "Sandals", "SANDALS boots", "  ankle\tboots ", "ankle\u00a0boots",
                "t-shirt/tops", "7 sandals", "07", "20 21", "dresses", "booties", "boot", "sandal",
                "t-shirt/top", "jeans", "bags,", ""]


def test_graph_normalisation_matches_python():
    replacements = DEFAULT.replacements(CLASSES)
    keys, values = zip(*sorted(replacements.items()))
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(keys), tf.constant(values)), default_value="")
    got = [p.decode() for p in normalise_phrases(table, tf.constant(TO_NORMALISE)).numpy()]
    assert got == [DEFAULT.normalise(p, CLASSES) for p in TO_NORMALISE]
    assert got[:4] == ["sandal", "sandal", "sandal boot", "ankle boot"]  # the cases are real
    assert normalise_phrases(None, tf.constant(["ankle  boots"])).numpy().tolist() == \
        [b"ankle  boots"]


def test_vocabulary_is_most_frequent_words_plus_class_words():
    kv = small_vectors()
    assert vocabulary_words(kv, 3, CLASSES) == ["the", "ankle", "boot", "t", "shirt", "top",
                                                "sandal"]
    with pytest.raises(ValueError, match="positive int"):
        vocabulary_words(kv, 0)


def test_compound_words_are_those_with_a_hyphen_or_slash_beside_other_characters():
    kv = KeyedVectors(2)
    kv.add_vectors(["the", "x-ray", "-", "--", "1/2", "a/b-c", "plain"], np.zeros((7, 2)))
    assert compound_words(kv) == ["x-ray", "1/2", "a/b-c"]


def test_vocabulary_keeps_extra_words_whatever_their_frequency():
    kv = small_vectors()
    # "paris" and "heel" are rare here (ranks 11 and 14); "jeans" has no vector and is skipped.
    assert vocabulary_words(kv, 3, CLASSES, ["heel", "paris", "jeans", "the"]) == \
        ["the", "ankle", "boot", "t", "shirt", "top", "sandal", "heel", "paris"]


@pytest.mark.slow
def test_a_rare_word_the_lexicon_knows_is_served_as_the_run_encodes_it(tmp_path):
    """GloVe's own vocabulary, 1,000 most frequent words kept: "dyad" (rank ~170,000, a WordNet
    lemma) is still served, with the Python path's vector; a rare non-lemma word is refused with
    the fix."""
    from pse_tf.labels import load_word_vectors

    kv = load_word_vectors()
    model = word_model(kv)
    result = export.export_model(model, "lexicon_words", tmp_path, tflite=False,
                                 text_options={"vocabulary_size": 1000})
    exported = Exported(model, result)
    assert "WordNet lemmas" in exported.metadata["text"]["lexicon_words"]
    out = exported.call("phrase_vectors", phrases=np.array(["dyad", "ankle boot"], dtype=object))
    np.testing.assert_allclose(out["label_vectors"][0], phrase_vector(kv, "dyad"), atol=1e-5)
    rare = next(w for w in kv.index_to_key[300000:] if w.isalpha() and w not in
                {name.lower() for name in load_lexicon_lemmas()})
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"word `{rare}`.*--vocabulary-size"):
        exported.call("phrase_vectors", phrases=np.array([rare], dtype=object))


@pytest.mark.slow
def test_a_retrofitted_run_is_served_with_the_retrofitted_vectors(tmp_path):
    """lexicon="wordnet": the export stores the table the run encodes phrases with, so a served
    "jeans" is the run's retrofitted vector, not GloVe's."""
    from pse_tf.labels import load_word_vectors

    kv = load_word_vectors(lexicon="wordnet")
    raw = load_word_vectors()
    model = word_model(kv)
    result = export.export_model(model, "retrofitted", tmp_path, tflite=False,
                                 text_options={"vocabulary_size": 1000, "lexicon": "wordnet"})
    exported = Exported(model, result)
    assert exported.metadata["text"]["lexicon"] == "wordnet"
    out = exported.call("phrase_vectors", phrases=np.array(["jeans"], dtype=object))
    np.testing.assert_allclose(out["label_vectors"][0], phrase_vector(kv, "jeans"), atol=1e-5)
    assert np.abs(phrase_vector(kv, "jeans") - phrase_vector(raw, "jeans")).max() > 1e-2


def load_lexicon_lemmas():
    from pse_tf.labels.lexicon import wordnet

    return wordnet().all_lemma_names()


def word_model(kv, classes=CLASSES, latent_dim=3):
    vectors = np.stack([phrase_vector(kv, c) for c in classes])
    config = ModelConfig(name="pse_star", latent_dim=latent_dim, hidden_units=(32, 16),
                         classifier_units=(16,))
    model = get_model_class("pse_star")(config, vectors, classes, "word2vec", seed=0).build_all()
    randomise_weights(model, seed=5)
    return model


@pytest.fixture(scope="module")
def text_export(tmp_path_factory):
    kv = small_vectors()
    model = word_model(kv)
    result = export.export_model(model, "text", tmp_path_factory.mktemp("text"), tflite=False,
                                 text_options={"word_vectors": kv, "vocabulary_size": len(WORDS),
                                               "top_k": 4})
    exported = Exported(model, result)
    exported.kv = kv
    return exported


def test_text_signatures_listed_with_vocabulary(text_export):
    meta = text_export.metadata
    assert set(TEXT_SIGNATURES) <= set(meta["signatures"]) <= set(text_export.loaded.signatures)
    assert meta["signatures"]["annotate_words"]["outputs"]["words"] == {"dtype": "string",
                                                                       "shape": [None, 4]}
    words = (text_export.result.path / meta["text"]["vocabulary_file"]).read_text().split("\n")
    assert words[:-1] == vocabulary_words(text_export.kv, len(WORDS), CLASSES) == WORDS
    assert meta["text"]["vocabulary_size"] == len(words) - 1


def test_phrase_vectors_and_generate_text_equal_python_path(text_export):
    kv, model = text_export.kv, text_export.model
    phrases = ["ankle boot", "Ankle  BOOT", "t-shirt/top", "boot , t-shirt", "ANKLE\tboot"]
    expected = np.stack([phrase_vector(kv, p) for p in phrases])
    got = text_export.call("phrase_vectors", phrases=phrases)["label_vectors"]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    for seed in (0, 7, 2**40 + 3):
        images = text_export.call("generate_text", phrases=phrases, seed=np.int64(seed))["images"]
        pixels = model.generate(expected, export.seed_pair(seed)).numpy().reshape(images.shape)
        np.testing.assert_allclose(images, pixels, atol=TOL)


def test_phrase_vectors_normalise_like_the_python_path(text_export):
    kv, model = text_export.kv, text_export.model
    phrases = ["sandals", "Ankle BOOTS", "boots , sandal", "t-shirt/top"]
    normalised = [DEFAULT.normalise(p, CLASSES) for p in phrases]
    assert normalised[:2] == ["sandal", "Ankle boot"]
    expected = np.stack([phrase_vector(kv, p) for p in normalised])
    got = text_export.call("phrase_vectors", phrases=phrases)["label_vectors"]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(got[0], model.label_vectors.numpy()[2], atol=1e-7)  # "sandal"
    assert not np.allclose(phrase_vector(kv, "boots"), phrase_vector(kv, "boot"))
    assert text_export.metadata["text"]["normalisation"]["option"] == DEFAULT.name


def test_class_name_gets_the_stored_label_vector(text_export):
    got = text_export.call("phrase_vectors", phrases=CLASSES)["label_vectors"]
    np.testing.assert_allclose(got, text_export.model.label_vectors.numpy(), atol=1e-7)


def test_annotate_words_ranks_the_annotation_vocabulary_as_python_does(text_export):
    """The stored annotation list, each word's vector as phrase_vectors gives it (a word that
    names a class: the class's row), the named-word prior, softmax over the list."""
    from pse_tf.labels.annotation_vocabulary import annotation_words, named_prior

    model, kv = text_export.model, text_export.kv
    images = random_images(model, count=5)
    out = text_export.call("annotate_words", images=images)
    name = text_export.metadata["text"]["annotation_vocabulary_file"]
    words = (text_export.result.path / name).read_text().split("\n")[:-1]
    assert words == [w for w in annotation_words(kv, CLASSES)
                     if all(t in kv.key_to_index for t in w.split())]
    assert words[:2] == ["ankle boot", "sandal"]  # the class names first
    vectors = DEFAULT.encode(LabelEncodingLike(kv, model), words)
    prior = named_prior(vectors, model.label_vectors.numpy())
    assert prior.max() > 0 and prior.min() == 0
    log_likelihood = model.annotation_log_likelihood(images.reshape(5, -1), vectors).numpy()
    probs = tf.nn.softmax(log_likelihood + prior[None, :]).numpy()
    best = np.argsort(-probs, axis=1, kind="stable")[:, :4]
    assert out["words"].shape == (5, 4) and out["scores"].dtype == np.float32
    np.testing.assert_allclose(out["scores"], np.take_along_axis(probs, best, 1), atol=1e-5)
    assert [[w.decode() for w in row] for row in out["words"]] == \
        [[words[j] for j in row] for row in best]


class LabelEncodingLike:
    """What `OpenVocabulary.encode` reads of a LabelEncoding: word vectors and class rows."""

    encoding = "word2vec"

    def __init__(self, kv, model):
        self.kv = kv
        self.class_names = list(model.class_names)
        self.vectors = model.label_vectors.numpy()

    def word_vectors(self):
        return self.kv

    def encode(self, phrases):
        rows = {n: i for i, n in enumerate(self.class_names)}
        return np.stack([self.vectors[rows[p]] if p in rows else phrase_vector(self.kv, p)
                         for p in phrases]).astype(np.float32)


@pytest.mark.parametrize("phrases, message", [
    ([""], r"phrases must be a string vector \[N\] of non-empty phrases; phrase 0 \(\) has no"),
    (["boot", "   "], r"phrase 1 \(   \) has no words"),
    (["boot", "ankle jeans"], r"word `jeans` of phrase `ankle jeans` is outside the vocabulary "
                              r"of this export \(the 20 words.*export the run again with a larger "
                              r"vocabulary: python scripts/export.py RUN_DIR --vocabulary-size"),
    (["boot."], r"word `boot.` of phrase `boot.`"),
    ([["boot"]], r"phrases must be a string vector \[N\].*got a rank-2 tensor"),
])
def test_bad_phrases_fail_with_clear_errors(text_export, phrases, message):
    for key, extra in (("phrase_vectors", {}), ("generate_text", {"seed": np.int64(0)})):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            text_export.call(key, phrases=np.array(phrases, dtype=object), **extra)


def test_non_string_phrases_are_refused(text_export):
    with pytest.raises((TypeError, ValueError, tf.errors.InvalidArgumentError),
                       match="string"):
        text_export.loaded.signatures["phrase_vectors"](phrases=tf.constant([1.0, 2.0]))


def test_empty_batch(text_export):
    out = text_export.loaded.signatures["generate_text"](phrases=tf.constant([], tf.string),
                                                         seed=tf.constant(0, tf.int64))
    assert out["images"].shape == (0, 28, 28)


def test_saved_model_cli_lists_text_signatures(text_export):
    cli = Path(sys.executable).parent / "saved_model_cli"
    text = subprocess.run([str(cli), "show", "--dir", str(text_export.result.path), "--all"],
                          capture_output=True, text=True, check=True, timeout=300).stdout
    for key, spec in TEXT_SIGNATURES.items():
        assert f"signature_def['{key}']" in text
    body = text.split("signature_def['generate_text']")[1].split("signature_def[")[0]
    assert "inputs['phrases'] tensor_info:\n        dtype: DT_STRING" in body
    assert "inputs['seed'] tensor_info:\n        dtype: DT_INT64" in body


def test_onehot_export_skips_word_signatures(tmp_path):
    result = export.export_model(tiny(), "onehot", tmp_path, tflite=False)
    meta = json.loads(result.metadata_path.read_text())
    assert set(meta["omitted_signatures"]) == set(WORD_SIGNATURES)
    assert "no word vectors" in meta["omitted_signatures"]["generate_text"]
    loaded = tf.saved_model.load(str(result.path))
    assert "embed_labels" in loaded.signatures and "generate_text" not in loaded.signatures


@pytest.mark.slow
def test_taught_words_are_served_as_the_python_path_encodes_them(tmp_path):
    """The rule with taught words in the graph: the export stores `word_classes` (taught words
    over the knowledge table), keeps a rare taught word in a small vocabulary, and
    phrase_vectors gives the Python encoder's vectors, algebra included."""
    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels import LabelEncoding

    classes = tuple(CLASS_NAMES["fashion_mnist"])
    encoding = LabelEncoding.build(classes, "word2vec")
    model = word_model(encoding.word_vectors(), classes)
    rule = DEFAULT.teach({"skorts": "trouser", "backpack": "coat", "galaxy": "dress"})
    result = export.export_model(model, "taught", tmp_path, tflite=False,
                                 text_options={"vocabulary_size": 1000, "normalisation": rule})
    exported = Exported(model, result)
    note = exported.metadata["text"]["normalisation"]
    assert note["option"] == rule.name and "3 taught words" in note["word_classes"]
    # "flip-flops" is a rare word of GloVe that WordNet knows only as "flip-flop": kept as one
    # of the compound words, it is one word in the export as in Python (not "flip" + "flops")
    phrases = ["skorts", "backpack", "Sweatpants", "galaxy", "red backpack", "sandals",
               "ankle boot", "bag", "flip-flops"]
    got = exported.call("phrase_vectors", phrases=np.array(phrases, dtype=object))
    expected = rule.encode(encoding, phrases)
    np.testing.assert_allclose(got["label_vectors"], expected, atol=1e-6)
    rows = model.label_vectors.numpy()
    for i, name in ((0, "trouser"), (1, "coat"), (2, "trouser"), (3, "dress"), (8, "sandal")):
        np.testing.assert_array_equal(got["label_vectors"][i], rows[classes.index(name)])
    both = exported.call("phrase_vectors", phrases=np.array(["skorts - galaxy"], dtype=object))
    np.testing.assert_allclose(both["label_vectors"][0], expected[0] - expected[3], atol=1e-6)


@pytest.mark.slow
def test_every_word_python_accepts_is_served_alike(tmp_path):
    """The default export keeps every GloVe word and the knowledge table: 5,000 random words of
    the 400,000 get the Python path's vectors (a word that names a class: its class's row) and
    images, and annotate_words ranks the annotation vocabulary as Python does."""
    from pse_tf.data import CLASS_NAMES
    from pse_tf.inference.query import InputError, parse_query
    from pse_tf.labels import LabelEncoding
    from pse_tf.labels.annotation_vocabulary import annotation_words, named_prior

    classes = tuple(CLASS_NAMES["fashion_mnist"])
    encoding = LabelEncoding.build(classes, "word2vec")
    kv = encoding.word_vectors()
    model = word_model(kv, classes)
    result = export.export_model(model, "every_word", tmp_path, tflite=False, text_options={})
    exported = Exported(model, result)
    assert exported.metadata["text"]["vocabulary_size"] == len(kv.index_to_key) == 400_000
    rng = np.random.default_rng(0)
    sample = [kv.index_to_key[i] for i in rng.choice(len(kv.index_to_key), 6000, replace=False)]
    words, refused = [], []
    for w in sample:
        try:
            parse_query(w)
            words.append(w)
        except InputError:
            refused.append(w)
    words = words[:5000]
    assert len(words) == 5000
    expected = DEFAULT.encode(encoding, words)
    got = exported.call("phrase_vectors", phrases=np.array(words, dtype=object))["label_vectors"]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    rows = model.label_vectors.numpy()
    named = (expected[:, None, :] == rows[None]).all(-1).any(1)
    assert named.sum() > 0
    np.testing.assert_array_equal(got[named], expected[named])  # class rows, bit for bit
    images = exported.call("generate_text", phrases=np.array(words, dtype=object),
                           seed=np.int64(3))["images"]
    pixels = model.generate(expected, export.seed_pair(3)).numpy().reshape(images.shape)
    np.testing.assert_allclose(images, pixels, atol=TOL)
    for w in refused[:20]:  # an operator-only word is refused by both readings of the grammar
        with pytest.raises(tf.errors.InvalidArgumentError):
            exported.call("phrase_vectors", phrases=np.array([w], dtype=object))
    vocabulary = annotation_words(kv, classes)
    stored = (result.path / exported.metadata["text"]["annotation_vocabulary_file"]).read_text(
        encoding="utf-8").split("\n")[:-1]
    assert stored == vocabulary and len(vocabulary) >= 10_000
    picture = random_images(model, count=3)
    vectors = DEFAULT.encode(encoding, vocabulary)
    scores = (model.annotation_log_likelihood(picture.reshape(3, -1), vectors).numpy()
              + named_prior(vectors, rows)[None, :])
    top = exported.metadata["text"]["top_k"]
    best = np.argsort(-tf.nn.softmax(scores).numpy(), axis=1, kind="stable")[:, :top]
    out = exported.call("annotate_words", images=picture)
    assert [[w.decode() for w in row] for row in out["words"]] == \
        [[vocabulary[j] for j in row] for row in best]
