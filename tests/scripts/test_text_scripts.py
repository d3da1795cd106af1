"""The text commands (generate, annotate, retrieve) on a tiny trained run and on its
export: both back ends give the same answers, and bad input is one clear line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.inference import load
from tests.helpers.scripts import script

pytestmark = pytest.mark.slow  # trains a 50-step run and exports it (minutes on a shared CPU)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from pse_tf.runs import train

    root = tmp_path_factory.mktemp("textrun")
    config = TrainConfig(dataset="fashion_mnist", label_encoding="word2vec", steps=50,
                         generation_repeats=1, generation_samples_per_label=10, out=str(root),
                         model=ModelConfig(name="pse_star"))
    result = train(config, verbose=0, export_dir=root / "exported")
    return result.run_dir, Path(result.metrics["export"])


@pytest.fixture(scope="module", params=["run", "export"])
def model_path(request, tiny_run):
    return tiny_run[0] if request.param == "run" else tiny_run[1].parent  # <name>: newest version


def test_run_and_export_agree(tiny_run):
    run, exported = load(tiny_run[0]), load(tiny_run[1])
    queries = ["sneaker + sandal", "ankle boot - ankle", "T-Shirt"]
    np.testing.assert_allclose(run.query_vectors(queries), exported.query_vectors(queries),
                               atol=1e-6)
    np.testing.assert_allclose(run.generate(queries, 3, seed=5), exported.generate(queries, 3, 5),
                               atol=1e-4)
    images = run.generate(["bag"], 4, seed=1)[0]
    words = ["bag", "sandal", "coat", "ankle boot", "purse"]
    ranked_run, ranked_export = run.annotate(images, words, 3), exported.annotate(images, words, 3)
    assert [[w for w, _ in r] for r in ranked_run] == [[w for w, _ in r] for r in ranked_export]
    for kind in ("log_likelihood", "neg_kl", "neg_wasserstein"):
        np.testing.assert_allclose(run.scores(images, run.phrase_vectors(words), kind),
                                   exported.scores(images, exported.phrase_vectors(words), kind),
                                   rtol=1e-4, atol=1e-3)


def test_generate_writes_a_grid(model_path, tmp_path, capsys):
    from PIL import Image

    out, array = tmp_path / "g.png", tmp_path / "g.npy"
    queries = ["sneaker + sandal", "boot - ankle"]
    assert script("generate")([str(model_path), *queries, "--samples", "3", "--out", str(out),
                               "--array", str(array)]) == 0
    assert f"wrote {out} (2 rows x 3 samples of 28x28" in capsys.readouterr().out
    images = np.load(array)
    assert images.shape == (2, 3, 28, 28) and images.dtype == np.float32
    assert np.all((images >= 0) & (images <= 1)) and not np.allclose(images[0], images[1])
    np.testing.assert_allclose(images, load(model_path).generate(queries, 3, seed=0), atol=1e-5)
    grid = np.asarray(Image.open(out).convert("L"))
    assert grid.shape[0] > 2 * 28 and grid.shape[1] > 3 * 28 and grid.std() > 0
    assert script("generate")([str(model_path), "--interpolate", "sandal", "ankle boot",
                               "--steps", "3", "--samples", "2", "--out", str(out),
                               "--array", str(array)]) == 0
    steps = np.load(array)
    predictor = load(model_path)
    assert steps.shape == (3, 2, 28, 28)
    np.testing.assert_allclose(steps, predictor.generate_vectors(
        predictor.interpolation_vectors("sandal", "ankle boot", 3), 2, seed=0), atol=1e-5)
    assert not np.allclose(steps[0], steps[-1])


@pytest.mark.parametrize("argv, message", [
    (["sneakr"], "word 'sneakr' of phrase 'sneakr' is not in"),
    (["boot +"], "ends with an operator"),
    (["+ - +"], "must stand between two phrases"),
    ([""], "is empty"),
])
def test_generate_bad_text_is_one_line(model_path, tmp_path, capsys, argv, message):
    assert script("generate")([str(model_path), *argv, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    if "sneakr" in argv:
        assert "'sneaker'" in err  # a close spelling is suggested


def test_annotate_json(model_path, tmp_path, capsys):
    from PIL import Image

    from pse_tf.data import load_dataset

    test = load_dataset("fashion_mnist").test_images
    Image.fromarray(test[0]).save(tmp_path / "x.png")
    np.save(tmp_path / "b.npy", test[1:3])
    assert script("annotate")([str(model_path), str(tmp_path / "x.png"), str(tmp_path / "b.npy"),
                               "--vocabulary-size", "200", "--top-k", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["vocabulary_size"] == 200
    assert [i["image"] for i in out["images"]] == ["x.png", "b.npy[0]", "b.npy[1]"]
    assert all(len(i["words"]) == 3 and i["probabilities"] == sorted(i["probabilities"],
                                                                     reverse=True)
               for i in out["images"])
    (tmp_path / "bad.npy").write_bytes(b"junk")
    assert script("annotate")([str(model_path), str(tmp_path / "bad.npy")]) == 2
    assert "not a readable .npy array" in capsys.readouterr().err


def test_retrieve(tiny_run, tmp_path, capsys):
    run_dir = str(tiny_run[0])
    assert script("retrieve")([run_dir, "--text", "ankle boot", "--top", "4",
                               "--out", str(tmp_path / "r.png")]) == 0
    assert capsys.readouterr().out.count("test image") == 4
    assert script("retrieve")([run_dir, str(tiny_run[1]), "--evaluate",
                               "--results", str(tmp_path / "retrieval")]) == 0
    rows = json.loads((tmp_path / "retrieval.json").read_text())
    assert len(rows) == 2
    for a, b in zip(rows[0]["results"]["text_to_image"].values(),
                    rows[1]["results"]["text_to_image"].values()):
        assert a["map_at_r"] == pytest.approx(b["map_at_r"], abs=1e-3)  # run == export


def test_taught_words_through_python_the_cli_and_a_re_export(tiny_run, tmp_path, capsys):
    """A file of `word<TAB>class` lines: the run's Python path, scripts/generate.py and a
    re-export by scripts/export.py give a taught word its class's stored row; a bad line is one
    line naming the file and line, exit code 2."""
    run_dir = tiny_run[0]
    taught = tmp_path / "taught.tsv"
    taught.write_text("# words this run should know\nskorts\ttrouser\ngalaxy\tdress\n")
    plain, run = load(run_dir), load(run_dir, taught_words=taught)
    rows = np.asarray(run.backend.class_vectors())
    got = run.phrase_vectors(["skorts", "galaxy", "red galaxy", "cardigan"])
    np.testing.assert_array_equal(got[:2], rows[[1, 3]])
    assert not np.allclose(plain.phrase_vectors(["galaxy"])[0], rows[3])
    np.testing.assert_allclose(got[2:], plain.phrase_vectors(["red galaxy", "cardigan"]))
    assert "skorts" in run.backend.annotation_vocabulary()

    out = tmp_path / "g.npy"
    assert script("generate")([str(run_dir), "skorts", "--samples", "2", "--seed", "3",
                               "--out", str(tmp_path / "g.png"), "--array", str(out),
                               "--taught-words", str(taught)]) == 0
    np.testing.assert_allclose(np.load(out)[0], run.generate(["trouser"], 2, seed=3)[0],
                               atol=1e-6)

    exports = tmp_path / "exports"
    assert script("export")([str(run_dir), "--no-tflite", "--export-dir", str(exports),
                             "--vocabulary-size", "2000", "--taught-words", str(taught)]) == 0
    exported = load(next(p for p in exports.glob("*/*") if p.is_dir()))
    np.testing.assert_allclose(exported.phrase_vectors(["skorts", "galaxy", "red galaxy"]),
                               got[:3], atol=1e-6)
    meta = exported.backend.metadata["text"]["normalisation"]
    assert [t["word"] for t in meta["taught_words"]] == ["skorts", "galaxy"]
    assert meta["taught_words"][0]["from"] == f"{taught}:2"
    with pytest.raises(ValueError, match="export the run again with them"):
        load(exported.backend.path, taught_words=taught)
    capsys.readouterr()

    bad = tmp_path / "bad.tsv"
    bad.write_text("skorts\ttrouser\njeggings\tskirt\n")
    for name, argv in (("generate", [str(run_dir), "jeggings", "--out", str(tmp_path / "b.png")]),
                       ("export", [str(run_dir), "--no-tflite", "--export-dir", str(exports)])):
        assert script(name)([*argv, "--taught-words", str(bad)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {bad}:2: unknown class 'skirt' for 'jeggings'"), err
        assert len(err.splitlines()) == 1
