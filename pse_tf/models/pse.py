"""PSE (eq. 2) and PSE* (eq. 3): a VAE whose prior is the label distribution q(z|l)."""

from __future__ import annotations

import tensorflow as tf

from pse_tf import architectures, objectives
from pse_tf.models.base import LatentModel
from pse_tf.models.options import LABEL_DISTRIBUTION, Option
from pse_tf.registry import register


@register("pse")
class PSE(LatentModel):
    """Probabilistic Semantic Embedding, eq. 2: maximise
    E_q(z|x)[log p(x|z)] - KL(q(z|x) || q(z|l)).

    Image encoder MLP D-512-64 -> q(z|x); label encoder, one dense layer -> q(z|l); decoder MLP
    z-64-512-D -> Bernoulli logits (appendix A). Terms: reconstruction, kl.

    Option `label_weight_decay` (default 0, the paper): lambda of an L2 penalty
    lambda * sum ||W||^2 over the label encoder's kernels (term `label_weight_decay`): weights
    outside the span of the class vectors get no other gradient, so it pulls them towards the
    minimum-norm solution a word outside the span then sees.

    Option `label_covariance` (default `diag`, the paper's): `full` makes q(z|l) a
    `MultivariateNormalTriL` with a free lower triangle (beyond the paper); eq. 2's KL stays
    closed-form.
    """

    declared_options = {"label_weight_decay": Option(0.0, float, 0.0, doc="L2 on q(z|l)'s kernels"),
                        **LABEL_DISTRIBUTION}
    uses_training_phrases = True

    def active_term_names(self):
        extra = ("label_weight_decay",) if self.option_values["label_weight_decay"] > 0 else ()
        return (*type(self).term_names, *extra)

    def with_label_weight_decay(self, terms: dict, images) -> dict:
        """`terms` plus the label encoder's L2 penalty (per example, so its batch mean is it)."""
        decay = self.option_values["label_weight_decay"]
        if decay <= 0:
            return terms
        penalty = decay * tf.add_n([tf.reduce_sum(tf.square(w)) for w in
                                    self.label_encoder.trainable_weights if len(w.shape) == 2])
        return {**terms, "label_weight_decay": tf.fill(tf.shape(images)[:1], penalty)}

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.image_encoder = architectures.image_encoder(config)
        self.label_encoder = self.new_label_encoder()
        self.decoder = architectures.image_decoder(config)

    def _forward(self, images, labels, training=False):
        label_vectors = self.training_label_vectors(labels, training)
        q_z_x = self.encode(images)
        q_z_l = self.label_distribution(label_vectors)
        z = self.sample_z(q_z_x)
        return label_vectors, q_z_x, q_z_l, self.decode_logits(z)

    def compute_terms(self, images, labels, training=False):
        _, q_z_x, q_z_l, logits = self._forward(images, labels, training)
        return self.with_label_weight_decay(objectives.pse(images, logits, q_z_x, q_z_l, self.kl),  # eq. 2
                                            images)


@register("pse_star")
class PSEStar(PSE):
    """PSE*, eq. 3: PSE plus E_q(z|x)[log p(l|z)], p(l|z) = p(l | Cla(Dec(z))), with a classifier
    Cla (MLP D-512-64 -> L) on the reconstruction.

    p(l | l_hat) is categorical (cross-entropy) for one-hot labels and N(l | l_hat, sigma^2 I) for
    word vectors (`networks.label_likelihood`). Terms: reconstruction, kl, label (and
    `label_weight_decay` when that option is set, as in PSE).

    Options: PSE's, and label_weight (1 in eq. 3; the term is ~0.1 nats against ~80 for the
    reconstruction, so the reproduction study measures others).
    """

    term_names = ("reconstruction", "kl", "label")
    declared_options = {**PSE.declared_options,
                        "label_weight": Option(1.0, float, minimum=0.0,
                                               doc="weight of the label term (eq. 3: 1)")}

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.classifier = architectures.classifier(config, self.label_dim)

    def predict_label(self, z):
        return self.classifier(tf.sigmoid(self.decode_logits(z)))

    def compute_terms(self, images, labels, training=False):
        label_vectors, q_z_x, q_z_l, logits = self._forward(images, labels, training)
        # The classifier reads the reconstruction x_hat = Dec(z), so its gradient reaches the decoder.
        p_l = self.label_likelihood(self.classifier(tf.sigmoid(logits)))
        terms = objectives.pse_star(images, logits, label_vectors, p_l, q_z_x, q_z_l,  # eq. 3
                                    self.option_values["label_weight"], self.kl)
        return self.with_label_weight_decay(terms, images)
