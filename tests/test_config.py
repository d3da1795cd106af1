import os
import subprocess
import sys
from pathlib import Path

import pytest

from pse_tf.config import LABEL_ENCODINGS, ConfigError, ModelConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def test_round_trip_through_json_is_exact(tmp_path):
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=123, seed=7,
                         lr_schedule="cosine", binarize="dynamic",
                         model=ModelConfig(name="pse", latent_dim=2, hidden_units=(32, 8),
                                           options={"alpha": 0.1}, kernel_initializer="pytorch",
                                           scale_function="exp", kl_warmup_steps=500))
    path = tmp_path / "config.json"
    config.to_json(path)
    assert TrainConfig.from_json(path) == config
    assert TrainConfig.from_json(config.to_json()) == config


def test_unknown_key_is_named():
    values = TrainConfig().to_dict()
    values["stpes"] = 10
    with pytest.raises(ConfigError, match="stpes"):
        TrainConfig.from_dict(values)
    values = TrainConfig().to_dict()
    values["model"]["latnt_dim"] = 3
    with pytest.raises(ConfigError, match="latnt_dim"):
        TrainConfig.from_dict(values)


@pytest.mark.parametrize("field,value", [("dataset", "cifar"), ("label_encoding", "glove"),
                                         ("steps", 0), ("learning_rate", -1.0),
                                         ("lr_schedule", "linear"), ("binarize", "otsu")])
def test_bad_values_are_rejected_with_the_value(field, value):
    with pytest.raises(ConfigError, match=str(value)):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("field,value", [("kernel_initializer", "zeros"),
                                         ("scale_function", "square"), ("kl_warmup_steps", -1)])
def test_bad_model_values_are_rejected_with_the_value(field, value):
    with pytest.raises(ConfigError, match=f"{field}.*{value}"):
        ModelConfig(**{field: value})


@pytest.mark.parametrize("module", ["tensorflow", "keras"])
def test_importing_the_config_loads_no_tensorflow_or_keras(module):
    """A CLI parses and refuses a config before TensorFlow's start-up (seconds) is paid."""
    code = (f"import sys, pse_tf.config, pse_tf.registry; "
            f"assert {module!r} not in sys.modules, sorted(m for m in sys.modules if 'pse' in m)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_config_names_the_label_encodings_the_labels_package_builds():
    from pse_tf.labels import ENCODINGS

    assert tuple(ENCODINGS) == LABEL_ENCODINGS
