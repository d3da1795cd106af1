"""The signatures of a reloaded SavedModel: names, dtypes, shapes, Keras parity, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from pse_tf import export
from pse_tf.export.text import TEXT_SIGNATURES
from pse_tf.models import model_names

from .conftest import (
    SIGNATURE_KEYS,
    TOL,
    Exported,
    keras_images,
    keras_probs,
    label_rows,
    random_images,
    randomise_weights,
    tiny,
)

NP_DTYPE = {"float32": tf.float32, "int32": tf.int32, "int64": tf.int64, "string": tf.string}


def _sizes(model):
    height, width = export.image_shape(model)
    return {"N": None, "H": height, "W": width, "C": model.num_classes, "L": model.label_dim,
            "Z": model.model_config.latent_dim, "K": model.label_components}


def test_signatures_names_dtypes_shapes(exported):
    signatures = exported.loaded.signatures
    assert set(SIGNATURE_KEYS) <= set(signatures)
    sizes = _sizes(exported.model)
    for key in SIGNATURE_KEYS:
        expected = export.SIGNATURES[key]
        _, input_specs = signatures[key].structured_input_signature
        assert set(input_specs) == set(expected["inputs"]), key
        for name, (dtype, _) in expected["inputs"].items():
            assert input_specs[name].dtype == NP_DTYPE[dtype], (key, name)
        outputs = signatures[key].structured_outputs
        assert set(outputs) == set(expected["outputs"]), key
        for name, (dtype, shape) in expected["outputs"].items():
            assert outputs[name].dtype == NP_DTYPE[dtype], (key, name)
            assert outputs[name].shape.as_list() == [sizes.get(d, d) for d in shape], (key, name)
    # Inputs are left open so that the graph's own checks report bad shapes.
    assert signatures["annotate"].structured_input_signature[1]["images"].shape.rank is None
    assert signatures["generate"].structured_input_signature[1]["seed"].shape.rank is None


@pytest.mark.parametrize("exported", ["onehot"], indirect=True)  # one subprocess importing TF
def test_saved_model_cli_shows_signatures(exported):
    cli = Path(sys.executable).parent / "saved_model_cli"
    text = subprocess.run([str(cli), "show", "--dir", str(exported.result.path), "--all"],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    blocks = {}
    for block in text.split("signature_def[")[1:]:
        key, body = block.split("]", 1)
        blocks[key.strip("'")] = body
    assert set(SIGNATURE_KEYS) <= set(blocks)
    cli_dtype = {"float32": "DT_FLOAT", "int32": "DT_INT32", "int64": "DT_INT64",
                 "string": "DT_STRING"}
    for key in SIGNATURE_KEYS:
        body = blocks[key]
        inputs, outputs = body.split("output(s):")
        for name, (dtype, _) in export.SIGNATURES[key]["inputs"].items():
            assert f"inputs['{name}'] tensor_info:\n        dtype: {cli_dtype[dtype]}" in inputs
        for name, (dtype, _) in export.SIGNATURES[key]["outputs"].items():
            assert f"outputs['{name}'] tensor_info:\n        dtype: {cli_dtype[dtype]}" in outputs
        assert body.count("inputs['") == len(export.SIGNATURES[key]["inputs"])
        assert body.count("outputs['") == len(export.SIGNATURES[key]["outputs"])
        assert "Method name is: tensorflow/serving/predict" in body


# -- parity with the Keras model ----------------------------------------------------------------
def test_annotate_matches_keras(exported, images):
    model = exported.model
    probs, index = keras_probs(model, images)
    assert probs.max(axis=1).mean() > 1.5 / model.num_classes  # far from uniform: a real check
    for key in ("annotate", "serving_default"):
        out = exported.call(key, images=images)
        np.testing.assert_allclose(out["label_probs"], probs, atol=TOL)
        np.testing.assert_array_equal(out["label_index"], index)
        assert [n.decode() for n in out["label_name"]] == [model.class_names[i] for i in index]


def test_encode_and_label_distributions_match_keras(exported, images):
    model = exported.model
    q_z_x = model.encode(images.reshape(len(images), -1))
    out = exported.call("encode", images=images)
    np.testing.assert_allclose(out["mean"], q_z_x.mean().numpy(), atol=TOL)
    np.testing.assert_allclose(out["stddev"], q_z_x.stddev().numpy(), atol=TOL)
    q_z_l = model.label_distribution()
    out = exported.call("label_distributions")
    assert [n.decode() for n in out["names"]] == list(model.class_names)
    np.testing.assert_allclose(out["vectors"], model.label_vectors.numpy(), atol=TOL)
    np.testing.assert_allclose(out["mean"], q_z_l.mean().numpy(), atol=TOL)
    np.testing.assert_allclose(out["stddev"], q_z_l.stddev().numpy(), atol=TOL)
    np.testing.assert_allclose(out["scale_tril"], np.apply_along_axis(np.diag, -1, out["stddev"]),
                               atol=TOL)


@pytest.mark.parametrize("seed", [0, 12345, -7, 2**40 + 3])
def test_generate_matches_keras_and_repeats(exported, seed):
    model, rows = exported.model, label_rows(exported.model)
    expected = keras_images(model, rows, seed)
    assert expected.std() > 0.05  # non-trivial images
    first = exported.call("generate", label_vectors=rows, seed=np.int64(seed))["images"]
    again = exported.call("generate", label_vectors=rows, seed=np.int64(seed))["images"]
    other = exported.call("generate", label_vectors=rows, seed=np.int64(seed + 1))["images"]
    assert first.shape == (len(rows), *export.image_shape(model)) and first.dtype == np.float32
    np.testing.assert_allclose(first, expected, atol=TOL)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


# -- bad input ----------------------------------------------------------------------------------
def _bad_images(images):
    n, height, width = images.shape
    nan = images.copy()
    nan[0, 3, 3] = np.nan
    inf = images.copy()
    inf[1, 0, 0] = np.inf
    return {
        "wrong rank": (images.reshape(n, -1), f"got shape [{n} {height * width}]"),
        "smaller": (images[:, 1:, 1:], f"got shape [{n} {height - 1} {width - 1}]"),
        "single image": (images[0], f"got shape [{height} {width}]"),
        "NaN": (nan, "got 1 NaN/inf value(s)"),
        "inf": (inf, "got 1 NaN/inf value(s)"),
        "1.5": (np.where(images > 0.5, 1.5, images).astype(np.float32), "to 1.5"),
        "negative": (images - 0.25, "from -0.2"),
    }


@pytest.mark.parametrize("case", ["wrong rank", "smaller", "single image", "NaN", "inf", "1.5",
                                  "negative"])
@pytest.mark.parametrize("key", ["annotate", "encode"])
def test_bad_images_fail_clearly(exported, images, case, key):
    bad, detail = _bad_images(images)[case]
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        exported.call(key, images=bad)
    message = str(error.value)
    height, width = export.image_shape(exported.model)
    assert f"images must be float32 [N, {height}, {width}] with values in [0, 1]" in message
    assert exported.metadata["input_validation"]["images"] in message  # the text clients read
    assert detail in message


@pytest.mark.parametrize("case", ["wider", "narrower", "rank 1", "NaN"])
def test_bad_label_vectors_fail_clearly(exported, case):
    label_dim = exported.model.label_dim
    rows = label_rows(exported.model)
    nan = rows.copy()
    nan[1, 0] = np.nan
    bad, detail = {
        "wider": (np.zeros((2, label_dim + 1), np.float32), f"got shape [2 {label_dim + 1}]"),
        "narrower": (rows[:, :-1], f"got shape [{len(rows)} {label_dim - 1}]"),
        "rank 1": (rows[0], f"got shape [{label_dim}]"),
        "NaN": (nan, "got 1 NaN/inf value(s)"),
    }[case]
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        exported.call("generate", label_vectors=bad, seed=np.int64(0))
    message = str(error.value)
    assert f"label_vectors must be float32 [N, {label_dim}]" in message
    assert exported.metadata["input_validation"]["label_vectors"] in message
    assert detail in message


def test_empty_batch_works(exported):
    model = exported.model
    height, width = export.image_shape(model)
    out = exported.call("annotate", images=np.zeros((0, height, width), np.float32))
    assert out["label_probs"].shape == (0, model.num_classes)
    assert out["label_index"].shape == (0,) and out["label_name"].shape == (0,)
    out = exported.call("generate", label_vectors=np.zeros((0, model.label_dim), np.float32),
                        seed=np.int64(3))
    assert out["images"].shape == (0, height, width)


# -- image sizes and every registered model -------------------------------------------------------
def test_image_shape_comes_from_the_model(tmp_path):
    """A 16 x 16 model exports and serves 16 x 16 images; a non-square image_dim is refused."""
    model = tiny(image_dim=256)
    randomise_weights(model, seed=5)
    exported = Exported(model, export.export_model(model, "small", tmp_path, tflite=False))
    assert exported.metadata["image_shape"] == [16, 16]
    images = random_images(model)
    assert images.shape == (6, 16, 16)
    np.testing.assert_allclose(exported.call("annotate", images=images)["label_probs"],
                               keras_probs(model, images)[0], atol=TOL)
    rows = label_rows(model)
    out = exported.call("generate", label_vectors=rows, seed=np.int64(1))["images"]
    np.testing.assert_allclose(out, keras_images(model, rows, 1), atol=TOL)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[N, 16, 16\]"):
        exported.call("annotate", images=np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match="square"):
        export.image_shape(tiny(image_dim=300))


# What each model lacks: CVAE has no image-only encoder q(z|x).
OMITTED = {"cvae": {"encode"}}


@pytest.mark.parametrize("name, architecture",
                         [(n, "mlp") for n in model_names() if n != "pse_star"]
                         + [(n, "conv") for n in model_names()])
def test_every_registered_model_exports(name, architecture, tmp_path, images):
    """SavedModel only (mlp pse_star and TFLite are covered above): annotate, generate match
    Keras, with either architecture."""
    model = tiny(name, architecture=architecture)
    vectors = model.label_vectors.numpy()
    randomise_weights(model, seed=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a model without an optional signature warns
        result = export.export_model(model, name, tmp_path, tflite=False)
    omitted = json.loads(result.metadata_path.read_text())["omitted_signatures"]
    omitted = {k: v for k, v in omitted.items() if k not in TEXT_SIGNATURES}  # one-hot: no text
    assert set(omitted) == OMITTED.get(name, set())
    assert set(omitted) <= set(export.OPTIONAL_SIGNATURES)
    assert bool(omitted) == any("exported without" in str(w.message) for w in caught)
    loaded = tf.saved_model.load(str(result.path))
    assert set(loaded.signatures) - set(TEXT_SIGNATURES) == set(SIGNATURE_KEYS) - set(omitted)
    probs, index = keras_probs(model, images)
    out = loaded.signatures["annotate"](images=tf.constant(images))
    np.testing.assert_allclose(out["label_probs"].numpy(), probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"].numpy(), index)
    out = loaded.signatures["generate"](label_vectors=tf.constant(vectors),
                                        seed=tf.constant(9, tf.int64))
    np.testing.assert_allclose(out["images"].numpy(), keras_images(model, vectors, 9), atol=TOL)
    if "encode" not in omitted:
        q_z_x = model.encode(images.reshape(len(images), -1))
        out = loaded.signatures["encode"](images=tf.constant(images))
        np.testing.assert_allclose(out["mean"].numpy(), q_z_x.mean().numpy(), atol=TOL)
