"""PSE's open-vocabulary training options: L2 on the label encoder (`label_weight_decay`) and
extra training phrases per class (`set_training_phrases`)."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import make_model
from pse_tf.config import ConfigError, TrainConfig


@pytest.mark.parametrize("name", ["pse", "pse_star"])
def test_label_weight_decay_is_a_reported_term(name, tiny_batch):
    images, labels = tiny_batch
    plain = make_model(name, encoding="word2vec")
    decayed = make_model(name, encoding="word2vec", options={"label_weight_decay": 0.5})
    assert "label_weight_decay" not in plain.term_names
    assert decayed.term_names[-1] == "label_weight_decay"
    terms = decayed.compute_terms(images, labels, training=True)
    kernels = [w for w in decayed.label_encoder.trainable_weights if len(w.shape) == 2]
    expected = 0.5 * sum(float(tf.reduce_sum(w ** 2)) for w in kernels)
    np.testing.assert_allclose(terms["label_weight_decay"].numpy(),
                               np.full(len(labels), expected), rtol=1e-5)
    decayed.compile(optimizer="adam")
    assert "label_weight_decay" in decayed.train_step((images, labels))


def test_label_weight_decay_shrinks_weights_that_get_no_other_gradient(tiny_batch):
    images, labels = tiny_batch
    model = make_model("pse", encoding="word2vec", options={"label_weight_decay": 1.0})
    kernel = model.label_encoder.trainable_weights[0]
    before = float(tf.norm(kernel))
    model.compile(optimizer="adam")
    for _ in range(20):
        model.train_step((images, labels))
    assert float(tf.norm(kernel)) < before


def test_training_phrases_draw_among_a_class_rows():
    model = make_model("pse_star", encoding="word2vec", num_classes=3, label_dim=5)
    vectors = model.label_vectors.numpy()
    table = np.repeat(vectors[:, None], 3, axis=1)
    table[0, 1], table[0, 2] = 7.0, 9.0
    model.set_training_phrases(table, np.array([3, 1, 2], np.int32))
    labels = tf.constant([0] * 300 + [1] * 10)
    drawn = model.training_label_vectors(labels, training=True).numpy()
    matches = drawn[:300, None, :] == table[None, 0]  # [300, 3 rows, L]
    rows = np.argmax(matches.all(axis=2), axis=1)
    assert matches.all(axis=2).any(axis=1).all() and set(rows) == {0, 1, 2}  # all three rows
    np.testing.assert_array_equal(drawn[300:], np.repeat(vectors[1:2], 10, axis=0))
    # evaluation keeps the class's own vector
    np.testing.assert_array_equal(model.training_label_vectors(labels, training=False).numpy()[0],
                                  vectors[0])


def test_training_phrases_are_checked():
    model = make_model("pse_star", encoding="word2vec", num_classes=3, label_dim=5)
    with pytest.raises(ValueError, match="training phrases must be"):
        model.set_training_phrases(np.zeros([2, 2, 5]), np.ones([2], np.int32))
    with pytest.raises(ValueError, match="counts must be in 1..2"):
        model.set_training_phrases(np.zeros([3, 2, 5]), np.array([1, 3, 1]))
    with pytest.raises(ValueError, match="does not train on extra label phrases"):
        make_model("vae").set_training_phrases(np.zeros([3, 1, 3]), np.ones([3], np.int32))


def test_label_neighbours_config():
    assert TrainConfig(label_neighbours=5).label_neighbours == 5
    with pytest.raises(ConfigError, match="word-vector labels"):
        TrainConfig(label_encoding="onehot", label_neighbours=5)
    with pytest.raises(ConfigError, match="label_neighbours must be an int >= 0"):
        TrainConfig(label_neighbours=-1)


def test_name_share_keeps_the_class_name_on_its_share():
    model = make_model("pse_star", encoding="word2vec", num_classes=2, label_dim=5)
    vectors = model.label_vectors.numpy()
    table = np.repeat(vectors[:, None], 3, axis=1)
    table[0, 1], table[0, 2] = 7.0, 9.0
    model.set_training_phrases(table, np.array([3, 1], np.int32), name_share=0.75)
    drawn = model.training_label_vectors(tf.constant([0] * 2000 + [1] * 5), training=True).numpy()
    own = np.mean(np.all(drawn[:2000] == vectors[0], axis=1))
    assert 0.72 < own < 0.78  # 1/3 if the share were ignored
    assert np.mean(drawn[:2000, 0] == 7.0) > 0.1 and np.mean(drawn[:2000, 0] == 9.0) > 0.1
    np.testing.assert_array_equal(drawn[2000:], np.repeat(vectors[1:2], 5, axis=0))
    with pytest.raises(ValueError, match="name_share"):
        model.set_training_phrases(table, np.array([3, 1], np.int32), name_share=1.5)
    with pytest.raises(ConfigError, match="label_name_share"):
        TrainConfig(label_neighbours=5, label_name_share=2.0)
