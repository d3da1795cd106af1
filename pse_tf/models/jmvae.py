"""JMVAE (eq. 5), and the joint-encoder model it shares with TrELBO (eq. 6)."""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import objectives
from pse_tf.models.base import LatentModel
from pse_tf.models.vae import read_options, standard_normal
from pse_tf.networks import GaussianEncoder, mlp
from pse_tf.registry import register

tfd = tfp.distributions

# The paper does not state alpha. 0.01 is the default `jmvae_alpha` of Vedantam et al.'s code
# (github.com/google/joint_vae, experiments/configuration.py), which implements both JMVAE and
# TrELBO as the paper compares them. On MNIST, 2,000 steps, one run each, annotation was 85% with
# alpha = 0.01, 84% with 0.1 and 89% with 1 (paper: 95.4%). At 5,000 steps (seed 0) alpha = 1
# gave reconstruction 98.7 / annotation 91.1% / generation 78.8% against 0.01's 89.2 / 88.3% /
# 69.8% (paper: 87.7 / 95.4 / 92.2): neither matches the paper, so we keep the code's default.
# (Its MNIST experiment scripts swept alpha = 1 with several label weights: `--option alpha=1`.)
DEFAULT_ALPHA = 0.01


class JointPass(NamedTuple):
    """One pass of a joint model over a batch of N pairs (distributions: batch [N], event [Z])."""

    label_vectors: tf.Tensor  # [N, L]
    q_z_xl: tfd.MultivariateNormalDiag  # joint encoder
    q_z_x: tfd.MultivariateNormalDiag  # image encoder
    q_z_l: tfd.MultivariateNormalDiag  # label encoder
    prior: tfd.MultivariateNormalDiag  # N(0, I)
    logits: tf.Tensor  # [N, D], p(x|z), z ~ q(z|x,l)
    label_prediction: tf.Tensor  # [N, L], p(l|z), the same z


class JointModel(LatentModel):
    """Networks and forward pass shared by JMVAE and TrELBO (appendix A).

    Joint encoder MLP on concat[image, label vector] 784+L-512-64 -> q(z|x,l); image encoder MLP
    784-512-64 -> q(z|x); label encoder, one dense layer -> q(z|l); image decoder MLP
    z-64-512-784 -> Bernoulli logits; label decoder MLP z-64-512-L -> p(l|z) (cross-entropy
    logits for one-hot labels, the mean of N(l | l_hat, sigma^2 I) for word vectors, sigma =
    `label_likelihood_scale`). Prior N(0, I).

    Annotation and generation are the base class's: the image-only q(z|x) mean scored against
    each q(z|l); images decoded from z ~ q(z|l).
    """

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        decoder_units = tuple(reversed(config.hidden_units))
        self.joint_encoder = GaussianEncoder(config.latent_dim, config.hidden_units,
                                             name="joint_encoder")
        self.image_encoder = GaussianEncoder(config.latent_dim, config.hidden_units,
                                             name="image_encoder")
        self.label_encoder = GaussianEncoder(config.latent_dim, (), name="label_encoder")
        self.decoder = mlp(decoder_units, "decoder", config.image_dim)
        self.label_decoder = mlp(decoder_units, "label_decoder", self.label_dim)

    def encode_joint(self, images, label_vectors):
        """q(z|x,l) for images [N, D] and label vectors [N, L]: batch [N], event [Z]."""
        return self.joint_encoder(tf.concat([images, label_vectors], axis=-1))

    def reconstruction_logits(self, images, label_vectors, seed):
        """Reconstruction through the joint encoder q(z|x,l), as in the training objective."""
        return self.decode_logits(self.encode_joint(images, label_vectors).sample(seed=seed))

    def _forward(self, images, labels) -> JointPass:
        label_vectors = tf.gather(self.label_vectors, labels)
        q_z_xl = self.encode_joint(images, label_vectors)
        z = self.sample_z(q_z_xl)
        return JointPass(label_vectors, q_z_xl, self.encode(images),
                         self.label_distribution(label_vectors),
                         standard_normal(tf.shape(images)[0], self.model_config.latent_dim),
                         self.decode_logits(z), self.label_decoder(z))


@register("jmvae")
class JMVAE(JointModel):
    """Joint Multimodal VAE, JMVAE-kl, eq. 5 (Suzuki et al., 2016): maximise
    E_q(z|x,l)[log p(x|z) + log p(l|z)] - KL(q(z|x,l) || N(0, I))
    - alpha (KL(q(z|x,l) || q(z|x)) + KL(q(z|x,l) || q(z|l))).

    Networks: `JointModel`. Terms: reconstruction and label_reconstruction (one z ~ q(z|x,l), the
    joint encoder), kl (joint to the prior), kl_image and kl_label (alpha-weighted, joint to
    q(z|x) and to q(z|l)).

    Options: alpha (default 0.01; the paper does not state it, see `DEFAULT_ALPHA`).
    """

    term_names = ("reconstruction", "label_reconstruction", "kl", "kl_image", "kl_label")

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.alpha = read_options(config, alpha=DEFAULT_ALPHA)["alpha"]

    def compute_terms(self, images, labels, training=False):
        p = self._forward(images, labels)
        return objectives.jmvae(images, p.logits, p.label_vectors, p.label_prediction, p.q_z_xl,
                                p.q_z_x, p.q_z_l, p.prior, self.alpha, self.label_encoding,
                                self.model_config.label_likelihood_scale)  # eq. 5
