"""Word-vector loading, phrase averaging and out-of-vocabulary errors."""

import gzip
import os

import numpy as np
import pytest
from gensim.models import KeyedVectors

from pse_tf.labels import (
    OOVError,
    default_word_vectors_path,
    load_word_vectors,
    phrase_tokens,
    phrase_vector,
)

TINY = {
    "ankle": [1.0, 0.0, 2.0],
    "boot": [3.0, 4.0, 0.0],
    "shirt": [0.5, -1.0, 1.0],
}


def _tiny_kv(extra=None):
    words = dict(TINY, **(extra or {}))
    kv = KeyedVectors(3, count=0)
    kv.add_vectors(list(words), np.array(list(words.values()), dtype=np.float32))
    return kv


@pytest.fixture(scope="module")
def glove():
    return load_word_vectors()


def test_phrase_is_exact_mean_of_word_vectors():
    kv = _tiny_kv()
    v = phrase_vector(kv, "ankle boot")
    assert v.dtype == np.float32 and v.shape == (3,)
    np.testing.assert_array_equal(v, [2.0, 2.0, 1.0])
    np.testing.assert_allclose(
        phrase_vector(kv, "ankle boot shirt"), np.mean(list(TINY.values()), axis=0), rtol=1e-6
    )
    np.testing.assert_array_equal(phrase_vector(kv, "boot"), TINY["boot"])


def test_case_whitespace_and_compounds():
    kv = _tiny_kv()
    np.testing.assert_array_equal(phrase_vector(kv, "  Ankle\tBOOT "), [2.0, 2.0, 1.0])
    assert phrase_tokens(kv, "ankle-boot") == ["ankle", "boot"]
    assert phrase_tokens(kv, "ankle/boot") == ["ankle", "boot"]
    # a compound present as one token wins over its parts
    kv = _tiny_kv({"ankle-boot": [9.0, 9.0, 9.0]})
    assert phrase_tokens(kv, "Ankle-Boot") == ["ankle-boot"]
    np.testing.assert_array_equal(phrase_vector(kv, "ankle-boot"), [9.0, 9.0, 9.0])


def test_oov_and_empty_phrases_raise():
    kv = _tiny_kv()
    with pytest.raises(OOVError) as info:
        phrase_vector(kv, "ankle sock")
    assert isinstance(info.value, ValueError)
    assert info.value.word == "sock" and info.value.phrase == "ankle sock"
    assert "'sock'" in str(info.value) and "'ankle sock'" in str(info.value)
    with pytest.raises(OOVError, match="'bot'"):
        phrase_vector(kv, "ankle-bot")
    with pytest.raises(ValueError, match="no words"):
        phrase_vector(kv, "   ")
    with pytest.raises(TypeError):
        phrase_vector(kv, 3)


def test_default_vectors_are_glove_50d_and_cached(glove):
    assert len(glove) == 400_000 and glove.vector_size == 50
    assert glove.vectors.dtype == np.float32 and np.isfinite(glove.vectors).all()
    # first row of Stanford's glove.6B.50d.txt
    assert glove.index_to_key[0] == "the"
    np.testing.assert_allclose(glove["the"][:3], [0.418, 0.24968, -0.41242])
    assert load_word_vectors() is glove
    assert load_word_vectors(default_word_vectors_path()) is glove
    assert "adidas" in [w for w, _ in glove.most_similar("sneaker", topn=5)]


def test_oov_suggests_real_close_spelling(glove):
    with pytest.raises(OOVError) as info:
        phrase_vector(glove, "white sneakr")
    assert info.value.word == "sneakr"
    assert info.value.suggestions[0] == "sneaker"
    assert 1 <= len(info.value.suggestions) <= 5
    assert all(s in glove.key_to_index for s in info.value.suggestions)
    assert "'sneaker'" in str(info.value)


def test_glove_tokenises_fashion_compounds(glove):
    assert phrase_tokens(glove, "t-shirt") == ["t-shirt"]  # one GloVe token, not t + shirt
    assert phrase_tokens(glove, "ankle boot") == ["ankle", "boot"]
    assert phrase_tokens(glove, "jeans/denim") == ["jeans", "denim"]


def _write_glove_text(path, kv):
    with open(path, "w", encoding="utf-8") as f:
        for word in kv.index_to_key:
            f.write(word + " " + " ".join(repr(float(x)) for x in kv[word]) + "\n")


@pytest.mark.parametrize("kind", ["word2vec_text", "word2vec_bin", "word2vec_bin_noext",
                                  "glove_text", "glove_gz", "gensim_kv"])
def test_loads_files_written_here(tmp_path, kind):
    kv = _tiny_kv()
    if kind == "word2vec_text":
        path = tmp_path / "vectors.txt"
        kv.save_word2vec_format(str(path), binary=False)
        assert open(path).readline().split() == ["3", "3"]
    elif kind == "word2vec_bin":
        path = tmp_path / "vectors.bin"
        kv.save_word2vec_format(str(path), binary=True)
    elif kind == "word2vec_bin_noext":  # binary recognised from its bytes
        path = tmp_path / "vectors.w2v"
        kv.save_word2vec_format(str(path), binary=True)
    elif kind == "glove_text":
        path = tmp_path / "glove.txt"
        _write_glove_text(path, kv)
    elif kind == "glove_gz":
        _write_glove_text(tmp_path / "g.txt", kv)
        path = tmp_path / "glove.txt.gz"
        with open(tmp_path / "g.txt", "rb") as src, gzip.open(path, "wb") as dst:
            dst.write(src.read())
    else:
        path = tmp_path / "vectors.kv"
        kv.save(str(path))
    loaded = load_word_vectors(str(path))
    assert sorted(loaded.index_to_key) == sorted(TINY)
    for word, vec in TINY.items():
        np.testing.assert_allclose(loaded[word], vec, rtol=1e-6)
    assert load_word_vectors(path) is loaded  # cached, PathLike accepted
    np.testing.assert_allclose(phrase_vector(loaded, "ankle boot"), [2.0, 2.0, 1.0])


def test_rewritten_file_is_reloaded(tmp_path):
    path = tmp_path / "glove.txt"
    _write_glove_text(path, _tiny_kv())
    first = load_word_vectors(path)
    _write_glove_text(path, _tiny_kv({"sock": [7.0, 7.0, 7.0]}))
    os.utime(path, ns=(1, 1))  # a new mtime even on coarse-clock file systems
    assert "sock" in load_word_vectors(path) and "sock" not in first


def test_missing_and_unreadable_files(tmp_path):
    missing = tmp_path / "nope.bin"
    with pytest.raises(FileNotFoundError, match="nope.bin") as info:
        load_word_vectors(missing)
    assert "word2vec" in str(info.value) and "GloVe" in str(info.value)
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not a vector file\nat all\n")
    with pytest.raises(ValueError, match="junk.txt"):
        load_word_vectors(junk)
    bad_kv = tmp_path / "bad.kv"
    bad_kv.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="bad.kv"):
        load_word_vectors(bad_kv)
    with pytest.raises(ValueError, match="directory"):
        load_word_vectors(tmp_path)
