"""The paper's metrics against direct computations on a small model."""

import keras
import numpy as np
import tensorflow as tf

from conftest import make_model
from pse_tf import objectives
from pse_tf.evaluation import metrics
from pse_tf.evaluation.tables import paired_test, summarise


def _images(n=12, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def test_annotation_is_argmax_of_label_log_likelihood_of_the_mean():
    model = make_model("pse_star", num_classes=3)
    images = _images()
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    mean = model.encode(x).mean()
    expected = np.argmax(model.label_distribution().log_prob(mean[:, None, :]).numpy(), axis=1)
    np.testing.assert_array_equal(metrics.annotate(model, images, batch_size=5), expected)
    labels = expected.copy()
    labels[:3] = (labels[:3] + 1) % 3
    assert metrics.annotation_accuracy(model, images, labels) == (len(labels) - 3) / len(labels)


def test_reconstruction_error_is_the_mean_summed_nll():
    model = make_model("pse", num_classes=3)
    images = _images(4)
    labels = np.array([0, 1, 2, 0], np.int32)
    got = metrics.reconstruction_error(model, images, labels, seed=3, batch_size=4)
    x = images.reshape(4, -1).astype(np.float32) / 255.0
    # Same seed path as the metric (one stateless seed per batch), compiled with XLA like the
    # metric, since XLA's stateless sampler draws other numbers than the CPU kernel.
    seed = tf.random.experimental.stateless_split(tf.constant([3, 7]), 4)[0]

    @tf.function(jit_compile=True)
    def nll(x):
        z = model.encode(x).sample(seed=seed)
        return objectives.reconstruction_nll(x, model.decode_logits(z))

    expected = nll(tf.constant(x)).numpy().mean()
    np.testing.assert_allclose(got, expected, rtol=1e-4)


class ConstantEvaluator(keras.Model):
    """An 'evaluator' that returns a fixed class for every image."""

    def __init__(self, num_classes, answer):
        super().__init__()
        self.logits = tf.one_hot(answer, num_classes) * 10.0

    def call(self, images, training=False):
        return tf.tile(self.logits[None], [tf.shape(images)[0], 1])


def test_generation_accuracy_counts_samples_classified_as_their_label():
    model = make_model("pse", num_classes=4)
    result = metrics.generation_accuracy(model, ConstantEvaluator(4, 2), samples_per_label=50, repeats=3,
                                         batch_size=64)
    assert result["mean"] == 0.25 and result["std"] == 0.0 and len(result["repeats"]) == 3


def test_summaries_and_paired_test():
    runs = [{"reconstruction_error": 80.0, "annotation_accuracy": 0.95},
            {"reconstruction_error": 82.0, "annotation_accuracy": 0.97}]
    s = summarise(runs)
    assert s["reconstruction_error"]["mean"] == 81.0
    np.testing.assert_allclose(s["annotation_accuracy"]["mean"], 96.0)
    assert "generation_accuracy" not in s
    result = paired_test([0.80, 0.81, 0.82], [0.82, 0.825, 0.84])
    assert result["p"] < 0.05 and result["t"] > 0
