"""The full-covariance label prior (model option label_covariance=full) through every export:
SavedModel signatures, TFLite files, `.keras` saving and a run directory's `load_run`."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from pse_tf import export
from pse_tf.config import ModelConfig
from pse_tf.models import get_model_class

from .conftest import TOL, keras_images, keras_probs, random_images, randomise_weights

FULL = {"label_covariance": "full"}


def tiny_full(name="pse_star"):
    config = ModelConfig(name=name, latent_dim=3, hidden_units=(32, 16), classifier_units=(16,),
                         options=dict(FULL))
    vectors = np.eye(4, dtype=np.float32)
    model = get_model_class(name)(config, vectors, [f"label_{i}" for i in range(4)], "onehot",
                                  seed=0).build_all()
    randomise_weights(model, seed=5)
    return model


@pytest.fixture(scope="module")
def exported_full(tmp_path_factory):
    model = tiny_full()
    return model, export.export_model(model, "full", tmp_path_factory.mktemp("full"))


def test_the_label_distribution_is_correlated(exported_full):
    model, _ = exported_full
    tril = model.label_distribution().scale_tril.numpy()
    assert np.abs(np.tril(tril, -1)).max() > 0.05


def test_saved_model_signatures_answer_as_keras(exported_full):
    model, result = exported_full
    images = random_images(model)
    loaded = tf.saved_model.load(str(result.path))
    probs, index = keras_probs(model, images)
    out = loaded.signatures["annotate"](images=tf.constant(images))
    np.testing.assert_allclose(out["label_probs"].numpy(), probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"].numpy(), index)
    # The annotation is q(z|l)'s own log-density at the image's mean, correlations included.
    mean = model.encode(images.reshape(len(images), -1)).mean()
    own = model.label_distribution().log_prob(mean[:, None, :]).numpy()
    np.testing.assert_allclose(tf.nn.softmax(own).numpy(), probs, atol=TOL)
    vectors = model.label_vectors.numpy()
    out = loaded.signatures["generate"](label_vectors=tf.constant(vectors),
                                        seed=tf.constant(11, tf.int64))
    np.testing.assert_allclose(out["images"].numpy(), keras_images(model, vectors, 11), atol=TOL)
    out = loaded.signatures["label_distributions"]()
    np.testing.assert_allclose(out["stddev"].numpy(),
                               model.label_distribution().stddev().numpy(), atol=TOL)
    np.testing.assert_allclose(out["scale_tril"].numpy(),
                               model.label_distribution().scale_tril.numpy(), atol=TOL)


def test_tflite_files_answer_as_keras(exported_full):
    model, result = exported_full
    images = random_images(model)
    tflite = export.TFLiteModel(result.path)
    probs, index = keras_probs(model, images)
    out = tflite.annotate(images)
    np.testing.assert_allclose(out["label_probs"], probs, atol=TOL)
    np.testing.assert_array_equal(out["label_index"], index)
    vectors = model.label_vectors.numpy()
    out = tflite.generate(vectors, 11)
    np.testing.assert_allclose(out["images"], keras_images(model, vectors, 11), atol=1e-3)


@pytest.mark.parametrize("name", ["pse", "jmvae", "trelbo", "scan"])
def test_every_model_with_a_label_encoder_saves_and_reloads_as_keras(name, tmp_path):
    model = tiny_full(name)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.option_values["label_covariance"] == "full"
    assert type(loaded.label_distribution()).__name__ == "MultivariateNormalTriL"
    images = random_images(model).reshape(6, -1)
    np.testing.assert_allclose(loaded.annotation_log_likelihood(images).numpy(),
                               model.annotation_log_likelihood(images).numpy(), rtol=1e-5)
    seed = tf.constant([1, 2])
    np.testing.assert_allclose(loaded.generate(model.label_vectors, seed).numpy(),
                               model.generate(model.label_vectors, seed).numpy(), atol=1e-6)


def test_a_run_directory_reloads_the_full_covariance_prior_with_load_run(tmp_path):
    from pse_tf.config import TrainConfig
    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels import LabelEncoding
    from pse_tf.models import create_model
    from pse_tf.run_folder import CONFIG, FINAL_WEIGHTS
    from pse_tf.runs import load_run

    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=1, model=ModelConfig(
        name="pse_star", latent_dim=3, hidden_units=(32, 16), classifier_units=(16,),
        options=dict(FULL)))
    model = create_model(config, LabelEncoding.build(CLASS_NAMES["mnist"], "onehot"))
    randomise_weights(model, seed=5)
    config.to_json(tmp_path / CONFIG)  # a run directory as `runs.train` leaves it, untrained
    model.save_weights(tmp_path / FINAL_WEIGHTS)
    loaded, saved, _ = load_run(tmp_path)
    assert saved.model.options == FULL
    assert type(loaded.label_distribution()).__name__ == "MultivariateNormalTriL"
    images = random_images(model).reshape(6, -1)
    np.testing.assert_allclose(loaded.annotation_log_likelihood(images).numpy(),
                               model.annotation_log_likelihood(images).numpy(), rtol=1e-5)
