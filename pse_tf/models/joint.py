"""The networks and forward pass that JMVAE (eq. 5) and TrELBO (eq. 6) share."""

from __future__ import annotations

import tensorflow as tf

from pse_tf import architectures, networks, objectives
from pse_tf.models.base import LatentModel


class JointModel(LatentModel):
    """Networks and forward pass shared by JMVAE (eq. 5) and TrELBO (eq. 6) (appendix A).

    Joint encoder on concat[image, label vector] -> q(z|x,l); image encoder -> q(z|x); label
    encoder -> q(z|l); image decoder; label decoder -> p(l|z) (`label_likelihood`); prior
    N(0, I). Annotation and generation are the base class's.
    """

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.joint_encoder = architectures.image_encoder(config, name="joint_encoder")
        self.image_encoder = architectures.image_encoder(config)
        self.label_encoder = self.new_label_encoder()
        self.decoder = architectures.image_decoder(config)
        self.label_decoder = networks.label_decoder(config, self.label_dim)

    def encode_joint(self, images, label_vectors):
        """q(z|x,l) for images [N, D] and label vectors [N, L]: batch [N], event [Z]."""
        return self.joint_encoder(tf.concat([images, label_vectors], axis=-1))

    def predict_label(self, z):
        return self.label_decoder(z)

    def reconstruction_logits(self, images, label_vectors, seed, use_mean: bool = False):
        """Reconstruction through the joint encoder q(z|x,l), as in the training objective."""
        q = self.encode_joint(images, label_vectors)
        return self.decode_logits(q.mean() if use_mean else q.sample(seed=seed))

    def joint_pass(self, images, labels) -> objectives.JointPass:
        """Every distribution eq. 5 and eq. 6 read, with one training draw z ~ q(z|x,l)."""
        label_vectors = tf.gather(self.label_vectors, labels)
        q_z_xl = self.encode_joint(images, label_vectors)
        z = self.sample_z(q_z_xl)
        return objectives.JointPass(
            labels=label_vectors, q_z_xl=q_z_xl, q_z_x=self.encode(images),
            q_z_l=self.label_distribution(label_vectors),
            prior=networks.standard_normal(tf.shape(images)[0], self.model_config.latent_dim),
            logits=self.decode_logits(z), p_l=self.label_likelihood(self.label_decoder(z)))
