"""VAE (eq. 1): the unconditional baseline, and the helpers the baselines share."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import objectives
from pse_tf.config import ConfigError
from pse_tf.models.base import LatentModel
from pse_tf.networks import GaussianEncoder, mlp
from pse_tf.registry import register

tfd = tfp.distributions


def standard_normal(batch_size, latent_dim: int) -> tfd.MultivariateNormalDiag:
    """The prior p(z) = N(0, I): batch [batch_size], event [latent_dim]."""
    shape = [batch_size, latent_dim]
    return tfd.MultivariateNormalDiag(loc=tf.zeros(shape), scale_diag=tf.ones(shape))


def read_options(config, **defaults) -> dict:
    """`config.options` completed with `defaults`; a key the model does not read is an error.

    Returns {name: value}, cast to the default's type where the default is not None.
    """
    unknown = sorted(set(config.options) - set(defaults))
    if unknown:
        raise ConfigError(f"model {config.name!r}: unknown option(s) {unknown}; "
                          f"expected some of {sorted(defaults)}")
    values = {**defaults, **config.options}
    return {k: v if defaults[k] is None else type(defaults[k])(v) for k, v in values.items()}


class PriorLabelModel(LatentModel):
    """Base of the baselines without a label encoder (VAE, CVAE): every label maps to p(z)."""

    def prior(self, batch_size) -> tfd.MultivariateNormalDiag:
        """N(0, I): batch [batch_size], event [Z]."""
        return standard_normal(batch_size, self.model_config.latent_dim)

    def label_distribution(self, label_vectors=None) -> tfd.MultivariateNormalDiag:
        """N(0, I) for each row of `label_vectors` (default: the training labels): batch [C],
        event [Z]. The model has no q(z|l); the label only sets the batch size."""
        vectors = self.label_vectors if label_vectors is None else label_vectors
        return self.prior(tf.shape(vectors)[0])


@register("vae")
class VAE(PriorLabelModel):
    """Variational auto-encoder, eq. 1 (Kingma & Welling, 2013): maximise
    E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I)).

    Image encoder MLP 784-512-64 -> q(z|x); decoder MLP z-64-512-784 -> Bernoulli logits; prior
    N(0, I). Terms: reconstruction (z ~ q(z|x), the image encoder), kl.

    Labels are ignored in training. There is no label encoder: `label_distribution` returns
    N(0, I) for every label, so annotation scores every label equally (argmax: the first label,
    i.e. chance accuracy) and generation decodes samples of the prior whatever the label.
    """

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        read_options(config)
        self.image_encoder = GaussianEncoder(config.latent_dim, config.hidden_units,
                                             name="image_encoder")
        self.decoder = mlp(tuple(reversed(config.hidden_units)), "decoder", config.image_dim)

    def compute_terms(self, images, labels, training=False):
        q_z_x = self.encode(images)
        logits = self.decode_logits(self.sample_z(q_z_x))
        return objectives.vae(images, logits, q_z_x, self.prior(tf.shape(images)[0]))  # eq. 1
