"""train -> evaluate -> export -> load_run on a colour 32 x 32 folder data set (tiny budget)."""

import json

import numpy as np
import pytest
import tensorflow as tf

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.runs import load_run, train
from tests.own_data.builders import write_folder


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_folder_run_trains_evaluates_and_exports(architecture, tmp_path):
    folder = write_folder(tmp_path / "clothes", per_class=30)
    config = TrainConfig(
        dataset=f"folder:{folder}", label_encoding="word2vec", steps=60, batch_size=32,
        steps_per_execution=20, checkpoint_every=60, jit_compile=False, generation_repeats=1,
        generation_samples_per_label=20, out=str(tmp_path / "runs"),
        model=ModelConfig(latent_dim=2, hidden_units=(32, 16), classifier_units=(32, 16),
                          architecture=architecture))
    result = train(config, verbose=0, export_dir=tmp_path / "exported")
    run_dir = result.run_dir
    assert run_dir.name == "folder-clothes-pse_star-word2vec-z2" + \
        ("-conv" if architecture == "conv" else "") + "-seed0"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 0 <= metrics["generation_accuracy"] <= 1 and metrics["evaluator_test_accuracy"] > 0.5
    assert (run_dir / "evaluator.keras").is_file() and (run_dir / "samples.png").is_file()

    model, loaded, encoding = load_run(run_dir)
    assert loaded.model.image_shape == (32, 32, 3) and loaded.model.image_dim == 32 * 32 * 3
    assert encoding.class_names == ("ankle boot", "sandal", "trouser")

    export = tmp_path / "exported" / "folder-clothes_pse_star_word2vec" / "1"
    meta = json.loads((export / "export_metadata.json").read_text())
    assert meta["image_shape"] == [32, 32, 3]
    assert meta["signatures"]["annotate"]["inputs"]["images"]["shape"] == [None, 32, 32, 3]
    assert (export / "annotator.tflite").is_file() and (export / "generator.tflite").is_file()
    served = tf.saved_model.load(str(export))
    images = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype(np.float32)
    probs = served.signatures["annotate"](images=tf.constant(images))["label_probs"]
    assert probs.shape == (2, 3)
    generated = served.signatures["generate"](label_vectors=tf.constant(encoding.vectors[:2]),
                                              seed=tf.constant(0, tf.int64))["images"]
    assert generated.shape == (2, 32, 32, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[N, 32, 32, 3\]"):
        served.signatures["annotate"](images=tf.zeros([1, 32, 32]))
