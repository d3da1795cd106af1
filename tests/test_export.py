"""Export contract: signatures (names, dtypes, shapes), Keras parity, TFLite, bad input."""

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
from pse_tf.config import ModelConfig
from pse_tf.registry import get_model_class, model_names

TOL = 1e-4
FILES = ("saved_model.pb", "variables", "annotator.tflite", "generator.tflite",
         "export_metadata.json")
SIGNATURE_KEYS = ("serving_default", "annotate", "generate", "encode", "label_distributions")
NP_DTYPE = {"float32": tf.float32, "int32": tf.int32, "int64": tf.int64, "string": tf.string}


def _randomise_weights(model, seed):
    """Seeded weights large enough that outputs are far from uniform (no training needed)."""
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        shape = tuple(weight.shape)
        scale = 1.5 / np.sqrt(shape[0]) if len(shape) == 2 else 0.5
        weight.assign(rng.normal(0.0, scale, shape).astype(np.float32))


def _build(encoding):
    if encoding == "onehot":
        names = [f"class_{i}" for i in range(10)]
        vectors = np.eye(10, dtype=np.float32)
        config = ModelConfig(name="pse_star", latent_dim=10)
    else:  # word2vec-style: L = 50 random unit vectors, a smaller latent space
        names = ["t-shirt", "trouser", "pullover", "dress", "ankle boot"]
        vectors = np.random.default_rng(1).normal(size=(5, 50)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        config = ModelConfig(name="pse_star", latent_dim=4)
    model = get_model_class("pse_star")(config, vectors, names, encoding, seed=0).build_all()
    _randomise_weights(model, seed=2)
    return model


class Exported:
    def __init__(self, model, result):
        self.model = model
        self.result = result
        self.loaded = tf.saved_model.load(str(result.path))
        self.metadata = json.loads(result.metadata_path.read_text())

    def call(self, key, **inputs):
        outputs = self.loaded.signatures[key](**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in outputs.items()}


@pytest.fixture(scope="module", params=["onehot", "word2vec"])
def exported(request, tmp_path_factory):
    model = _build(request.param)
    result = export.export_model(model, f"pse_star_{request.param}",
                                 tmp_path_factory.mktemp("exported"))
    return Exported(model, result)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(3)
    return rng.uniform(0.0, 1.0, size=(6, 28, 28)).astype(np.float32)


def _interpreter(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # the deprecated one still runs in TF 2.21
        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=str(path))


def _keras_probs(model, images):
    log_likelihood = model.annotation_log_likelihood(images.reshape(len(images), -1))
    return tf.nn.softmax(log_likelihood).numpy(), np.argmax(log_likelihood.numpy(), axis=-1)


def _shape(spec_shape, sizes):
    return [sizes.get(d, d) for d in spec_shape]


def _sizes(model):
    return {"N": None, "H": 28, "W": 28, "C": model.num_classes, "L": model.label_dim,
            "Z": model.model_config.latent_dim}


# -- layout, metadata, versions -----------------------------------------------------------------
def test_layout_and_metadata(exported):
    model, result = exported.model, exported.result
    assert result.version == 1 and result.path.name == "1"
    assert sorted(result.tflite_paths) == ["annotator", "generator"]
    for name in FILES:
        assert (result.path / name).exists(), name
    meta = exported.metadata
    assert meta["class_names"] == list(model.class_names)
    assert meta["label_encoding"] == model.label_encoding
    assert meta["label_dim"] == model.label_dim
    assert meta["latent_dim"] == model.model_config.latent_dim
    assert meta["image_shape"] == [28, 28]
    assert meta["signatures"]["generate"]["inputs"]["label_vectors"] == {
        "dtype": "float32", "shape": [None, model.label_dim]}
    assert meta["tflite"]["generator"]["file"] == "generator.tflite"
    assert "Flex" not in meta["tflite"]["generator"]["note"]


def _tiny(name="pse_star", num_classes=4):
    config = ModelConfig(name=name, latent_dim=3, hidden_units=(32, 16), classifier_units=(16,))
    vectors = np.eye(num_classes, dtype=np.float32)
    names = [f"label_{i}" for i in range(num_classes)]
    return get_model_class(name)(config, vectors, names, "onehot", seed=0).build_all()


def test_versions_increment_and_never_overwrite(tmp_path):
    model = _tiny()
    first = export.export_model(model, "m", tmp_path, tflite=False)
    (tmp_path / "m" / "notes").mkdir()  # non-integer entries are not versions
    second = export.export_model(model, "m", tmp_path, tflite=False)
    assert (first.version, second.version) == (1, 2)
    assert first.tflite_paths == {} and not (first.path / "annotator.tflite").exists()
    assert export.export_model(model, "m", tmp_path, version=7, tflite=False).version == 7
    assert export.existing_versions(tmp_path / "m") == [1, 2, 7]
    with pytest.raises(FileExistsError, match="already exists"):
        export.export_model(model, "m", tmp_path, version=2, tflite=False)
    with pytest.raises(ValueError, match="directory name"):
        export.export_model(model, "../m", tmp_path)
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".tmp")]


