"""Shared base of every model: options, label table, trackers, train_step/test_step, annotation,
generation; and the base of the baselines without a label encoder."""

from __future__ import annotations

import dataclasses
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import mixtures, networks, objectives
from pse_tf.config import ModelConfig
from pse_tf.data.images import flat_float
from pse_tf.models.options import resolve_options
from pse_tf.models.phrases import TrainingPhrases
from pse_tf.architectures import get_architecture

tfd = tfp.distributions


def global_batch_loss(loss):
    """`loss` (a replica's batch mean) scaled by 1 / replicas, so that the replicas' summed
    gradients are the gradient of the global batch mean; unchanged on one replica."""
    n = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if n == 1 else loss * (1.0 / n)


def replica_seed(seed):
    """`seed` (a stateless int32 pair) made this replica's own: every replica draws the same
    seeds in the same order, so its id is folded in; unchanged on one replica."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return seed
    return tf.random.experimental.stateless_fold_in(seed, context.replica_id_in_sync_group,
                                                    alg="philox")


def batch_inputs(data):
    """(images, labels) of a batch as every objective reads them: float32 [N, D] in [0, 1]
    (`flat_float`) and int32 [N], from any image shape and uint8 or float values."""
    images, labels = data[:2]
    return flat_float(images), tf.cast(labels, tf.int32)


class LatentModel(keras.Model):
    """Base of the PSE family. Subclasses build their networks and implement `compute_terms`.

    Args:
        config: ModelConfig. Architecture and objective settings.
        label_vectors: array [C, L]. The encoding of each training label (one-hot rows or
            word-vector phrase means); stored in the model so exports carry it.
        class_names: sequence of C str. Names of the training labels.
        label_encoding: str. `onehot` or `word2vec`; selects the label likelihood p(l | l_hat).
        seed: int. Seeds the sampling of z during training.

    A subclass declares `declared_options = {key: Option(...)}`; `config.options` is checked
    against them here and the resolved values are in `self.option_values`.

    `get_config` mirrors `__init__` and every registered model is registered with Keras, so
    `model.save("m.keras")` and `keras.models.load_model` give back the same model. The class
    vectors travel both in the config and as the weight `label_vectors` (so `.weights.h5` files
    keep their layout); training phrases only shape training and are not saved. `fit` takes
    (images, labels) batches: images of any shape, uint8 or float in [0, 1] (`flat_float`),
    labels int [N] indexing the class vectors; History keys are `loss` and the term names. A
    two-stage model (SCAN) trains its second stage after `begin_stage("symbols")` and a new
    `compile` (its own optimizer). `pse_tf.training.fit` is the resumable loop `runs.train` uses.
    """

    term_names: tuple = ("reconstruction", "kl")
    declared_options: dict = {}
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
        self.option_values = self.check_options(config)
        self.class_names = tuple(class_names)
        self.label_encoding = label_encoding
        self.label_likelihood = networks.label_likelihood(label_encoding,
                                                          config.label_likelihood_scale)
        self.num_classes, self.label_dim = label_vectors.shape
        self.label_vectors = self.add_weight(
            name="label_vectors", shape=label_vectors.shape, trainable=False,
            initializer=keras.initializers.Constant(label_vectors))
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.term_names = self.active_term_names()
        self.training_phrases = None  # extra label vectors per class (`set_training_phrases`)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.term_trackers = [keras.metrics.Mean(name=n) for n in self.term_names]

    def get_config(self) -> dict:
        """The arguments of `__init__`, JSON-ready (keras-hub's habit: one key per argument)."""
        return {"name": self.name, "trainable": self.trainable,
                "config": dataclasses.asdict(self.model_config),
                "label_vectors": keras.ops.convert_to_numpy(self.label_vectors).tolist(),
                "class_names": list(self.class_names), "label_encoding": self.label_encoding,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict):
        """The model of `get_config`, every weight created (so saved weights can load into it)."""
        config = dict(config)
        model_config = config.pop("config")
        if isinstance(model_config, dict):
            model_config = ModelConfig(**model_config)
        return cls(model_config, **config).build_all()

    def fit(self, *args, **kwargs):
        """`keras.Model.fit` on (images, labels) batches (class docstring); refused when the
        optimizer was built for other weights than the current stage trains."""
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and optimizer.built:
            built_for = {id(v) for v in optimizer._trainable_variables}
            if built_for != {id(v) for v in self.trainable_variables}:
                raise RuntimeError(
                    f"model {self.registry_name or self.name!r} stage {self.stage!r} trains other "
                    "weights than its optimizer was built for: call model.compile(optimizer=...) "
                    "after begin_stage, so the stage gets an optimizer of its own")
        return super().fit(*args, **kwargs)

    @classmethod
    def check_options(cls, config: ModelConfig) -> dict:
        """`config.options` resolved against `declared_options` (ConfigError if they don't fit);
        callable before any network is built, so a CLI can refuse a bad option up front; and
        `config.architecture` against the registry."""
        get_architecture(config.architecture)
        return resolve_options(config.name, cls.declared_options, config.options)

    @property
    def label_covariance(self) -> str:
        """q(z|l)'s covariance, `diag` (the paper's) or `full`: the option `label_covariance` of
        a model with a label encoder."""
        return self.option_values.get("label_covariance", "diag")

    @property
    def label_components(self) -> int:
        """Gaussians in q(z|l): 1 (the paper's) or K > 1, a mixture (option `label_components`)."""
        return self.option_values.get("label_components", 1)

    def new_label_encoder(self, name: str = "label_encoder"):
        """q(z|l) as the options `label_covariance` and `label_components` shape it: the paper's
        one dense layer -> Gaussian, or -> a mixture of Gaussians (`pse_tf.mixtures`)."""
        if self.label_components > 1:
            return mixtures.label_encoder(self.model_config, self.label_components,
                                          self.label_covariance, name=name)
        return networks.label_encoder(self.model_config, self.label_covariance, name=name)

    def kl(self, q, p):
        """D_KL(q || p) per example: closed-form between Gaussians (the paper's case); a Monte
        Carlo estimate with `kl_samples` reparameterised draws when either is a mixture."""
        if not (mixtures.is_mixture(q) or mixtures.is_mixture(p)):
            return objectives.kl(q, p)
        return mixtures.monte_carlo_kl(q, p, self.option_values["kl_samples"], self.next_seed())

    def label_mixture_weights(self):
        """The learned mixture weights pi [C, K] of each training label's q(z|l); None when q(z|l)
        is one Gaussian."""
        if self.label_components == 1:
            return None
        return mixtures.weights(self.label_distribution())

    def active_term_names(self) -> tuple:
        """The terms this instance reports: `term_names`, plus any an option switches on."""
        return type(self).term_names

    # -- training labels -----------------------------------------------------------------------
    def set_training_phrases(self, table, counts, name_share: float | None = None):
        """Train each class on several label vectors (`TrainingPhrases`'s arguments); only
        training batches draw from them, and a reloaded run has none (they are not weights)."""
        if not self.uses_training_phrases:
            raise ValueError(f"model {self.registry_name or self.name!r} does not train on "
                             "extra label phrases")
        self.training_phrases = TrainingPhrases.checked(table, counts, name_share,
                                                        self.num_classes, self.label_dim)

    uses_training_phrases = False

    def training_label_vectors(self, labels, training: bool):
        """The label vector each example trains on, [N, L]: its class's, or with training
        phrases (`set_training_phrases`) and `training`, one of its class's rows at random."""
        if not training or self.training_phrases is None:
            return tf.gather(self.label_vectors, labels)
        return self.training_phrases.draw(labels, self.next_seed())

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

    def embed(self, images, label_vectors):
        """Where each image sits in z: the mean of the encoder that represents it, [N, Z].
        q(z|x) here; a model without an image-only encoder overrides it (CVAE: q(z|x,l))."""
        return self.encode(images).mean()

    def reconstruction_logits(self, images, label_vectors, seed, use_mean: bool = False):
        """Logits of Dec(z), one z drawn (stateless `seed`) from the encoder that the model's
        reconstruction error uses: q(z|x) here; models with a joint encoder override it.
        `use_mean`: z = that encoder's mean instead (a reading of the metric, not the paper's)."""
        q = self.encode(images)
        return self.decode_logits(q.mean() if use_mean else q.sample(seed=seed))

    def training_stages(self, steps: int) -> list:
        """[(stage_name, steps)] run in order. One joint stage, except two-stage models (SCAN)."""
        return [("joint", steps)]

    def begin_stage(self, stage: str):
        """Called before each stage's loop is traced; a model may freeze networks here."""
        self.stage = stage

    # -- shared machinery ------------------------------------------------------------------
    def next_seed(self):
        """A stateless seed for TFP sampling, advanced on every call (XLA-safe); under a
        distribution strategy each replica's own (`replica_seed`)."""
        return replica_seed(tf.cast(self.seed_generator.next(), tf.int32))

    def sample_z(self, distribution):
        """A training draw of z from `distribution` (reparameterised; a mixture's choice of
        component is not), with the next seed."""
        return mixtures.sample(distribution, self.next_seed())

    @property
    def metrics(self):
        return [self.loss_tracker, *self.term_trackers]

    def _update_trackers(self, loss, terms):
        self.loss_tracker.update_state(loss)
        for tracker in self.term_trackers:
            tracker.update_state(tf.reduce_mean(terms[tracker.name]))
        return {m.name: m.result() for m in self.metrics}

    def loss_and_gradients(self, images, labels):
        """(loss, terms, gradients for `trainable_variables`) of one training batch; under a
        strategy, of this replica's share, scaled to sum to the global batch's gradient."""
        with tf.GradientTape() as tape:
            terms = self.warmed_up(self.compute_terms(images, labels, training=True))
            loss = objectives.total(terms)
            scaled = global_batch_loss(loss)
        return loss, terms, tape.gradient(scaled, self.trainable_variables)

    def warmed_up(self, terms: dict) -> dict:
        """KL warm-up (`ModelConfig.kl_warmup_steps`; the paper uses none): every `kl*` term
        weighted by min(1, step / warm-up steps), reported weighted so the terms sum to the loss."""
        steps = self.model_config.kl_warmup_steps
        if not steps:
            return terms
        weight = tf.minimum(1.0, tf.cast(self.optimizer.iterations, tf.float32) / steps)
        return {k: weight * v if k.startswith("kl") else v for k, v in terms.items()}

    def train_step(self, data):
        return self.checked_train_step(batch_inputs(data))[0]

    def checked_gradients(self, images, labels):
        """`loss_and_gradients` and whether its values were finite: (loss, terms, gradients,
        finite), finite a bool [T + 1] for each term's batch mean (in `term_names` order), then
        the gradients."""
        loss, terms, grads = self.loss_and_gradients(images, labels)
        # A sum is non-finite if any element is NaN or Inf: one cheap reduction per variable.
        gradient_sum = tf.add_n([tf.reduce_sum(g) for g in grads if g is not None])
        finite = tf.math.is_finite(tf.stack([tf.reduce_mean(terms[name])
                                             for name in self.term_names] + [gradient_sum]))
        return loss, terms, grads, finite

    def apply_gradients(self, loss, terms, grads):
        """The optimizer update (under a strategy: all-reduced over the replicas) and the
        trackers; returns the logs."""
        self.optimizer.apply(grads, self.trainable_variables)
        return self._update_trackers(loss, terms)

    def checked_train_step(self, data):
        """One optimizer step, and whether its values were finite: (logs, finite), finite as in
        `checked_gradients`."""
        loss, terms, grads, finite = self.checked_gradients(*data)
        return self.apply_gradients(loss, terms, grads), finite

    def test_step(self, data):
        images, labels = batch_inputs(data)
        terms = self.compute_terms(images, labels, training=False)
        return self._update_trackers(objectives.total(terms), terms)

    def annotation_log_likelihood(self, images, label_vectors=None):
        """log q(mean of q(z|x) | l) for every label: [N, C] (paper §2, image classification)."""
        mean = self.encode(images).mean()
        return mixtures.log_density(self.label_distribution(label_vectors), mean[:, None, :])

    def predict_label(self, z):
        """p(l|z)'s parameter l_hat [N, L], for models that have a p(l|z); others refuse."""
        raise ValueError(f"{self.model_config.name} has no p(l|z) (only JMVAE, TrELBO and PSE* "
                         "do): read its annotation from q(z|l) instead")

    def decoded_label_log_likelihood(self, images, label_vectors=None):
        """log p(l | z = mean of q(z|x)) for every label: [N, C]. A second annotation reading
        beside the paper's, through the model's own p(l|z)."""
        vectors = self.label_vectors if label_vectors is None else label_vectors
        prediction = self.predict_label(self.encode(images).mean())
        return self.label_likelihood(prediction[:, None, :]).log_prob(vectors)

    def generate(self, label_vectors, seed):
        """Bernoulli means of Dec(z), z ~ q(z|l) per row of `label_vectors`: [N, D]; `seed` is a
        stateless int32 pair, so the same seed gives the same images."""
        q_z_l = self.label_distribution(label_vectors)
        z = mixtures.sample(q_z_l, seed) if mixtures.is_mixture(q_z_l) else q_z_l.sample(seed=seed)
        return tf.sigmoid(self.decode_logits(z))

    def call(self, images):
        return self.annotation_log_likelihood(images)

    def build_all(self):
        """Create every weight by running the objective once on a dummy batch."""
        images = tf.zeros([2, self.model_config.image_dim])
        self.compute_terms(images, tf.zeros([2], tf.int32), training=False)
        self(images)
        return self


class PriorLabelModel(LatentModel):
    """Base of the baselines without a label encoder (VAE, CVAE): every label maps to p(z)."""

    def prior(self, batch_size) -> tfd.MultivariateNormalDiag:
        """N(0, I): batch [batch_size], event [Z]."""
        return networks.standard_normal(batch_size, self.model_config.latent_dim)

    def label_distribution(self, label_vectors=None) -> tfd.MultivariateNormalDiag:
        """N(0, I) for each row of `label_vectors` (default: the training labels): batch [C],
        event [Z]. The model has no q(z|l); the label only sets the batch size."""
        vectors = self.label_vectors if label_vectors is None else label_vectors
        return self.prior(tf.shape(vectors)[0])
