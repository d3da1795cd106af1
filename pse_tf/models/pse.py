"""PSE (eq. 2) and PSE* (eq. 3): a VAE whose prior is the label distribution q(z|l)."""

from __future__ import annotations

import tensorflow as tf

from pse_tf import objectives
from pse_tf.models.base import LatentModel
from pse_tf.networks import GaussianEncoder, mlp
from pse_tf.registry import register


@register("pse")
class PSE(LatentModel):
    """Probabilistic Semantic Embedding, eq. 2.

    Image encoder MLP 784-512-64 -> q(z|x); label encoder, one dense layer -> q(z|l); decoder MLP
    z-64-512-784 -> Bernoulli logits (appendix A). Terms: reconstruction, kl.
    """

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.image_encoder = GaussianEncoder(config.latent_dim, config.hidden_units,
                                             name="image_encoder")
        self.label_encoder = GaussianEncoder(config.latent_dim, (), name="label_encoder")
        self.decoder = mlp(tuple(reversed(config.hidden_units)), "decoder", config.image_dim)

    def _forward(self, images, labels):
        label_vectors = tf.gather(self.label_vectors, labels)
        q_z_x = self.encode(images)
        q_z_l = self.label_distribution(label_vectors)
        z = self.sample_z(q_z_x)
        return label_vectors, q_z_x, q_z_l, self.decode_logits(z)

    def compute_terms(self, images, labels, training=False):
        _, q_z_x, q_z_l, logits = self._forward(images, labels)
        return objectives.pse(images, logits, q_z_x, q_z_l)  # eq. 2


@register("pse_star")
class PSEStar(PSE):
    """PSE*, eq. 3: PSE plus a classifier Cla(x_hat) (MLP 784-512-64 -> label) on the reconstruction.

    The label term is cross-entropy for one-hot labels and -log N(l | l_hat, sigma^2 I) for word
    vectors. Terms: reconstruction, kl, label.
    """

    term_names = ("reconstruction", "kl", "label")

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.classifier = mlp(config.classifier_units, "classifier", self.label_dim)

    def compute_terms(self, images, labels, training=False):
        label_vectors, q_z_x, q_z_l, logits = self._forward(images, labels)
        # The classifier reads the reconstruction x_hat = Dec(z), so its gradient reaches the decoder.
        label_prediction = self.classifier(tf.sigmoid(logits))
        return objectives.pse_star(images, logits, label_vectors, label_prediction, q_z_x, q_z_l,
                                   self.label_encoding, self.model_config.label_likelihood_scale)
