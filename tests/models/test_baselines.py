"""Behaviour specific to the baselines (the shared contract is in test_models.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import make_model
from pse_tf import objectives
from pse_tf.config import ConfigError, ModelConfig
from pse_tf.models import get_model_class


def build(name, **options):
    config = ModelConfig(name=name, latent_dim=4, hidden_units=(16, 8), options=options)
    return get_model_class(name)(config, np.eye(3, dtype=np.float32), ["a", "b", "c"],
                                 "onehot").build_all()


# -- VAE, CVAE: no label encoder -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_labels_map_to_the_prior(name, tiny_batch):
    q_z_l = make_model(name).label_distribution()
    np.testing.assert_array_equal(q_z_l.mean().numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(q_z_l.stddev().numpy(), np.ones((3, 4)))


def test_vae_annotation_cannot_tell_labels_apart(tiny_batch):
    scores = make_model("vae").annotation_log_likelihood(tiny_batch[0]).numpy()
    np.testing.assert_array_equal(scores, np.repeat(scores[:, :1], 3, axis=1))


def test_cvae_generates_from_the_prior_and_the_label():
    model = make_model("cvae")
    seed = tf.constant([3, 4])
    vectors = tf.constant(np.eye(3, dtype=np.float32)[[0, 1]])
    images = model.generate(vectors, seed).numpy()
    z = model.prior(2).sample(seed=seed)  # the same z whatever the labels
    expected = tf.sigmoid(model.decoder(tf.concat([z, vectors], axis=-1))).numpy()
    np.testing.assert_allclose(images, expected, rtol=1e-6)
    swapped = model.generate(tf.reverse(vectors, [0]), seed).numpy()
    assert not np.allclose(images, swapped)  # same z, different labels: different images


def test_cvae_annotation_is_the_elbo_of_each_image_under_each_label(tiny_batch):
    model = make_model("cvae")
    images = tiny_batch[0]
    scores = model.annotation_log_likelihood(images).numpy()
    assert scores.shape == (6, 3)
    for n, c in [(0, 0), (1, 2), (5, 1)]:
        x, lv = images[n:n + 1], model.label_vectors.numpy()[c:c + 1]
        q = model.encode_with_label(x, lv)
        elbo = -(objectives.reconstruction_nll(x, model.decode_logits(q.mean(), lv))
                 + objectives.kl(q, model.prior(1)))
        np.testing.assert_allclose(scores[n, c], elbo.numpy()[0], rtol=1e-5)


def test_cvae_has_no_image_only_encoder(tiny_batch):
    model = make_model("cvae")
    with pytest.raises(NotImplementedError, match="encode_with_label"):
        model.encode(tiny_batch[0])
    with pytest.raises(NotImplementedError, match="label_vectors"):
        model.decode_logits(tf.zeros([1, 4]))


# -- JMVAE, TrELBO: options --------------------------------------------------------------------
def test_jmvae_reads_alpha_from_options(tiny_batch):
    assert build("jmvae").alpha == 0.01
    model = build("jmvae", alpha=0.5)
    assert model.alpha == 0.5
    images, labels = tiny_batch
    p = model.joint_pass(images, labels)
    terms = objectives.jmvae(images, p, model.alpha)
    np.testing.assert_allclose(terms["kl_image"].numpy(),
                               0.5 * objectives.kl(p.q_z_xl, p.q_z_x).numpy(), rtol=1e-6)


def test_trelbo_reads_lambdas_from_options():
    model = build("trelbo")
    assert (model.lambda1, model.lambda2) == (1.0, 1.0)
    model = build("trelbo", lambda1=10, lambda2=100)
    assert (model.lambda1, model.lambda2) == (10.0, 100.0)


def test_scan_rejects_a_symbol_stage_of_no_steps():
    with pytest.raises(ConfigError, match="symbol_steps"):
        build("scan", symbol_steps=0)


# -- SCAN: two stages ----------------------------------------------------------------------------
def test_scan_stages_and_options():
    model = build("scan")
    assert model.beta == 10.0 and model.stage == "beta_vae"
    assert model.training_stages(100) == [("beta_vae", 100), ("symbols", 100)]
    model = build("scan", symbol_steps=7, beta=4.0)
    assert model.beta == 4.0 and model.training_stages(100)[1] == ("symbols", 7)
    with pytest.raises(ValueError, match="symbols"):
        model.begin_stage("joint")


def _weights(layer):
    return [w.numpy().copy() for w in layer.weights]


def test_scan_symbols_stage_trains_only_the_label_encoder(tiny_batch):
    model = make_model("scan")
    label_ids = {id(w) for w in model.label_encoder.weights}
    assert label_ids.isdisjoint(id(w) for w in model.trainable_weights)  # stage 1
    model.begin_stage("symbols")
    assert {id(w) for w in model.trainable_weights} == label_ids
    model.compile(optimizer=keras.optimizers.Adam(1e-2))  # a fresh optimizer per stage
    frozen = {name: _weights(getattr(model, name)) for name in ("image_encoder", "decoder")}
    label_before = _weights(model.label_encoder)
    logs = model.train_step(tiny_batch)
    assert set(logs) == {"loss", "reconstruction", "kl"}
    for name, before in frozen.items():
        for w, b in zip(getattr(model, name).weights, before):
            np.testing.assert_array_equal(w.numpy(), b, err_msg=name)
    for w, b in zip(model.label_encoder.weights, label_before):
        assert not np.array_equal(w.numpy(), b), w.path


def test_scan_symbols_kl_is_between_image_and_label_posteriors(tiny_batch):
    model = make_model("scan")
    model.begin_stage("symbols")
    images, labels = tiny_batch
    terms = model.compute_terms(images, labels)
    expected = objectives.kl(model.encode(images),
                             model.label_distribution(tf.gather(model.label_vectors, labels)))
    np.testing.assert_allclose(terms["kl"].numpy(), expected.numpy(), rtol=1e-6)
