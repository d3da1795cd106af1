"""A 300-step run with grouped labels and a mixture q(z|l) trains, exports, and generates and
annotates through scripts/generate.py, scripts/annotate.py and the export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pse_tf.inference import load
from tests.helpers.scripts import script

pytestmark = pytest.mark.slow  # trains a 300-step run and exports it

GROUPS = "footwear=sandal,sneaker,ankle boot;tops=t-shirt,pullover,coat,shirt"


@pytest.fixture(scope="module")
def grouped_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("polysemy")
    argv = ["--dataset", "fashion_mnist", "--label-encoding", "word2vec", "--steps", "300",
            "--checkpoint-every", "300", "--generation-repeats", "1",
            "--generation-samples-per-label", "200", "--label-groups", GROUPS,
            "--option", "label_components=3", "--out", str(root / "runs"),
            "--export-dir", str(root / "exported")]
    assert script("train")(argv) == 0
    run_dir = next((root / "runs").iterdir())
    return run_dir, root / "exported" / "fashion_mnist_pse_star_word2vec"


def test_the_run_records_groups_mixture_weights_and_grouped_scores(grouped_run):
    run_dir, _ = grouped_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    names = ["tops", "trouser", "dress", "footwear", "bag"]
    assert list(metrics["in_set_generation_by_label"]) == names
    weights = np.array(metrics["label_mixture_weights"])
    assert weights.shape == (5, 3)
    np.testing.assert_allclose(weights.sum(1), 1, atol=1e-3)
    assert 0 <= metrics["coverage_distance"] <= 1
    counts = np.array(metrics["generation_counts"])
    assert counts.shape == (5, 10) and counts.sum() == 5 * 200
    # generation accuracy is the in-set share over every label
    in_set = sum(counts[g, c].sum() for g, c in enumerate([[0, 2, 4, 6], [1], [3], [5, 7, 9], [8]]))
    assert metrics["generation_accuracy"] == pytest.approx(in_set / counts.sum())
    assert json.loads((run_dir / "dataset.json").read_text())["class_names"] == names


@pytest.mark.parametrize("where", ["run", "export"])
def test_generate_and_annotate_scripts(grouped_run, where, tmp_path, capsys):
    from PIL import Image

    from pse_tf.data import load_dataset

    path = grouped_run[0] if where == "run" else grouped_run[1]
    out, array = tmp_path / "g.png", tmp_path / "g.npy"
    assert script("generate")([str(path), "footwear", "tops + bag", "--samples", "3",
                               "--out", str(out), "--array", str(array)]) == 0
    images = np.load(array)
    assert images.shape == (2, 3, 28, 28) and np.all((images >= 0) & (images <= 1))
    np.testing.assert_allclose(images, load(path).generate(["footwear", "tops + bag"], 3, 0),
                               atol=1e-4)
    sandal = load_dataset("fashion_mnist").test_images[
        load_dataset("fashion_mnist").test_labels == 5][0]
    Image.fromarray(sandal).save(tmp_path / "sandal.png")
    capsys.readouterr()
    assert script("annotate")([str(path), str(tmp_path / "sandal.png"), "--words",
                               str(_words(tmp_path)), "--top-k", "5", "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)["images"][0]
    assert sorted(ranked["words"]) == sorted(["tops", "trouser", "dress", "footwear", "bag"])


def test_run_and_export_annotate_alike(grouped_run):
    run, exported = load(grouped_run[0]), load(grouped_run[1])
    images = run.generate(["footwear", "tops"], 4, seed=2).reshape(8, 28, 28)
    words = ["tops", "trouser", "dress", "footwear", "bag"]
    np.testing.assert_allclose(run.word_probabilities(images, words),
                               exported.word_probabilities(images, words), atol=1e-4)


def _words(folder: Path) -> Path:
    path = folder / "words.txt"
    path.write_text("tops\ntrouser\ndress\nfootwear\nbag\n")
    return path
