"""A run directory written by hand (config.json + random weights, nothing trained) and its
export: a real model for the text front ends in seconds, without training."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_random_run(root: Path, vocabulary_size: int = 2000, latent_dim: int = 4,
                     export: bool = True, dataset: str = "fashion_mnist", class_names=None,
                     image_shape=None, architecture: str = "mlp"):
    """A PSE* with word-vector labels and seeded random weights far from the initialisation
    (as a trained model's are): (run directory, export version folder or None without
    `export`).

    Args:
        dataset: str. The config's data set (a `folder:PATH` needs `class_names`).
        class_names: list of str or None (the data set's). Written to dataset.json, as
            `runs.train` does, so `load_run` needs no data.
        image_shape: tuple or None (28 x 28 grey). (H, W) or (H, W, C).
        architecture: str. The image networks (`ModelConfig.architecture`).
    """
    import json
    import math

    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.data import CLASS_NAMES
    from pse_tf.export import export_model
    from pse_tf.labels import LabelEncoding
    from pse_tf.models import create_model
    from pse_tf.runs import CONFIG, DATA_SUMMARY, FINAL_WEIGHTS

    shape = {} if image_shape is None else {"image_shape": tuple(image_shape),
                                            "image_dim": math.prod(image_shape)}
    config = TrainConfig(dataset=dataset, label_encoding="word2vec", steps=1,
                         model=ModelConfig(name="pse_star", latent_dim=latent_dim,
                                           hidden_units=(32, 16), classifier_units=(16,),
                                           architecture=architecture, **shape))
    class_names = list(class_names or CLASS_NAMES[dataset])
    model = create_model(config, LabelEncoding.build(class_names, "word2vec"))
    rng = np.random.default_rng(0)
    for weight in model.trainable_weights:
        weight.assign(rng.normal(0.0, 0.5, tuple(weight.shape)).astype(np.float32))
    run_dir = Path(root) / "run"
    run_dir.mkdir(parents=True)
    config.to_json(run_dir / CONFIG)
    (run_dir / DATA_SUMMARY).write_text(json.dumps({"class_names": class_names}))
    model.save_weights(run_dir / FINAL_WEIGHTS)
    if not export:
        return run_dir, None
    result = export_model(model, "random", Path(root) / "exported", tflite=False,
                          text_options={"vocabulary_size": vocabulary_size})
    return run_dir, result.path
