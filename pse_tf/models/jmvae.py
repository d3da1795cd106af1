"""JMVAE (eq. 5): a joint encoder tied to the unimodal ones by alpha-weighted KLs."""

from __future__ import annotations

from pse_tf import objectives
from pse_tf.models.joint import JointModel
from pse_tf.models.options import LABEL_DISTRIBUTION, Option
from pse_tf.registry import register


@register("jmvae")
class JMVAE(JointModel):
    """Joint Multimodal VAE, JMVAE-kl, eq. 5 (Suzuki et al., 2016): maximise
    E_q(z|x,l)[log p(x|z) + log p(l|z)] - KL(q(z|x,l) || N(0, I))
    - alpha (KL(q(z|x,l) || q(z|x)) + KL(q(z|x,l) || q(z|l))).

    Networks: `JointModel`'s. Terms: reconstruction and label_reconstruction (z ~ q(z|x,l)), kl
    (joint to the prior), kl_image and kl_label (alpha-weighted, joint to q(z|x) and q(z|l)).

    Options: alpha (unstated in the paper; 0.01 is the default of Vedantam et al.'s code, see
    docs/measurements.md); label_covariance (`diag`, the paper's, or `full`: see PSE).
    """

    term_names = ("reconstruction", "label_reconstruction", "kl", "kl_image", "kl_label")
    declared_options = {"alpha": Option(0.01, float, minimum=0.0,
                                        doc="weight of the two KLs to the unimodal encoders"),
                        **LABEL_DISTRIBUTION}

    @property
    def alpha(self) -> float:
        return self.option_values["alpha"]

    def compute_terms(self, images, labels, training=False):
        return objectives.jmvae(images, self.joint_pass(images, labels), self.alpha,
                                 self.kl)  # eq. 5
