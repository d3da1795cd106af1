"""CVAE (eq. 4): a VAE whose encoder and decoder are both conditioned on the label."""

from __future__ import annotations

import tensorflow as tf

from pse_tf import architectures, objectives
from pse_tf.models.base import PriorLabelModel
from pse_tf.registry import register


@register("cvae")
class CVAE(PriorLabelModel):
    """Conditional VAE, eq. 4 (Kingma et al., 2014; Sohn et al., 2015): maximise
    elbo(x|l) = E_q(z|x,l)[log p(x|z,l)] - KL(q(z|x,l) || N(0, I)).

    The paper prints eq. 4 with "+ D_KL"; the conditional bound has a minus, which is what is
    implemented (`objectives.cvae`).

    Encoder on concat[image, label vector] -> q(z|x,l); decoder on concat[z, label vector];
    prior N(0, I) (appendix A). Terms: reconstruction (z ~ q(z|x,l)), kl. Generation decodes
    z ~ N(0, I) with the label; `encode` raises (no image-only encoder: `encode_with_label`).
    Annotation is ours (the paper gives CVAE none): `annotation_log_likelihood`.
    """

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.encoder = architectures.image_encoder(config, name="encoder")
        self.decoder = architectures.image_decoder(config)

    def encode(self, images):
        raise NotImplementedError(
            "CVAE has no image-only encoder q(z|x): its encoder is q(z|x,l). "
            "Use encode_with_label(images, label_vectors).")

    def encode_with_label(self, images, label_vectors):
        """q(z|x,l) for images [N, D] and label vectors [N, L]: batch [N], event [Z]."""
        return self.encoder(tf.concat([images, label_vectors], axis=-1))

    def embed(self, images, label_vectors):
        """The mean of q(z|x,l), each image with its own label vector: [N, Z]."""
        return self.encode_with_label(images, label_vectors).mean()

    def decode_logits(self, z, label_vectors=None):
        """Bernoulli logits of p(x|z,l), [N, D], for z [N, Z] and label vectors [N, L]."""
        if label_vectors is None:
            raise NotImplementedError(
                "CVAE's decoder is p(x|z,l): pass label_vectors [N, L] with z [N, Z].")
        return self.decoder(tf.concat([z, label_vectors], axis=-1))

    def reconstruction_logits(self, images, label_vectors, seed, use_mean: bool = False):
        """Reconstruction through q(z|x,l) and the label-conditioned decoder."""
        q = self.encode_with_label(images, label_vectors)
        z = q.mean() if use_mean else q.sample(seed=seed)
        return self.decode_logits(z, label_vectors)

    def compute_terms(self, images, labels, training=False):
        label_vectors = tf.gather(self.label_vectors, labels)
        q_z_xl = self.encode_with_label(images, label_vectors)
        logits = self.decode_logits(self.sample_z(q_z_xl), label_vectors)
        return objectives.cvae(images, logits, q_z_xl, self.prior(tf.shape(images)[0]))  # eq. 4

    def annotation_log_likelihood(self, images, label_vectors=None):
        """OURS, not the paper's: elbo(x | l_c) for every image and label, [N, C]:
        log p(x | z = mean of q(z|x,l_c), l_c) - KL(q(z|x,l_c) || N(0, I)), the mean rather than
        a sample so it is deterministic; with a uniform label prior its argmax approximates
        argmax_c p(l_c|x). Costs N * C encoder and decoder passes.
        """
        vectors = tf.convert_to_tensor(self.label_vectors if label_vectors is None
                                       else label_vectors, tf.float32)
        n, c = tf.shape(images)[0], tf.shape(vectors)[0]
        x = tf.repeat(images, c, axis=0)  # x_0 (C times), x_1 (C times), ...
        lv = tf.tile(vectors, [n, 1])  # l_0 .. l_{C-1}, l_0 .. l_{C-1}, ...
        q_z_xl = self.encode_with_label(x, lv)
        terms = objectives.cvae(x, self.decode_logits(q_z_xl.mean(), lv), q_z_xl,
                                self.prior(n * c))
        return tf.reshape(-tf.add_n(list(terms.values())), [n, c])

    def generate(self, label_vectors, seed):
        """Bernoulli means of p(x|z,l), z ~ N(0, I), per row of `label_vectors`: [N, D].

        `seed` is a stateless int32 pair; the same seed draws the same z whatever the labels.
        """
        vectors = tf.convert_to_tensor(label_vectors, tf.float32)
        z = self.label_distribution(vectors).sample(seed=seed)
        return tf.sigmoid(self.decode_logits(z, vectors))
