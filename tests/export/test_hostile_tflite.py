"""Hostile requests against annotator.tflite and generator.tflite through `TFLiteModel`.

The files cannot refuse anything (no Assert kernel): the first test shows what the bare LiteRT
interpreter does with requests the SavedModel refuses. `TFLiteModel` refuses each of them with a
ValueError carrying the SavedModel's text, and answers the rest as the SavedModel does.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from experiments.benchmark.serving import time_exported_annotator
from pse_tf.export import TFLiteModel
from pse_tf.export.tflite import load_interpreter

from . import hostile_requests as hr
from .conftest import TOL


def test_the_bare_interpreter_checks_nothing(hostile):
    """What TFLiteModel is for: wrong shapes run, NaN comes out, an empty generator batch fails."""
    annotator, _ = load_interpreter(hostile.result.tflite_paths["annotator"])
    annotate = annotator.get_signature_runner("annotate")
    size = hostile.height * hostile.width
    flat = np.random.default_rng(0).uniform(size=(3, size)).astype(np.float32)
    assert annotate(images=flat)["label_probs"].shape == (3, 4)  # [N, H*W] is reshaped, no error
    nan = np.full((2, hostile.height, hostile.width), np.nan, np.float32)
    assert np.isnan(annotate(images=nan)["label_probs"]).all()
    generator, _ = load_interpreter(hostile.result.tflite_paths["generator"])
    generate = generator.get_signature_runner("generate")
    with pytest.raises(RuntimeError):  # the sampler divides by N: "Division by 0"
        generate(label_vectors=np.zeros((0, hostile.label_dim), np.float32),
                 seed=np.array(1, np.int64))
    huge = np.full((2, hostile.label_dim), 3e38, np.float32)
    assert not np.isfinite(generate(label_vectors=huge, seed=np.array(1, np.int64))["images"]).all()


def test_sizes_come_from_the_files(hostile, tmp_path):
    model = hostile.tflite
    assert model.image_shape == (hostile.height, hostile.width)
    assert model.label_dim == hostile.label_dim
    assert model.runtime in ("ai_edge_litert", "tf.lite")
    generator = TFLiteModel(hostile.result.tflite_paths["generator"])
    assert generator.image_shape == (hostile.height, hostile.width)
    with pytest.raises(FileNotFoundError, match="annotator.tflite"):
        generator.annotate(np.zeros((1, hostile.height, hostile.width), np.float32))
    with pytest.raises(FileNotFoundError, match="no TFLite export"):
        TFLiteModel(tmp_path / "missing")
    (tmp_path / "model.tflite").write_bytes(b"")
    with pytest.raises(ValueError, match="not one of the export's TFLite files"):
        TFLiteModel(tmp_path / "model.tflite")


@pytest.mark.parametrize("budget", hr.BUDGETS)
def test_annotate_answers_or_refuses(hostile, budget):
    signature = hostile.loaded.signatures["annotate"]

    @hr.hostile_settings(budget)
    @given(request=hr.image_requests(hostile.height, hostile.width, tensors=False))
    def check(request):
        out = hr.answer(lambda: hostile.tflite.annotate(request.value), request)
        if out is None:
            return
        expected = signature(images=request.array)
        np.testing.assert_allclose(out["label_probs"], expected["label_probs"].numpy(), atol=TOL)
        probs, index = out["label_probs"], out["label_index"]
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(probs[np.arange(len(index)), index],
                                      probs.max(axis=1, initial=0))
        assert list(out["label_name"]) == [hostile.model.class_names[i].encode() for i in index]

    check()


@pytest.mark.parametrize("budget", hr.BUDGETS)
def test_generate_answers_or_refuses(hostile, budget):
    signature = hostile.loaded.signatures["generate"]

    @hr.hostile_settings(budget)
    @given(vectors=hr.label_requests(hostile.label_dim, hostile.model.num_classes, tensors=False),
           seed=hr.seed_requests(tensors=False))
    def check(vectors, seed):
        out = hr.answer(lambda: hostile.tflite.generate(vectors.value, seed.value), vectors, seed)
        if out is None:
            return
        images = out["images"]
        assert images.shape == (len(vectors.array), hostile.height, hostile.width)
        assert images.dtype == np.float32
        assert np.all(np.isfinite(images)) and np.all((images >= 0) & (images <= 1))
        again = hostile.tflite.generate(vectors.value, seed.value)["images"]
        np.testing.assert_array_equal(again, images)
        expected = signature(label_vectors=vectors.array, seed=seed.array)["images"].numpy()
        np.testing.assert_allclose(images, expected, atol=hr.generation_tolerance(vectors.array))

    check()


def test_the_benchmark_times_the_checked_annotator(hostile):
    images = np.random.default_rng(1).uniform(size=(4, hostile.height, hostile.width))
    rows = time_exported_annotator(hostile.result.path, hostile.result.tflite_paths["annotator"],
                                   images.astype(np.float32), batch_sizes=(1, 4), calls=2,
                                   num_threads=1, log=lambda line: None)
    assert [(r["runtime"].split(" ")[0], r["batch"]) for r in rows] == [
        ("saved_model", 1), ("tflite", 1), ("saved_model", 4), ("tflite", 4)]
    assert all(r["images_per_s"] > 0 for r in rows)
