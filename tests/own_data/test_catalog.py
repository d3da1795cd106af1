"""Your own data: folder and array data sets load with their shape, names and split; bad data
fails with one line before training."""

import json

import numpy as np
import pytest
from PIL import Image

from pse_tf.config import ConfigError, TrainConfig
from pse_tf.data import DataError
from pse_tf.data.catalog import load, parse_spec, slug
from pse_tf.labels import OOVError
from pse_tf.runs import train
from tests.own_data.builders import write_arrays, write_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("own") / "clothes", per_class=20)


def test_folder_keeps_size_colour_names_and_a_seeded_split(folder):
    data = load(f"folder:{folder}")
    assert data.class_names == ("ankle boot", "sandal", "trouser")  # sorted folders, _ -> space
    assert data.train_images.shape[1:] == (32, 32, 3) and data.train_images.dtype == np.uint8
    # Per class: 2 test, 2 validation, 16 train.
    assert [len(data.test_labels), len(data.val_labels), len(data.train_labels)] == [6, 6, 48]
    assert np.bincount(data.test_labels).tolist() == [2, 2, 2]
    again = load(f"folder:{folder}")
    np.testing.assert_array_equal(again.test_images, data.test_images)
    other = load(f"folder:{folder}", {"split_seed": 1})
    assert not np.array_equal(other.test_images, data.test_images)


def test_folder_options_resize_and_grey(folder):
    data = load(f"folder:{folder}", {"image_size": [20, 24], "color_mode": "grayscale"})
    assert data.train_images.shape[1:] == (20, 24)


def test_grey_pngs_stay_grey(tmp_path):
    data = load(f"folder:{write_folder(tmp_path / 'g', per_class=5, size=28, rgb=False)}")
    assert data.train_images.shape[1:] == (28, 28)


def test_arrays(tmp_path):
    data = load(f"arrays:{write_arrays(tmp_path / 'a.npz', per_class=10)}")
    assert data.class_names == ("trouser", "sandal", "ankle boot")
    assert data.train_images.shape[1:] == (28, 28)


def test_specs_and_slugs():
    assert parse_spec("mnist") == ("builtin", "mnist")
    assert parse_spec("tfds:cifar10") == ("tfds", "cifar10")
    assert slug("folder:/data/My Shoes/") == "folder-my_shoes"
    with pytest.raises(ConfigError, match="unknown data set 'photos'"):
        TrainConfig(dataset="photos")
    with pytest.raises(ConfigError, match="unknown data option.*size"):
        TrainConfig(dataset="folder:x", data_options={"size": 3})


def _copy(folder, tmp_path):
    import shutil

    return shutil.copytree(folder, tmp_path / "copy")


def test_bad_folders(folder, tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load(f"folder:{tmp_path / 'missing'}")
    copy = _copy(folder, tmp_path)
    (copy / "empty").mkdir()
    with pytest.raises(DataError, match="class folder 'empty' has no images"):
        load(f"folder:{copy}")
    (copy / "empty").rmdir()
    (copy / "sandal" / "zz.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot read image .*zz.png"):
        load(f"folder:{copy}")
    (copy / "sandal" / "zz.png").unlink()
    for name in ("sandal", "trouser"):
        for f in (copy / name).iterdir():
            f.unlink()
        (copy / name).rmdir()
    with pytest.raises(DataError, match="1 class folder.*need at least 2"):
        load(f"folder:{copy}")


def test_mixed_sizes_are_resized_to_the_first(folder, tmp_path):
    copy = _copy(folder, tmp_path)
    Image.new("RGB", (50, 40), (255, 0, 0)).save(copy / "trouser" / "big.png")
    data = load(f"folder:{copy}")
    assert data.train_images.shape[1:] == (32, 32, 3)
    assert sum(map(len, (data.train_images, data.val_images, data.test_images))) == 61


@pytest.mark.parametrize("overrides, message", [
    ({"labels": np.full(30, 3)}, r"30 label\(s\) out of range \[0, 3\)"),
    ({"class_names": np.array(["trouser"])}, r"1 class\(es\).*need at least 2"),
    ({"labels": np.zeros(30, np.int64)}, "fewer than 3 images.*'sandal' \\(0\\)"),
    ({"images": np.full((30, 28, 28), 2.0, np.float32)}, "uint8 .* or float in \\[0, 1\\]"),
])
def test_bad_arrays(tmp_path, overrides, message):
    path = write_arrays(tmp_path / "bad.npz", per_class=10, **overrides)
    with pytest.raises(DataError, match=message):
        load(f"arrays:{path}")


def test_class_without_word_vector_fails_before_the_run_dir(tmp_path):
    names = np.array(["trouser", "sandal", "zzqxboot"])
    path = write_arrays(tmp_path / "oov.npz", per_class=5, class_names=names)
    config = TrainConfig(dataset=f"arrays:{path}", label_encoding="word2vec", steps=1,
                         batch_size=4, out=str(tmp_path / "runs"))
    with pytest.raises(OOVError, match="zzqxboot"):
        train(config, verbose=0, export=False)
    assert not (tmp_path / "runs").exists()
    too_big = TrainConfig(dataset=f"arrays:{path}", label_encoding="onehot", batch_size=100,
                          out=str(tmp_path / "runs"))
    with pytest.raises(ValueError, match="batch_size 100 exceeds the 9 training images"):
        train(too_big, verbose=0, export=False)
    assert not (tmp_path / "runs").exists()
    # One-hot labels need no word vectors.
    config = TrainConfig(dataset=f"arrays:{path}", label_encoding="onehot", steps=2,
                         batch_size=4, steps_per_execution=1, jit_compile=False,
                         out=str(tmp_path / "runs"))
    result = train(config, verbose=0, run_evaluation=False, export=False)
    summary = json.loads((result.run_dir / "dataset.json").read_text())
    assert summary["class_names"] == list(names) and summary["image_shape"] == [28, 28]


def test_train_script_takes_a_spec_and_data_options():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "train.py"
    spec = importlib.util.spec_from_file_location("train_script_own", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, config = module.parse_args(["--dataset", "folder:photos", "--image-size", "32x24",
                                   "--color-mode", "rgb"])
    assert config.dataset == "folder:photos"
    assert config.data_options == {"image_size": [32, 24], "color_mode": "rgb"}
    with pytest.raises(ConfigError, match="HxW"):
        module.parse_args(["--dataset", "folder:photos", "--image-size", "32"])
