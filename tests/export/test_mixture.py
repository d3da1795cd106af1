"""A mixture label distribution (model option label_components=K) through every export:
SavedModel signatures, TFLite files and `.keras` saving; and K = 1 is the paper's model exactly."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from pse_tf import export, mixtures
from pse_tf.config import ModelConfig
from pse_tf.models import get_model_class

from .conftest import TOL, keras_images, keras_probs, random_images, randomise_weights


def tiny_mixture(name="pse_star", covariance="diag", components=3, seed=5):
    options = {"label_components": components, "label_covariance": covariance}
    config = ModelConfig(name=name, latent_dim=3, hidden_units=(32, 16), classifier_units=(16,),
                         options=options)
    vectors = np.eye(4, dtype=np.float32)
    model = get_model_class(name)(config, vectors, [f"label_{i}" for i in range(4)], "onehot",
                                  seed=0).build_all()
    randomise_weights(model, seed=seed)
    return model


@pytest.fixture(scope="module", params=["diag", "full"])
def exported_mixture(request, tmp_path_factory):
    model = tiny_mixture(covariance=request.param)
    return model, export.export_model(model, "mixture", tmp_path_factory.mktemp("mixture"))


def test_saved_model_signatures_answer_as_keras(exported_mixture):
    model, result = exported_mixture
    images = random_images(model)
    loaded = tf.saved_model.load(str(result.path))
    probs, index = keras_probs(model, images)
    out = loaded.signatures["annotate"](images=tf.constant(images))
    np.testing.assert_allclose(out["label_probs"].numpy(), probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"].numpy(), index)
    # The annotation is the mixture's own log-density at the image's mean.
    q = model.label_distribution()
    mean = model.encode(images.reshape(len(images), -1)).mean()
    own = q.log_prob(mean[:, None, :]).numpy()
    np.testing.assert_allclose(tf.nn.softmax(own).numpy(), probs, atol=TOL)
    vectors = model.label_vectors.numpy()
    out = loaded.signatures["generate"](label_vectors=tf.constant(vectors),
                                        seed=tf.constant(11, tf.int64))
    np.testing.assert_allclose(out["images"].numpy(), keras_images(model, vectors, 11), atol=TOL)


def test_label_distributions_return_the_mixture(exported_mixture):
    model, result = exported_mixture
    out = tf.saved_model.load(str(result.path)).signatures["label_distributions"]()
    q = model.label_distribution()
    np.testing.assert_allclose(out["weights"].numpy(), mixtures.weights(q).numpy(), atol=TOL)
    np.testing.assert_allclose(out["component_mean"].numpy(),
                               q.components_distribution.loc.numpy(), atol=TOL)
    np.testing.assert_allclose(out["component_scale_tril"].numpy(),
                               q.components_distribution.scale.to_dense().numpy(), atol=TOL)
    np.testing.assert_allclose(out["mean"].numpy(), q.mean().numpy(), atol=TOL)
    cov = out["scale_tril"].numpy() @ np.swapaxes(out["scale_tril"].numpy(), -1, -2)
    np.testing.assert_allclose(cov, q.covariance().numpy(), atol=1e-3)
    assert out["weights"].shape == (4, 3)


def test_tflite_files_answer_as_keras(exported_mixture):
    model, result = exported_mixture
    images = random_images(model)
    tflite = export.TFLiteModel(result.path)
    probs, index = keras_probs(model, images)
    out = tflite.annotate(images)
    np.testing.assert_allclose(out["label_probs"], probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"], index)
    vectors = np.repeat(model.label_vectors.numpy(), 5, axis=0)  # several draws of each label
    out = tflite.generate(vectors, 11)
    np.testing.assert_allclose(out["images"], keras_images(model, vectors, 11), atol=1e-3)


@pytest.mark.parametrize("name", ["pse", "jmvae", "trelbo", "scan"])
def test_every_model_with_a_label_encoder_saves_and_reloads_as_keras(name, tmp_path):
    model = tiny_mixture(name)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.option_values["label_components"] == 3
    assert mixtures.is_mixture(loaded.label_distribution())
    images = random_images(model).reshape(6, -1)
    np.testing.assert_allclose(loaded.annotation_log_likelihood(images).numpy(),
                               model.annotation_log_likelihood(images).numpy(), rtol=1e-5)
    seed = tf.constant([1, 2])
    np.testing.assert_allclose(loaded.generate(model.label_vectors, seed).numpy(),
                               model.generate(model.label_vectors, seed).numpy(), atol=1e-6)
    np.testing.assert_allclose(loaded.label_mixture_weights().numpy(),
                               model.label_mixture_weights().numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["pse", "pse_star", "jmvae", "trelbo", "scan"])
def test_one_component_is_the_papers_model_exactly(name):
    def trained(options):
        keras.utils.set_random_seed(0)  # the same initial weights for both
        config = ModelConfig(name=name, latent_dim=3, hidden_units=(32, 16),
                             classifier_units=(16,), options=options)
        model = get_model_class(name)(config, np.eye(4, dtype=np.float32), list("abcd"),
                                      "onehot", seed=0).build_all()
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        x = np.random.default_rng(0).uniform(size=[16, 784]).astype(np.float32)
        model.fit(x, np.arange(16) % 4, batch_size=8, epochs=2, verbose=0, shuffle=False)
        return model

    paper, explicit = trained({}), trained({"label_components": 1, "kl_samples": 7})
    assert type(explicit.label_encoder).__name__ == "GaussianEncoder"
    assert explicit.label_mixture_weights() is None
    for a, b in zip(paper.weights, explicit.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_mixture_model_trains_and_its_weights_move():
    model = tiny_mixture(seed=1)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = model.label_mixture_weights().numpy()
    x = np.random.default_rng(1).uniform(size=[32, 784]).astype(np.float32)
    history = model.fit(x, np.arange(32) % 4, batch_size=16, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["kl"]))
    assert np.abs(model.label_mixture_weights().numpy() - before).max() > 1e-4
