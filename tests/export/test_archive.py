"""What export_model writes: the layout, metadata and versions, and TFLite files equal to Keras."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from pse_tf import export
from pse_tf.export.text import WORD_SIGNATURES
from pse_tf.config import ModelConfig
from pse_tf.models import get_model_class

from .conftest import SIGNATURE_KEYS, TOL, keras_images, keras_probs, label_rows, tiny

FILES = ("saved_model.pb", "variables", "annotator.tflite", "generator.tflite",
         "export_metadata.json")


def _interpreter(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # the deprecated one still runs in TF 2.21
        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=str(path))


# -- layout, metadata, versions -----------------------------------------------------------------
def test_layout_and_metadata(exported):
    model, result = exported.model, exported.result
    height, width = export.image_shape(model)
    assert result.version == 1 and result.path.name == "1"
    assert sorted(result.tflite_paths) == ["annotator", "generator"]
    for name in FILES:
        assert (result.path / name).exists(), name
    meta = exported.metadata
    assert meta["format_version"] == export.METADATA_FORMAT
    assert (meta["name"], meta["version"], meta["model"]) == (result.path.parent.name, 1,
                                                              "pse_star")
    assert meta["class_names"] == list(model.class_names)
    assert meta["label_encoding"] == model.label_encoding
    assert meta["label_dim"] == model.label_dim
    assert meta["latent_dim"] == model.model_config.latent_dim
    assert meta["image_shape"] == [height, width]
    assert meta["model_config"]["image_dim"] == height * width
    # Text signatures (pse_tf.export.text): all for word vectors, embed_labels only for one-hot.
    words = () if model.label_encoding == "onehot" else WORD_SIGNATURES
    assert sorted(meta["signatures"]) == sorted([*SIGNATURE_KEYS, "embed_labels", *words])
    assert set(meta["omitted_signatures"]) == set(WORD_SIGNATURES) - set(words)
    assert meta["signatures"]["generate"]["inputs"]["label_vectors"] == {
        "dtype": "float32", "shape": [None, model.label_dim]}
    assert meta["signatures"]["encode"]["outputs"]["mean"] == {
        "dtype": "float32", "shape": [None, model.model_config.latent_dim]}
    assert meta["tflite"]["annotator"]["file"] == "annotator.tflite"
    assert meta["tflite"]["annotator"]["signature"] == "annotate"
    assert meta["tflite"]["generator"]["file"] == "generator.tflite"
    assert meta["tflite"]["generator"]["signature"] == "generate"
    assert "Flex" not in meta["tflite"]["generator"]["note"]


def test_versions_increment_and_never_overwrite(tmp_path):
    model = tiny()
    first = export.export_model(model, "m", tmp_path, tflite=False)
    (tmp_path / "m" / "notes").mkdir()  # non-integer entries are not versions
    second = export.export_model(model, "m", tmp_path, tflite=False)
    assert (first.version, second.version) == (1, 2)
    assert first.tflite_paths == {} and not (first.path / "annotator.tflite").exists()
    assert first.metadata_path.exists()
    assert export.export_model(model, "m", tmp_path, version=7, tflite=False).version == 7
    assert export.existing_versions(tmp_path / "m") == [1, 2, 7]
    with pytest.raises(FileExistsError, match="already exists"):
        export.export_model(model, "m", tmp_path, version=2, tflite=False)
    with pytest.raises(ValueError, match="non-negative int or None"):
        export.export_model(model, "m", tmp_path, version=-1, tflite=False)
    with pytest.raises(ValueError, match="directory name"):
        export.export_model(model, "../m", tmp_path)
    assert export.existing_versions(tmp_path / "m") == [1, 2, 7]
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".tmp")]


def test_unbuilt_model_is_refused(tmp_path):
    model = get_model_class("pse_star")(ModelConfig(name="pse_star"), np.eye(3), ["a", "b", "c"],
                                        "onehot")
    with pytest.raises(ValueError, match="build_all"):
        export.export_model(model, "m", tmp_path)
    assert export.existing_versions(tmp_path / "m") == []


# -- TFLite -------------------------------------------------------------------------------------
def test_tflite_annotator_matches_keras(exported, images):
    model = exported.model
    interpreter = _interpreter(exported.result.tflite_paths["annotator"])
    signature = interpreter.get_signature_list()["annotate"]
    assert signature["inputs"] == ["images"]
    assert sorted(signature["outputs"]) == ["label_index", "label_name", "label_probs"]
    out = interpreter.get_signature_runner("annotate")(images=images)
    probs, index = keras_probs(model, images)
    np.testing.assert_allclose(out["label_probs"], probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"], index)
    assert [n.decode() for n in out["label_name"]] == [model.class_names[i] for i in index]


def test_tflite_generator_matches_keras(exported):
    model, rows = exported.model, label_rows(exported.model)
    interpreter = _interpreter(exported.result.tflite_paths["generator"])
    assert sorted(interpreter.get_signature_list()["generate"]["inputs"]) == ["label_vectors",
                                                                               "seed"]
    runner = interpreter.get_signature_runner("generate")
    drawn = {}
    for seed in (12345, 2**40 + 3):
        drawn[seed] = runner(label_vectors=rows, seed=np.array(seed, np.int64))["images"]
        expected = keras_images(model, rows, seed)
        assert drawn[seed].shape == expected.shape
        np.testing.assert_allclose(drawn[seed], expected, atol=TOL)
    # The next seed draws other images from the same labels.
    other = runner(label_vectors=rows, seed=np.array(12346, np.int64))["images"]
    assert np.abs(other - drawn[12345]).max() > 1e-3


def test_tflite_files_of_a_convolutional_model_match_keras(tmp_path, images):
    model = tiny("pse_star", architecture="conv")
    result = export.export_model(model, "conv", tmp_path)
    annotate = _interpreter(result.tflite_paths["annotator"]).get_signature_runner("annotate")
    np.testing.assert_allclose(annotate(images=images)["label_probs"],
                               keras_probs(model, images)[0], atol=TOL)
    generate = _interpreter(result.tflite_paths["generator"]).get_signature_runner("generate")
    rows = label_rows(model)
    out = generate(label_vectors=rows, seed=np.array(7, np.int64))["images"]
    np.testing.assert_allclose(out, keras_images(model, rows, 7), atol=TOL)
