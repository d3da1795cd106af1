"""Hostile requests against every text signature of an export that holds a vocabulary.

`phrase_vectors` and `generate_text` get random Unicode, empty and whitespace-only texts, very
long texts, thousands of texts, operators in every place (`+ - +`, `-ankle`, `t-shirt`) and bytes
that are not UTF-8. Each request is answered exactly as the Python path answers it (the query
grammar `pse_tf.inference.query`, the default normalisation, the phrase vectors, the signed sum)
or refused with an InvalidArgumentError whose message says why, exactly when the Python path
refuses it. `annotate_words` and `embed_labels` get the hostile images and label vectors of
`hostile_requests`.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from gensim.models import KeyedVectors
from hypothesis import given
from hypothesis import strategies as st

from pse_tf import export
from pse_tf.config import ModelConfig
from pse_tf.inference.query import parse_query
from pse_tf.labels import phrase_tokens, phrase_vector
from pse_tf.labels.open_vocabulary import DEFAULT
from pse_tf.models import get_model_class

from . import hostile_requests as hr
from .conftest import TOL, Exported, randomise_weights

# Operators and operator-like tokens are words of the vocabulary too (GloVe has "+", "-", "--"),
# so only the grammar can refuse them.
WORDS = ["ankle", "boot", "t-shirt", "shirt", "t", "top", "sandal", "café", "über", "x-ray",
         "+", "-", "--", "c++", "seven", "the", "naïve", "東京"]
CLASSES = ["ankle boot", "t-shirt", "sandal"]
SPACES = (" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2028", "\x1c")
PIECES = WORDS + ["+", "-", "+ -", "-ankle", "boot-", "sandals", "7", "T-SHIRT", "jeans", ","]
MESSAGES = ("phrases must be a string vector [N]", "is outside the vocabulary of this export")


@pytest.fixture(scope="module")
def text_export(tmp_path_factory):
    """A PSE* of 16 x 16 images whose export knows `WORDS` (and the class-name words)."""
    kv = KeyedVectors(6)
    kv.add_vectors(WORDS, np.random.default_rng(0).normal(size=(len(WORDS), 6)))
    config = ModelConfig(name="pse_star", latent_dim=3, image_dim=256, hidden_units=(32, 16),
                         classifier_units=(16,))
    vectors = np.stack([phrase_vector(kv, c) for c in CLASSES])
    model = get_model_class("pse_star")(config, vectors, CLASSES, "word2vec", seed=0).build_all()
    randomise_weights(model, seed=3)
    result = export.export_model(model, "hostile_text", tmp_path_factory.mktemp("hostile_text"),
                                 tflite=False, text_options={"word_vectors": kv,
                                                             "vocabulary_size": len(WORDS),
                                                             "top_k": 5})
    exported = Exported(model, result)
    exported.kv = kv
    exported.label_rows = model.label_vectors.numpy()
    exported.python_vectors = {}
    assert exported.metadata["text"]["vocabulary_size"] >= len(WORDS)
    return exported


def python_vector(text_export, text):
    """The Python path's label vector of one text (str or bytes); raises ValueError where it
    refuses the text (UnicodeDecodeError, InputError, OOVError). Memoised per text: a batch of
    thousands repeats a few texts."""
    cache = text_export.python_vectors
    if text not in cache:
        try:
            cache[text] = _python_vector(text_export, text)
        except ValueError as error:
            cache[text] = error
    if isinstance(cache[text], ValueError):
        raise cache[text]
    return cache[text]


def _python_vector(text_export, text):
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    names, rows = list(CLASSES), text_export.label_rows
    total = np.zeros(rows.shape[1], np.float32)
    for sign, phrase in parse_query(text):
        phrase = DEFAULT.normalise(phrase, names)
        keys = phrase_tokens(text_export.kv, phrase)
        named = (DEFAULT.word_classes(text_export.kv, names)[text_export.kv.key_to_index[keys[0]]]
                 if len(keys) == 1 else -1)
        vector = (rows[names.index(phrase)] if phrase in names else rows[named] if named >= 0
                  else phrase_vector(text_export.kv, phrase))
        total = total + sign * vector
    return total


@st.composite
def texts(draw):
    """One text: vocabulary words with operators and Unicode whitespace, random Unicode, empty
    or blank, very long, or arbitrary bytes (mostly not UTF-8)."""
    kind = draw(st.sampled_from(("words",) * 4 + ("unicode", "blank", "long", "bytes")))
    if kind == "words":
        pieces = draw(st.lists(st.sampled_from(PIECES), min_size=0, max_size=7))
        spaces = draw(st.lists(st.sampled_from(SPACES), min_size=len(pieces) + 1,
                               max_size=len(pieces) + 1))
        return "".join(s + p for s, p in zip(spaces, pieces + [""]))
    if kind == "unicode":
        return draw(st.text(max_size=40))
    if kind == "blank":
        return "".join(draw(st.lists(st.sampled_from(SPACES + ("",)), max_size=5)))
    if kind == "long":
        word = draw(st.sampled_from(("boot", "boot +", "東京", "-", "x")))
        return " ".join([word] * draw(st.integers(1000, 6000))) + draw(st.sampled_from(
            ("", " sandal", " +")))
    return draw(st.binary(max_size=30))


@st.composite
def batches(draw):
    """A list of texts: a few, none, or thousands (one drawn text repeated among valid ones)."""
    size = draw(st.sampled_from((1, 1, 2, 3, 8, 0, 3000)))
    if size < 1000:
        return draw(st.lists(texts(), min_size=size, max_size=size))
    return ["boot", "sandal - t-shirt"] * (size // 2 - 1) + [draw(texts()), "ankle boot"]


def _expected(text_export, batch):
    """The Python path's [N, L] vectors, or None when it refuses a text."""
    try:
        rows = [python_vector(text_export, t) for t in batch]
    except ValueError:  # UnicodeDecodeError, InputError, OOVError
        return None
    return np.array(rows, np.float32).reshape(len(batch), text_export.model.label_dim)