# -- signatures -----------------------------------------------------------------------------------
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
            assert outputs[name].shape.as_list() == _shape(shape, sizes), (key, name)
    # Data inputs are left open so that the graph's own checks report bad shapes (export doc).
    assert signatures["annotate"].structured_input_signature[1]["images"].shape.rank is None
    assert signatures["generate"].structured_input_signature[1]["seed"].shape == []


def test_saved_model_cli_shows_signatures(exported):
    if exported.model.label_encoding != "onehot":
        pytest.skip("one CLI run (a subprocess importing TF) is enough")
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
    probs, index = _keras_probs(model, images)
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


def _label_rows(model):
    """Every training label plus an unseen phrase-like mean of two rows."""
    vectors = model.label_vectors.numpy()
    return np.concatenate([vectors, vectors[:2].mean(axis=0, keepdims=True)]).astype(np.float32)


@pytest.mark.parametrize("seed", [0, 12345, -7, 2**40 + 3])
def test_generate_matches_keras_and_repeats(exported, seed):
    model, rows = exported.model, _label_rows(exported.model)
    expected = model.generate(rows, export.seed_pair(seed)).numpy().reshape(-1, 28, 28)
    assert expected.std() > 0.05  # non-trivial images
    first = exported.call("generate", label_vectors=rows, seed=np.int64(seed))["images"]
    again = exported.call("generate", label_vectors=rows, seed=np.int64(seed))["images"]
    other = exported.call("generate", label_vectors=rows, seed=np.int64(seed + 1))["images"]
    assert first.shape == (len(rows), 28, 28) and first.dtype == np.float32
    np.testing.assert_allclose(first, expected, atol=TOL)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


def test_seed_pair_is_the_low_and_high_words():
    cases = {0: [0, 0], 5: [5, 0], 2**32 + 1: [1, 1], -1: [-1, -1], 2**31: [-2**31, 0],
             2**63 - 1: [-1, 2**31 - 1], -2**63: [0, -2**31]}
    for seed, pair in cases.items():
        seed = tf.constant(seed, tf.int64)
        assert export.seed_pair(seed).numpy().tolist() == pair
        assert export._seed_pair_builtin(seed).numpy().tolist() == pair  # TFLite's bitcast form


@pytest.mark.parametrize("shape", [[1], [7], [3, 5], [10, 4], [0, 3]])
@pytest.mark.parametrize("seed", [[0, 0], [7, -2], [-2**31, 2**31 - 1], [123456789, 1]])
def test_builtin_philox_normal_matches_tf(shape, seed):
    seed = tf.constant(seed, tf.int32)
    ours = export.philox_stateless_normal(shape, seed).numpy()
    theirs = tf.random.stateless_normal(shape, seed=seed).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


