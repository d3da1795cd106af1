"""One behavioural contract, run for every registered model."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import make_model
from pse_tf.config import ConfigError
from pse_tf.models import get_model_class, model_names
from pse_tf.architectures import architecture_names
from pse_tf.registry import MODELS

NAMES = model_names()
ARCHITECTURES = architecture_names()
# Every model with each built-in architecture, and each model with a label encoder again with
# the full-covariance q(z|l) (on the convolutional networks too).
VARIANTS = [(name, {}, arch) for arch in ARCHITECTURES for name in NAMES] + [
    (name, {"label_covariance": "full"}, arch) for arch in ARCHITECTURES
    for name in NAMES
    if "label_covariance" in get_model_class(name).declared_options] + [
    (name, {"label_components": 3}, "mlp") for name in NAMES
    if "label_components" in get_model_class(name).declared_options]
VARIANT_IDS = [name + {"label_covariance": "-full", "label_components": "-mixture"}.get(
    next(iter(options), ""), "") + ("" if arch == "mlp" else f"-{arch}")
               for name, options, arch in VARIANTS]


@pytest.mark.parametrize("name, options, architecture", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("encoding", ["onehot", "word2vec"])
def test_terms_are_per_example_and_named(name, options, architecture, encoding, tiny_batch):
    model = make_model(name, encoding, options=options, architecture=architecture)
    terms = model.compute_terms(*tiny_batch, training=True)
    assert tuple(terms) == model.term_names
    for value in terms.values():
        assert value.shape == (6,)
        assert np.all(np.isfinite(value.numpy()))


@pytest.mark.parametrize("name, options, architecture", VARIANTS, ids=VARIANT_IDS)
def test_distribution_shapes(name, options, architecture, tiny_batch):
    model = make_model(name, latent_dim=4, num_classes=3, options=options,
                       architecture=architecture)
    if name != "cvae":  # CVAE has no image-only encoder (tests/models/test_baselines.py)
        q_z_x = model.encode(tiny_batch[0])
        assert q_z_x.batch_shape == (6,) and q_z_x.event_shape == (4,)
    q_z_l = model.label_distribution()
    assert q_z_l.batch_shape == (3,) and q_z_l.event_shape == (4,)
    if options.get("label_covariance") == "full":
        assert type(q_z_l).__name__ == "MultivariateNormalTriL"
    if options.get("label_components"):
        assert q_z_l.components_distribution.batch_shape == (3, 3)
    assert model.annotation_log_likelihood(tiny_batch[0]).shape == (6, 3)
    assert model.generate(model.label_vectors, tf.constant([1, 2])).shape == (3, 784)
    label_vectors = tf.gather(model.label_vectors, tiny_batch[1])
    assert model.reconstruction_logits(tiny_batch[0], label_vectors, tf.constant([1, 2])).shape \
        == (6, 784)


@pytest.mark.parametrize("name, options, architecture", VARIANTS, ids=VARIANT_IDS)
def test_train_step_moves_weights_and_test_step_does_not(name, options, architecture, tiny_batch):
    model = make_model(name, options=options, architecture=architecture)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = [w.numpy().copy() for w in model.trainable_weights]
    logs = model.test_step(tiny_batch)
    assert set(logs) == {"loss", *model.term_names}
    for w, b in zip(model.trainable_weights, before):
        np.testing.assert_array_equal(w.numpy(), b)
    model.train_step(tiny_batch)
    moved = [not np.array_equal(w.numpy(), b) for w, b in zip(model.trainable_weights, before)]
    assert all(moved), [w.path for w, m in zip(model.trainable_weights, moved) if not m]


@pytest.mark.parametrize("name, options, architecture", VARIANTS, ids=VARIANT_IDS)
def test_generation_is_deterministic_for_a_seed(name, options, architecture):
    model = make_model(name, options=options, architecture=architecture)
    a = model.generate(model.label_vectors, tf.constant([3, 4]))
    b = model.generate(model.label_vectors, tf.constant([3, 4]))
    c = model.generate(model.label_vectors, tf.constant([5, 4]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


@pytest.mark.parametrize("name, options, architecture", VARIANTS, ids=VARIANT_IDS)
def test_weights_reload_equal(name, options, architecture, tmp_path, tiny_batch):
    model = make_model(name, seed=1, options=options, architecture=architecture)
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    other = make_model(name, seed=2, options=options, architecture=architecture)
    other.load_weights(path)
    np.testing.assert_allclose(other.annotation_log_likelihood(tiny_batch[0]).numpy(),
                               model.annotation_log_likelihood(tiny_batch[0]).numpy(), rtol=1e-6)


def test_label_table_shape_is_checked():
    from pse_tf.config import ModelConfig

    with pytest.raises(ValueError, match=r"\[C, L\]"):
        MODELS["pse"](ModelConfig(name="pse"), np.eye(3), ["a", "b"], "onehot")


@pytest.mark.parametrize("name", NAMES)
def test_unknown_option_is_refused_naming_model_and_allowed_keys(name):
    with pytest.raises(ConfigError) as error:
        make_model(name, options={"alpah": 1.0})
    message = str(error.value)
    assert repr(name) in message and "alpah" in message
    allowed = ", ".join(sorted(get_model_class(name).declared_options)) or "none"
    assert f"allowed: {allowed}" in message


@pytest.mark.parametrize("name", NAMES)
def test_declared_options_take_their_defaults_and_refuse_wrong_types(name):
    declared = get_model_class(name).declared_options
    model = make_model(name)
    assert model.option_values == {k: o.default for k, o in declared.items()}
    for key, option in declared.items():
        with pytest.raises(ConfigError, match=key):
            make_model(name, options={key: "ten"})
        with pytest.raises(ConfigError, match=key):
            make_model(name, options={key: True})
        value = option.choices[-1] if option.choices else 3 if option.type is int else 2.5
        assert make_model(name, options={key: value}).option_values[key] == value
        for bound, sign in ((option.minimum, -1), (option.maximum, 1)):
            if bound is not None:  # one past either end of its range is refused, naming it
                with pytest.raises(ConfigError, match=f"{key}' must be {'<' if sign > 0 else '>'}="):
                    make_model(name, options={key: option.type(bound + sign)})


@pytest.mark.parametrize("name", NAMES)
def test_embed_is_where_annotation_reads_the_image(name, tiny_batch):
    model = make_model(name)
    images, labels = tiny_batch
    vectors = tf.gather(model.label_vectors, labels)
    z = model.embed(images, vectors)
    assert z.shape == (6, 4)
    if name != "cvae":
        np.testing.assert_allclose(z.numpy(), model.encode(images).mean().numpy())


@pytest.mark.parametrize("name", NAMES)
def test_kl_warmup_weights_every_kl_term_by_the_step_fraction(name, tiny_batch):
    model = make_model(name)
    terms = {k: tf.ones([6]) for k in model.term_names}
    assert model.warmed_up(terms) is terms  # kl_warmup_steps = 0: the paper's objective
    model.model_config.kl_warmup_steps = 100
    model.compile(optimizer=keras.optimizers.Adam())
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(25)
    warmed = model.warmed_up(terms)
    for key, value in warmed.items():
        np.testing.assert_allclose(value, 0.25 if key.startswith("kl") else 1.0)
    model.optimizer.iterations.assign(400)
    np.testing.assert_allclose(model.warmed_up(terms)["kl"], 1.0)


@pytest.mark.parametrize("name", sorted({n for n, o, _ in VARIANTS if o}))
def test_label_covariance_refuses_other_values_naming_the_choices(name):
    with pytest.raises(ConfigError, match=r"label_covariance.*\['diag', 'full'\].*'dense'"):
        make_model(name, options={"label_covariance": "dense"})
