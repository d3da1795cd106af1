"""The one disk cache of tables derived from WordNet or FreeDict (`pse_tf.labels.table_cache`):
read back, recomputed when torn or stale, never fatal when the folder is read-only; and the
knowledge table read back from it."""

import os

import numpy as np
import pytest

from pse_tf.labels import table_cache
from pse_tf.labels.table_cache import cached_table, table_path


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return np.full((3,), value, np.int64)
    return compute, calls


def test_a_table_is_written_once_then_read_back(tmp_path):
    path = table_path(tmp_path, "demo", ["rule-v1", "a\nb"], wordnet_files=False)
    assert path.parent == tmp_path and path.name.startswith("demo-") and path.suffix == ".npy"
    assert table_path(tmp_path, "demo", ["rule-v2", "a\nb"], wordnet_files=False) != path
    assert table_path(None, "demo", ["rule-v1"]) is None
    compute, calls = counting(7)
    first = cached_table(path, (3,), compute, np.int8)
    assert first.tolist() == [7, 7, 7] and path.is_file() and np.load(path).dtype == np.int8
    assert cached_table(path, (3,), compute).tolist() == [7, 7, 7] and len(calls) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["torn", "stale", "empty"])
def test_a_torn_or_stale_file_is_computed_again_and_replaced(tmp_path, damage):
    path = tmp_path / "demo-0.npy"
    cached_table(path, (3,), counting(1)[0])
    if damage == "torn":
        path.write_bytes(path.read_bytes()[:-5])  # a write cut short
    elif damage == "stale":
        np.save(path, np.zeros(4, np.int64))  # another vocabulary's shape
    else:
        path.write_bytes(b"")
    compute, calls = counting(2)
    assert cached_table(path, (3,), compute).tolist() == [2, 2, 2] and len(calls) == 1
    assert np.load(path).tolist() == [2, 2, 2]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_still_returns_the_table(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert cached_table(folder / "t.npy", (3,), counting(3)[0]).tolist() == [3, 3, 3]
    finally:
        folder.chmod(0o700)


def test_a_write_error_still_returns_the_table(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr(table_cache, "write_with", fail)
    assert cached_table(tmp_path / "t.npy", (3,), counting(4)[0]).tolist() == [4, 4, 4]
    assert not (tmp_path / "t.npy").exists()


def test_the_knowledge_table_is_read_back_from_disk(tmp_path, monkeypatch):
    """A second process (the in-process cache cleared) reads the file; a torn file is redone."""
    from pse_tf.labels import knowledge
    from pse_tf.labels.lexicon import wordnet
    from pse_tf.labels.vectors import keyed_vectors

    reader = wordnet()
    words = ["nought", "trio", "car", "fifth"]
    kv = keyed_vectors(words, np.zeros((len(words), 3), np.float32))
    digits = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
              "disk cache test")
    rule = knowledge.Rule(dictionaries=False, thesaurus=False)
    root = table_cache.wordnet_root(reader)
    before = set(root.glob("knowledge-*.npy"))
    knowledge._table.cache_clear()
    first = knowledge.knowledge_table(kv, digits, rule)
    [path] = [p for p in set(root.glob("knowledge-*.npy")) - before
              if np.load(p).shape == (len(words),)]
    try:
        assert np.load(path).tolist() == first.tolist() == [0, 3, -1, 5]
        knowledge._table.cache_clear()
        monkeypatch.setattr(knowledge, "word_classes",
                            lambda *a: pytest.fail("not read from disk"))
        assert knowledge.knowledge_table(kv, digits, rule).tolist() == first.tolist()
        path.write_bytes(b"torn")
        knowledge._table.cache_clear()
        with pytest.raises(pytest.fail.Exception, match="not read from disk"):
            knowledge.knowledge_table(kv, digits, rule)
    finally:
        path.unlink(missing_ok=True)
        knowledge._table.cache_clear()
