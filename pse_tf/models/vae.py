"""VAE (eq. 1): the unconditional baseline."""

from __future__ import annotations

import tensorflow as tf

from pse_tf import architectures, objectives
from pse_tf.models.base import PriorLabelModel
from pse_tf.registry import register


@register("vae")
class VAE(PriorLabelModel):
    """Variational auto-encoder, eq. 1 (Kingma & Welling, 2013): maximise
    E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I)).

    Networks as appendix A; terms: reconstruction (z ~ q(z|x)), kl. Labels are ignored: every
    label's distribution is N(0, I), so annotation is at chance (argmax: the first label) and
    generation decodes prior samples whatever the label.
    """

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.image_encoder = architectures.image_encoder(config)
        self.decoder = architectures.image_decoder(config)

    def compute_terms(self, images, labels, training=False):
        q_z_x = self.encode(images)
        logits = self.decode_logits(self.sample_z(q_z_x))
        return objectives.vae(images, logits, q_z_x, self.prior(tf.shape(images)[0]))  # eq. 1
