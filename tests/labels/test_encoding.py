"""Label matrices and LabelEncoding for the project's two label sets."""

import dataclasses

import numpy as np
import pytest
from gensim.models import KeyedVectors

from pse_tf.labels import (
    DEFAULT_SOURCE,
    ENCODINGS,
    LabelEncoding,
    OOVError,
    label_matrix,
    load_word_vectors,
    phrase_vector,
)

MNIST = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FASHION = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "ankle boot")


@pytest.fixture(scope="module")
def glove():
    return load_word_vectors()


def test_encodings_constant():
    assert ENCODINGS == ("onehot", "word2vec")


@pytest.mark.parametrize("names", [MNIST, FASHION])
def test_onehot_is_identity(names):
    m = label_matrix(names, "onehot")
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m, np.eye(10))


@pytest.mark.parametrize("names", [MNIST, FASHION])
def test_word2vec_matrix_rows_are_finite_distinct_phrase_vectors(glove, names):
    m = label_matrix(names, "word2vec")
    assert m.shape == (10, 50) and m.dtype == np.float32
    assert np.isfinite(m).all()
    dist = np.linalg.norm(m[:, None] - m[None], axis=-1)
    assert (dist[~np.eye(10, dtype=bool)] > 0.5).all()
    for i, name in enumerate(names):
        np.testing.assert_array_equal(m[i], phrase_vector(glove, name))
    np.testing.assert_array_equal(label_matrix(names, "word2vec", glove), m)


def test_ankle_boot_is_mean_of_ankle_and_boot(glove):
    m = label_matrix(FASHION, "word2vec", glove)
    np.testing.assert_allclose(m[-1], (glove["ankle"] + glove["boot"]) / 2, rtol=1e-6)
    np.testing.assert_array_equal(m[0], glove["t-shirt"])


def test_word2vec_from_a_path(tmp_path):
    kv = KeyedVectors(2, count=0)
    kv.add_vectors(["red", "shoe"], np.array([[1.0, 0.0], [0.0, 3.0]], dtype=np.float32))
    path = tmp_path / "tiny.bin"
    kv.save_word2vec_format(str(path), binary=True)
    np.testing.assert_array_equal(
        label_matrix(["red shoe", "shoe"], "word2vec", str(path)), [[0.5, 1.5], [0.0, 3.0]]
    )
    enc = LabelEncoding.build(["red", "shoe"], "word2vec", path)
    assert enc.word_vectors_source == str(path) and enc.dim == 2
    np.testing.assert_array_equal(enc.encode(["red shoe"]), [[0.5, 1.5]])


def test_bad_arguments():
    with pytest.raises(ValueError, match="onehot.*word2vec"):
        label_matrix(MNIST, "glove")
    with pytest.raises(ValueError, match="duplicates"):
        label_matrix(["a", "a"], "onehot")
    with pytest.raises(ValueError, match="empty"):
        label_matrix([], "onehot")
    with pytest.raises(TypeError):
        label_matrix("zero", "onehot")
    with pytest.raises(OOVError, match="sneakr"):
        label_matrix(["sneakr"], "word2vec")


def test_word2vec_encoding_encodes_unseen_words(glove):
    enc = LabelEncoding.build(FASHION, "word2vec")
    assert enc.encoding == "word2vec" and enc.class_names == FASHION
    assert enc.word_vectors_source == DEFAULT_SOURCE and enc.dim == 50
    out = enc.encode(["jeans", "boots", "ankle boot", "red t-shirt"])
    assert out.shape == (4, 50) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], glove["jeans"])
    np.testing.assert_array_equal(out[1], glove["boots"])
    np.testing.assert_array_equal(out[2], enc.vectors[-1])
    np.testing.assert_allclose(out[3], (glove["red"] + glove["t-shirt"]) / 2, rtol=1e-6)
    assert enc.encode([]).shape == (0, 50)
    with pytest.raises(OOVError):
        enc.encode(["jeanz"])
    with pytest.raises(TypeError):
        enc.encode("jeans")


def test_onehot_encoding_only_encodes_class_names():
    enc = LabelEncoding.build(MNIST, "onehot", word_vectors_path="ignored.bin")
    assert enc.word_vectors_source == "" and enc.dim == 10
    np.testing.assert_array_equal(enc.encode(["three", "zero"]), np.eye(10)[[3, 0]])
    with pytest.raises(ValueError, match="jeans"):
        enc.encode(["jeans", "boots"])
    with pytest.raises(ValueError):
        enc.word_vectors()


def test_label_encoding_is_frozen_and_compares_by_value():
    enc = LabelEncoding.build(MNIST, "onehot")
    with pytest.raises(dataclasses.FrozenInstanceError):
        enc.encoding = "word2vec"
    with pytest.raises(ValueError):
        enc.vectors[0, 0] = 5.0
    same = LabelEncoding("onehot", list(MNIST), np.eye(10), "")
    assert same == enc and hash(same) == hash(enc)
    assert same.class_names == MNIST and same.vectors.dtype == np.float32
    assert enc != LabelEncoding("onehot", MNIST[::-1], np.eye(10), "")
    with pytest.raises(ValueError, match="shape"):
        LabelEncoding("word2vec", MNIST, np.zeros((9, 50)), DEFAULT_SOURCE)
    with pytest.raises(ValueError, match="unknown label encoding"):
        LabelEncoding("bag-of-words", MNIST, np.eye(10), "")
