"""Shared test helpers: quiet TensorFlow, small models built from the registry."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from pse_tf.config import ModelConfig  # noqa: E402
from pse_tf.models import get_model_class  # noqa: E402


def make_model(name: str, encoding: str = "onehot", latent_dim: int = 4, num_classes: int = 3,
               label_dim: int = 5, seed: int = 0, hidden_units=(16, 8), options=None,
               architecture: str = "mlp"):
    """A small registered model with every weight built (onehot: identity label table)."""
    if encoding == "onehot":
        vectors = np.eye(num_classes, dtype=np.float32)
    else:
        vectors = np.random.default_rng(seed).normal(size=(num_classes, label_dim))
    config = ModelConfig(name=name, latent_dim=latent_dim, hidden_units=hidden_units,
                         classifier_units=hidden_units, options=dict(options or {}),
                         architecture=architecture)
    names = [f"class{i}" for i in range(num_classes)]
    return get_model_class(name)(config, vectors, names, encoding, seed=seed).build_all()


@pytest.fixture
def tiny_batch():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(6, 784)).astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.int32)
    return images, labels
