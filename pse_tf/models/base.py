"""Shared base of every model: label table, trackers, train_step/test_step, annotation, generation."""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import objectives
from pse_tf.config import ModelConfig
from pse_tf.networks import rsample

tfd = tfp.distributions


class LatentModel(keras.Model):
    """Base of the PSE family. Subclasses build their networks and implement `compute_terms`.

    Args:
        config: ModelConfig. Architecture and objective settings.
        label_vectors: array [C, L]. The encoding of each training label (one-hot rows or
            word-vector phrase means); stored in the model so exports carry it.
        class_names: sequence of C str. Names of the training labels.
        label_encoding: str. `onehot` or `word2vec`; selects the PSE* label likelihood.
        seed: int. Seeds the sampling of z during training.
    """

    term_names: tuple = ("reconstruction", "kl")
    registry_name = None

    def __init__(self, config: ModelConfig, label_vectors, class_names: Sequence[str],
                 label_encoding: str, seed: int = 0, **kwargs):
        super().__init__(name=kwargs.pop("name", config.name), **kwargs)
        label_vectors = np.asarray(label_vectors, dtype=np.float32)
        if label_vectors.ndim != 2 or label_vectors.shape[0] != len(class_names):
            raise ValueError(
                f"label_vectors must be [C, L] with C = {len(class_names)} class names, "
                f"got shape {label_vectors.shape}")
        self.model_config = config
        self.class_names = tuple(class_names)
        self.label_encoding = label_encoding
        self.num_classes, self.label_dim = label_vectors.shape
        self.label_vectors = self.add_weight(
            name="label_vectors", shape=label_vectors.shape, trainable=False,
            initializer=keras.initializers.Constant(label_vectors))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.term_trackers = [keras.metrics.Mean(name=n) for n in self.term_names]

    # -- the part each model supplies ------------------------------------------------------
    def compute_terms(self, images, labels, training: bool = False) -> dict:
        """Per-example loss terms {name: [N]} for flattened images [N, D] and int labels [N]."""
        raise NotImplementedError

    def encode(self, images) -> tfd.MultivariateNormalDiag:
        """q(z|x): batch [N], event [Z]."""
        return self.image_encoder(images)

    def label_distribution(self, label_vectors=None) -> tfd.MultivariateNormalDiag:
        """q(z|l) for each row of `label_vectors` (default: the training labels): batch [C], event [Z]."""
        return self.label_encoder(self.label_vectors if label_vectors is None else label_vectors)

    def decode_logits(self, z):
        """Bernoulli logits of p(x|z), [N, D]."""
        return self.decoder(z)

    def reconstruction_logits(self, images, label_vectors, seed):
        """Logits of Dec(z), one z drawn (stateless `seed`) from the encoder that the model's
        reconstruction error uses: q(z|x) here; models with a joint encoder override it."""
        return self.decode_logits(self.encode(images).sample(seed=seed))

    def training_stages(self, steps: int) -> list:
        """[(stage_name, steps)] run in order. One joint stage, except two-stage models (SCAN)."""
        return [("joint", steps)]

    def begin_stage(self, stage: str):
        """Called before each stage's loop is traced; a model may freeze networks here."""
        self.stage = stage

    # -- shared machinery ------------------------------------------------------------------
    def next_seed(self):
        """A stateless seed for TFP sampling, advanced on every call (XLA-safe)."""
        return tf.cast(self.seed_generator.next(), tf.int32)

    def sample_z(self, distribution):
        """A training draw of z from `distribution` (reparameterised), with the next seed."""
        return rsample(distribution, self.next_seed())

    @property
    def metrics(self):
        return [self.loss_tracker, *self.term_trackers]

    def _update_trackers(self, loss, terms):
        self.loss_tracker.update_state(loss)
        for tracker in self.term_trackers:
            tracker.update_state(tf.reduce_mean(terms[tracker.name]))
        return {m.name: m.result() for m in self.metrics}

    def loss_and_gradients(self, images, labels):
        """(loss, terms, gradients of the loss for `trainable_variables`) of one training batch:
        everything a training step computes before the optimizer update."""
        with tf.GradientTape() as tape:
            terms = self.compute_terms(images, labels, training=True)
            loss = objectives.total(terms)
        return loss, terms, tape.gradient(loss, self.trainable_variables)

    def train_step(self, data):
        loss, terms, grads = self.loss_and_gradients(*data)
        self.optimizer.apply(grads, self.trainable_variables)
        return self._update_trackers(loss, terms)

    def test_step(self, data):
        images, labels = data
        terms = self.compute_terms(images, labels, training=False)
        return self._update_trackers(objectives.total(terms), terms)

    def annotation_log_likelihood(self, images, label_vectors=None):
        """log q(mean of q(z|x) | l) for every label: [N, C] (paper §2, image classification)."""
        mean = self.encode(images).mean()
        return self.label_distribution(label_vectors).log_prob(mean[:, None, :])

    def generate(self, label_vectors, seed):
        """Bernoulli means of Dec(z), z ~ q(z|l) per row of `label_vectors`: [N, D].

        `seed` is a stateless int32 pair, so the same seed gives the same images.
        """
        z = self.label_distribution(label_vectors).sample(seed=seed)
        return tf.sigmoid(self.decode_logits(z))

    def call(self, images):
        return self.annotation_log_likelihood(images)

    def build_all(self):
        """Create every weight by running the objective once on a dummy batch."""
        images = tf.zeros([2, self.model_config.image_dim])
        self.compute_terms(images, tf.zeros([2], tf.int32), training=False)
        self(images)
        return self
