"""Shared export fixtures: PSE* exported once per label encoding, reloaded; small models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from pse_tf import export
from pse_tf.config import ModelConfig
from pse_tf.models import get_model_class

TOL = 1e-4
SIGNATURE_KEYS = ("serving_default", "annotate", "generate", "encode", "label_distributions")


def randomise_weights(model, seed):
    """Seeded weights large enough that outputs are far from uniform (no training needed)."""
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        shape = tuple(weight.shape)
        scale = 1.5 / np.sqrt(shape[0]) if len(shape) == 2 else 0.5
        weight.assign(rng.normal(0.0, scale, shape).astype(np.float32))


def build_pse_star(encoding):
    """PSE* at the default image size with random weights; onehot C = L = 10, or word2vec-style."""
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
    randomise_weights(model, seed=2)
    return model


def tiny(name="pse_star", num_classes=4, image_dim=784, architecture="mlp"):
    """A small built model of the registry, onehot labels."""
    config = ModelConfig(name=name, latent_dim=3, image_dim=image_dim, hidden_units=(32, 16),
                         classifier_units=(16,), architecture=architecture)
    vectors = np.eye(num_classes, dtype=np.float32)
    names = [f"label_{i}" for i in range(num_classes)]
    return get_model_class(name)(config, vectors, names, "onehot", seed=0).build_all()


def random_images(model, count=6, seed=3):
    """float32 [count, H, W] in [0, 1] at the model's image size."""
    height, width = export.image_shape(model)
    return np.random.default_rng(seed).uniform(size=(count, height, width)).astype(np.float32)


# id(model) -> (model, its traced annotation_log_likelihood); the models are fixtures that live
# for the session, and holding them keeps their ids from being reused.
_traced: dict = {}


def keras_probs(model, images):
    """What annotate must return: (softmax of annotation_log_likelihood, argmax). Traced once per
    model (any batch size): the property tests ask it about a thousand batches."""
    if id(model) not in _traced:
        _traced[id(model)] = (model, tf.function(model.annotation_log_likelihood,
                                                 reduce_retracing=True))
    log_likelihood = _traced[id(model)][1](tf.constant(images.reshape(len(images), -1)))
    return tf.nn.softmax(log_likelihood).numpy(), np.argmax(log_likelihood.numpy(), axis=-1)


def keras_images(model, label_vectors, seed):
    """What generate must return for an int64 seed: [N, H, W]."""
    pixels = model.generate(label_vectors, export.seed_pair(seed)).numpy()
    return pixels.reshape(-1, *export.image_shape(model))


def label_rows(model):
    """Every training label plus an unseen phrase-like mean of two rows."""
    vectors = model.label_vectors.numpy()
    return np.concatenate([vectors, vectors[:2].mean(axis=0, keepdims=True)]).astype(np.float32)


class Exported:
    """An export of `model`, reloaded: `call(key, **inputs)` runs a signature on numpy inputs."""

    def __init__(self, model, result):
        self.model = model
        self.result = result
        self.loaded = tf.saved_model.load(str(result.path))
        self.metadata = json.loads(result.metadata_path.read_text())

    def call(self, key, **inputs):
        outputs = self.loaded.signatures[key](**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in outputs.items()}


@pytest.fixture(scope="package", params=["onehot", "word2vec"])
def exported(request, tmp_path_factory):
    """PSE* exported with TFLite files, once per label encoding for the whole package."""
    model = build_pse_star(request.param)
    result = export.export_model(model, f"pse_star_{request.param}",
                                 tmp_path_factory.mktemp("exported"))
    return Exported(model, result)


@pytest.fixture(scope="package")
def images():
    """Six random images at the default model's size (28 x 28)."""
    return random_images(tiny())


class Hostile(Exported):
    """A tiny PSE* (H = W = 16, C = 4 classes, L = 6 label dims, Z = 3) with its TFLite files.

    L differs from C, so a label vector of width C is as wrong as any other width.
    """

    def __init__(self, model, result):
        super().__init__(model, result)
        self.height, self.width = export.image_shape(model)
        self.label_dim = int(model.label_dim)
        self.tflite = export.TFLiteModel(result.path)


@pytest.fixture(scope="package")
def hostile(tmp_path_factory):
    """The export the hostile-request tests hit, written once for the whole package."""
    config = ModelConfig(name="pse_star", latent_dim=3, image_dim=256, hidden_units=(32, 16),
                         classifier_units=(16,))
    vectors = np.random.default_rng(7).normal(size=(4, 6)).astype(np.float32)
    names = ["ankle boot", "bag", "coat", "dress"]
    model = get_model_class("pse_star")(config, vectors, names, "word2vec", seed=0).build_all()
    randomise_weights(model, seed=2)
    # Its label vectors are synthetic, not GloVe's: no text vocabulary (tests/export/test_text.py
    # covers the text signatures' bad inputs).
    return Hostile(model, export.export_model(model, "hostile", tmp_path_factory.mktemp("hostile"),
                                              text_options={"vocabulary_size": 0}))
