"""The text commands on a run of your own colour images (a `folder:` data set of 32 x 32 x 3
pictures): the image shape comes from the run's config, never from a square root of image_dim."""

import json

import numpy as np
import pytest

from tests.helpers.random_run import write_random_run
from tests.helpers.scripts import script
from tests.own_data.builders import CLASSES, write_folder

NAMES = sorted(name.replace("_", " ") for name in CLASSES.values())


@pytest.fixture(scope="module", params=["mlp", "conv"])
def colour_run(tmp_path_factory, request):
    """(image folder, run directory): a hand-written colour run (random weights) whose config
    names the folder, as `runs.train` writes it; with either architecture."""
    root = tmp_path_factory.mktemp("colour")
    folder = write_folder(root / "clothes", per_class=2)
    run_dir, _ = write_random_run(root / "model", export=False, dataset=f"folder:{folder}",
                                  class_names=NAMES, image_shape=(32, 32, 3),
                                  architecture=request.param)
    return folder, run_dir


def test_generate_makes_colour_images(colour_run, tmp_path, capsys):
    from pse_tf.inference import load

    _, run_dir = colour_run
    assert load(run_dir).image_shape == (32, 32, 3)
    array = tmp_path / "images.npy"
    assert script("generate")([str(run_dir), "sandal", "ankle boot - sandal", "--samples", "3",
                               "--out", str(tmp_path / "g.png"), "--array", str(array)]) == 0
    assert "2 rows x 3 samples of 32x32x3" in capsys.readouterr().out
    images = np.load(array)
    assert images.shape == (2, 3, 32, 32, 3) and images.dtype == np.float32
    assert np.all((images >= 0) & (images <= 1)) and not np.allclose(images[0], images[1])
    np.testing.assert_allclose(
        images, load(run_dir).generate(["sandal", "ankle boot - sandal"], 3, seed=0), atol=1e-6)


def test_annotate_reads_colour_pictures(colour_run, capsys):
    folder, run_dir = colour_run
    pictures = sorted(folder.glob("*/*.png"))[:3]
    assert script("annotate")([str(run_dir), *map(str, pictures), "--vocabulary-size", "50",
                               "--top-k", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["image_shape"] == [32, 32, 3] and out["vocabulary_size"] == 50
    assert [i["image"] for i in out["images"]] == [p.name for p in pictures]
    for image in out["images"]:
        assert len(image["words"]) == 4 and len(set(image["words"])) == 4
        probs = image["probabilities"]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    # A grey batch of the same size is refused: the model reads RGB of 32 x 32.
    np.save(folder.parent / "grey.npy", np.zeros((2, 32, 32), np.float32))
    assert script("annotate")([str(run_dir), str(folder.parent / "grey.npy")]) == 2
    assert "must be [N, 32, 32, 3] (or [N, 3072])" in capsys.readouterr().err