def _call(signature, batch, **extra):
    phrases = tf.constant(np.array(batch, dtype=object)) if batch else tf.constant([], tf.string)
    try:
        return {k: v.numpy() for k, v in signature(phrases=phrases, **extra).items()}, None
    except tf.errors.InvalidArgumentError as error:
        return None, error


def _check_refusal(error, expected, batch):
    assert expected is None, f"refused what the Python path answers: {batch!r:.300}: {error}"
    assert any(m in error.message for m in MESSAGES), error.message


def _check_vectors(text_export, expected, out, seed):
    vectors = out["label_vectors"]
    assert vectors.shape == expected.shape and vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def _check_images(text_export, expected, out, seed):
    images = out["images"]
    assert images.shape == (len(expected), 16, 16) and images.dtype == np.float32
    assert np.all(np.isfinite(images)) and np.all((images >= 0) & (images <= 1))
    if len(expected) and len(expected) < 100:  # Keras on thousands is slow and adds nothing
        pixels = text_export.model.generate(expected, export.seed_pair(seed)).numpy()
        np.testing.assert_allclose(images, pixels.reshape(images.shape),
                                   atol=hr.generation_tolerance(expected))


TEXT_CHECKS = {"phrase_vectors": _check_vectors, "generate_text": _check_images}


@pytest.mark.parametrize("budget", hr.BUDGETS)
@pytest.mark.parametrize("key", sorted(TEXT_CHECKS))
def test_text_signatures_answer_as_python_or_refuse(text_export, key, budget):
    signature = text_export.loaded.signatures[key]

    @hr.hostile_settings(budget)
    @given(batch=batches(), seed=st.integers(hr.INT64.min, hr.INT64.max))
    def check(batch, seed):
        extra = {"seed": tf.constant(seed, tf.int64)} if key == "generate_text" else {}
        out, error = _call(signature, batch, **extra)
        expected = _expected(text_export, batch)
        if error is not None:
            return _check_refusal(error, expected, batch)
        assert expected is not None, f"answered what the Python path refuses: {batch!r:.300}"
        TEXT_CHECKS[key](text_export, expected, out, seed)

    check()


