"""Image networks by name: the registry, the conv networks' sizes and checks, and your own
networks (the docs/model.md example, run on real MNIST)."""

import re
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import make_model
from pse_tf import registry
from pse_tf.architectures import Architecture
from pse_tf.data.images import flat_float
from pse_tf.config import ConfigError, ModelConfig, TrainConfig
from pse_tf.architectures import architecture_names
from pse_tf.models import get_model_class
from pse_tf.registry import register_architecture
from pse_tf.run_folder import run_name as default_run_name

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def own_registry(monkeypatch):
    """Registrations made by a test vanish after it."""
    monkeypatch.setattr(registry, "ARCHITECTURES", dict(registry.ARCHITECTURES))


def test_the_built_in_architectures_are_the_registry_s_and_the_cli_s():
    from scripts.train import parse_args

    assert architecture_names() == ["conv", "mlp"]
    assert parse_args(["--architecture", "conv"])[1].model.architecture == "conv"
    with pytest.raises(SystemExit):
        parse_args(["--architecture", "resnet"])


def test_an_unknown_architecture_is_refused_before_anything_is_built_and_config_round_trips():
    config = ModelConfig(name="pse", architecture="convolutional")
    with pytest.raises(ConfigError, match=r"architecture must be one of \['conv', 'mlp'\], "
                                          r"got 'convolutional'"):
        get_model_class("pse").check_options(config)
    with pytest.raises(ConfigError, match="architecture must be a registered name"):
        ModelConfig(architecture=None)
    config = TrainConfig(model=ModelConfig(architecture="conv"))
    assert TrainConfig.from_json(config.to_json()) == config


def test_run_names_gain_the_architecture_only_when_it_is_not_the_paper_s():
    assert default_run_name(TrainConfig()) == "fashion_mnist-pse_star-word2vec-z10-seed0"
    assert default_run_name(TrainConfig(model=ModelConfig(architecture="conv"))) == \
        "fashion_mnist-pse_star-word2vec-z10-conv-seed0"


@pytest.mark.parametrize("shape", [(28, 28), (32, 32, 3), (16, 24, 2)])
def test_conv_networks_are_sized_from_the_image(shape):
    config = ModelConfig(name="pse_star", architecture="conv", image_dim=int(np.prod(shape)),
                         image_shape=shape)
    model = get_model_class("pse_star")(config, np.eye(3), list("abc"), "onehot").build_all()
    images = np.random.default_rng(0).uniform(size=(2, config.image_dim)).astype(np.float32)
    assert model.decode_logits(model.encode(images).mean()).shape == (2, config.image_dim)
    kernels = [w.shape for w in model.decoder.weights if len(w.shape) == 4]
    assert kernels[-1][2] == (shape[2] if len(shape) == 3 else 1)  # C output filters


def test_conv_refuses_a_size_that_is_not_a_multiple_of_4_naming_those_that_work():
    config = ModelConfig(name="pse", architecture="conv", image_dim=30 * 30 * 3,
                         image_shape=(30, 30, 3))
    with pytest.raises(ValueError, match=r"multiples of 4 \(e\.g\. 28x28 grey, 32x32 colour\), "
                                         r"got 30x30x3"):
        get_model_class("pse")(config, np.eye(3), list("abc"), "onehot")


def test_a_decoder_of_the_wrong_shape_is_refused_clearly(own_registry):
    @register_architecture("too_small")
    class TooSmall(Architecture):
        def trunk(self, image_shape):
            return keras.layers.Conv2D(4, 3, strides=2)

        def decoder_body(self, image_shape):
            return keras.Sequential([keras.layers.Dense(14 * 14),
                                     keras.layers.Reshape((14, 14, 1))])

    with pytest.raises(ValueError, match=re.escape("architecture 'too_small': the decoder must "
                                                   "give logits [N, 28, 28, 1] or [N, 784], got "
                                                   "[N, 14, 14, 1]")):
        make_model("vae", architecture="too_small")


def test_the_joint_encoder_reads_the_label_beside_the_conv_features(tiny_batch):
    model = make_model("cvae", architecture="conv")
    images, labels = tiny_batch
    one, other = np.eye(3, dtype=np.float32)[[0] * 6], np.eye(3, dtype=np.float32)[[1] * 6]
    assert not np.allclose(model.encode_with_label(images, one).mean(),
                           model.encode_with_label(images, other).mean())
    head = model.encoder.net.weights[0]  # the dense head: 7 * 7 * 64 features + 3 label entries
    assert head.shape[0] == 7 * 7 * 64 + 3


def test_a_conv_model_saves_and_loads_as_keras(tmp_path, tiny_batch):
    model = make_model("pse_star", architecture="conv", encoding="word2vec")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.model_config.architecture == "conv"
    np.testing.assert_array_equal(model(tiny_batch[0]).numpy(), loaded(tiny_batch[0]).numpy())


def test_the_documented_own_network_trains_and_saves(own_registry, tmp_path):
    text = (ROOT / "docs" / "model.md").read_text()
    code = re.search(r"```python\n(.*?)```", text.split("## Image networks", 1)[1], re.S).group(1)
    assert 18 <= len(code.strip().splitlines()) <= 40
    scope = {}
    exec(compile(code, "docs/model.md", "exec"), scope)
    model, losses = scope["model"], scope["history"].history["loss"]
    assert model.model_config.architecture == "small_resnet" and losses[1] < losses[0]
    assert any(len(w.shape) == 4 for w in model.image_encoder.weights)  # the user's trunk
    model.save(tmp_path / "m.keras")
    images = flat_float(scope["data"].test_images[:4])
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "m.keras")(images),
                               model(images), rtol=1e-5)
