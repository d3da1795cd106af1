"""A run directory written by hand (config.json + random weights, nothing trained) and its
export: a real model for the text front ends in seconds, without training."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_random_run(root: Path, vocabulary_size: int = 2000, latent_dim: int = 4,
                     export: bool = True):
    """A PSE* on the GloVe Fashion-MNIST labels with seeded random weights far from the
    initialisation (as a trained model's are): (run directory, export version folder or None
    without `export`)."""
    from pse_tf.export import export_model
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels import LabelEncoding
    from pse_tf.registry import create_model
    from pse_tf.runs import CONFIG, FINAL_WEIGHTS

    config = TrainConfig(dataset="fashion_mnist", label_encoding="word2vec", steps=1,
                         model=ModelConfig(name="pse_star", latent_dim=latent_dim,
                                           hidden_units=(32, 16), classifier_units=(16,)))
    model = create_model(config, LabelEncoding.build(CLASS_NAMES["fashion_mnist"], "word2vec"))
    rng = np.random.default_rng(0)
    for weight in model.trainable_weights:
        weight.assign(rng.normal(0.0, 0.5, tuple(weight.shape)).astype(np.float32))
    run_dir = Path(root) / "run"
    run_dir.mkdir(parents=True)
    config.to_json(run_dir / CONFIG)
    model.save_weights(run_dir / FINAL_WEIGHTS)
    if not export:
        return run_dir, None
    result = export_model(model, "random", Path(root) / "exported", tflite=False,
                          text_options={"vocabulary_size": vocabulary_size})
    return run_dir, result.path