def _check_words(text_export, images, out):
    # the annotation vocabulary: the class names, then vocabulary words
    words = (set(text_export.kv.index_to_key) | {w for c in CLASSES for w in c.split()}
             | set(CLASSES))
    found, scores = out["words"], out["scores"]
    assert found.shape == scores.shape == (len(images), 5) and scores.dtype == np.float32
    assert {w.decode() for w in found.ravel()} <= words
    assert np.all((scores >= 0) & (scores <= 1)) and np.all(np.diff(scores, axis=1) <= 0)


def _check_label_gaussians(text_export, vectors, out):
    mean, stddev = out["mean"], out["stddev"]
    assert mean.shape == stddev.shape == (len(vectors), 3)
    assert np.all(np.isfinite(mean)) and np.all(stddev > 0)
    if len(vectors):
        q = text_export.model.label_distribution(vectors)
        np.testing.assert_allclose(mean, q.mean().numpy(),
                                   atol=TOL * max(1.0, float(np.abs(vectors).max())))


# signature: (its input's name, the hostile requests for it, the check of an answer)
TENSOR_SIGNATURES = {
    "annotate_words": ("images", lambda model: hr.image_requests(16, 16), _check_words),
    "embed_labels": ("label_vectors", lambda model: hr.label_requests(
        int(model.label_dim), len(CLASSES)), _check_label_gaussians),
}


@pytest.mark.parametrize("budget", hr.BUDGETS)
@pytest.mark.parametrize("key", sorted(TENSOR_SIGNATURES))
def test_tensor_signatures_answer_or_refuse(text_export, key, budget):
    signature = text_export.loaded.signatures[key]
    name, requests, check_answer = TENSOR_SIGNATURES[key]

    @hr.hostile_settings(budget)
    @given(request=requests(text_export.model))
    def check(request):
        out = hr.answer(lambda: signature(**{name: request.value}), request)
        if out is not None:
            check_answer(text_export, request.array, {k: v.numpy() for k, v in out.items()})

    check()


@pytest.mark.parametrize("key", ["phrase_vectors", "generate_text"])
@pytest.mark.parametrize("phrase, message", [
    ("+ - +", "an operator (+ or -) must stand between two phrases"),
    ("-", "must stand between two phrases"),
    ("boot -ankle", "word `-ankle` starts or ends with an operator"),
    (b"boot \xff\xfe", "phrase 1 is not valid UTF-8 text"),
    ("   ", r"phrase 1 (   ) has no words"),
])
def test_clear_refusals(text_export, key, phrase, message):
    extra = {"seed": np.int64(0)} if key == "generate_text" else {}
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        text_export.call(key, phrases=np.array(["boot", phrase], dtype=object), **extra)
    assert message in error.value.message


def test_algebra_in_the_graph(text_export):
    """"t-shirt" is one word (here a class); "shirt - t + top" is a signed sum."""
    got = text_export.call("phrase_vectors", phrases=["t-shirt", "shirt - t + top", "T-SHIRTS"])
    np.testing.assert_allclose(got["label_vectors"][0],
                               text_export.model.label_vectors.numpy()[1], atol=1e-7)
    # "shirt" is above t-shirt in WordNet (a hypernym, not a synonym or hyponym): it names no
    # class and keeps its own vector
    np.testing.assert_array_equal(python_vector(text_export, "shirt"),
                                  phrase_vector(text_export.kv, "shirt"))
    expected = sum(sign * python_vector(text_export, word)
                   for sign, word in ((1, "shirt"), (-1, "t"), (1, "top")))
    np.testing.assert_allclose(got["label_vectors"][1], expected, atol=1e-5)
    np.testing.assert_allclose(got["label_vectors"][2], got["label_vectors"][0], atol=1e-7)