# -- TFLite -------------------------------------------------------------------------------------
def test_tflite_annotator_matches_keras(exported, images):
    model = exported.model
    interpreter = _interpreter(exported.result.tflite_paths["annotator"])
    signature = interpreter.get_signature_list()["annotate"]
    assert signature["inputs"] == ["images"]
    assert sorted(signature["outputs"]) == ["label_index", "label_name", "label_probs"]
    out = interpreter.get_signature_runner("annotate")(images=images)
    probs, index = _keras_probs(model, images)
    np.testing.assert_allclose(out["label_probs"], probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"], index)
    assert [n.decode() for n in out["label_name"]] == [model.class_names[i] for i in index]


def test_tflite_generator_matches_keras(exported):
    model, rows = exported.model, _label_rows(exported.model)
    interpreter = _interpreter(exported.result.tflite_paths["generator"])
    assert sorted(interpreter.get_signature_list()["generate"]["inputs"]) == ["label_vectors",
                                                                               "seed"]
    runner = interpreter.get_signature_runner("generate")
    for seed in (12345, 2**40 + 3):
        out = runner(label_vectors=rows, seed=np.array(seed, np.int64))["images"]
        expected = model.generate(rows, export.seed_pair(seed)).numpy().reshape(-1, 28, 28)
        assert out.shape == expected.shape
        np.testing.assert_allclose(out, expected, atol=TOL)
    other = runner(label_vectors=rows, seed=np.array(12346, np.int64))["images"]
    assert np.abs(other - expected).max() > 1e-3


# -- bad input ----------------------------------------------------------------------------------
def _bad_images(images):
    nan = images.copy()
    nan[0, 3, 3] = np.nan
    inf = images.copy()
    inf[1, 0, 0] = np.inf
    return {
        "wrong rank": (images.reshape(len(images), -1), "got shape [6 784]"),
        "27x27": (images[:, :27, :27], "got shape [6 27 27]"),
        "single image": (images[0], "got shape [28 28]"),
        "NaN": (nan, "got 1 NaN/inf value(s)"),
        "inf": (inf, "got 1 NaN/inf value(s)"),
        "1.5": (np.where(images > 0.5, 1.5, images).astype(np.float32), "to 1.5"),
        "negative": (images - 0.25, "from -0.2"),
    }


@pytest.mark.parametrize("case", ["wrong rank", "27x27", "single image", "NaN", "inf", "1.5",
                                  "negative"])
@pytest.mark.parametrize("key", ["annotate", "encode"])
def test_bad_images_fail_clearly(exported, images, case, key):
    bad, detail = _bad_images(images)[case]
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        exported.call(key, images=bad)
    message = str(error.value)
    assert export.IMAGES_SPEC in message
    assert "images must be float32 [N, 28, 28] with values in [0, 1]" in message
    assert detail in message


@pytest.mark.parametrize("case", ["wider", "narrower", "rank 1", "NaN"])
def test_bad_label_vectors_fail_clearly(exported, case):
    label_dim = exported.model.label_dim
    rows = _label_rows(exported.model)
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
    assert detail in message


def test_empty_batch_works(exported):
    model = exported.model
    out = exported.call("annotate", images=np.zeros((0, 28, 28), np.float32))
    assert out["label_probs"].shape == (0, model.num_classes)
    assert out["label_index"].shape == (0,) and out["label_name"].shape == (0,)
    out = exported.call("generate", label_vectors=np.zeros((0, model.label_dim), np.float32),
                        seed=np.int64(3))
    assert out["images"].shape == (0, 28, 28)


def test_unbuilt_model_is_refused(tmp_path):
    model = get_model_class("pse_star")(ModelConfig(name="pse_star"), np.eye(3), ["a", "b", "c"],
                                        "onehot")
    with pytest.raises(ValueError, match="build_all"):
        export.export_model(model, "m", tmp_path)


# -- every registered model -----------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in model_names() if n != "pse_star"])
def test_every_registered_model_exports(name, tmp_path, images):
    """SavedModel only (pse_star and TFLite are covered above): annotate, generate match Keras."""
    model = _tiny(name)
    vectors = model.label_vectors.numpy()
    _randomise_weights(model, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a model without an optional signature warns
        result = export.export_model(model, name, tmp_path, tflite=False)
    loaded = tf.saved_model.load(str(result.path))
    omitted = json.loads(result.metadata_path.read_text())["omitted_signatures"]
    assert set(omitted) <= set(export.OPTIONAL_SIGNATURES)
    assert set(loaded.signatures) == set(SIGNATURE_KEYS) - set(omitted)
    probs, index = _keras_probs(model, images)
    out = loaded.signatures["annotate"](images=tf.constant(images))
    np.testing.assert_allclose(out["label_probs"].numpy(), probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"].numpy(), index)
    expected = model.generate(vectors, export.seed_pair(9)).numpy().reshape(-1, 28, 28)
    out = loaded.signatures["generate"](label_vectors=tf.constant(vectors),
                                        seed=tf.constant(9, tf.int64))
    np.testing.assert_allclose(out["images"].numpy(), expected, atol=TOL)
