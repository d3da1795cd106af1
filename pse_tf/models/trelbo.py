"""TrELBO (eq. 6): three ELBOs, joint, image-only and label-only, sharing the decoders."""

from __future__ import annotations

from pse_tf import objectives
from pse_tf.models.joint import JointModel
from pse_tf.models.options import LABEL_DISTRIBUTION, Option
from pse_tf.registry import register


@register("trelbo")
class TrELBO(JointModel):
    """Triple ELBO, eq. 6 (Vedantam et al., 2018): maximise
    E_q(z|x,l)[log p(x|z) + lambda1 log p(l|z)] - KL(q(z|x,l) || N(0, I))
    + E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I))
    + lambda2 E_q(z|l)[log p(l|z)] - KL(q(z|l) || N(0, I)).

    Networks: `JointModel`'s, the decoders shared by all three ELBOs; Vedantam et al.'s
    "inference network freeze" is not used, as in the paper (§4). Terms: reconstruction and
    label_reconstruction (lambda1-weighted) from z ~ q(z|x,l); image_reconstruction from
    z ~ q(z|x); label_only_reconstruction (lambda2-weighted) from z ~ q(z|l); kl, kl_image,
    kl_label: each encoder to the prior.

    Options: lambda1 (default 1, the paper's §4.1 setting), lambda2 (default 1: the paper names
    none; 1 is the default of Vedantam et al.'s code; see docs/measurements.md);
    label_covariance (`diag`, the paper's, or `full`: see PSE).
    """

    term_names = ("reconstruction", "label_reconstruction", "image_reconstruction",
                  "label_only_reconstruction", "kl", "kl_image", "kl_label")
    declared_options = {
        "lambda1": Option(1.0, float, minimum=0.0, doc="weight of log p(l|z) in the joint ELBO"),
        "lambda2": Option(1.0, float, minimum=0.0, doc="weight of log p(l|z) in the label ELBO"),
        **LABEL_DISTRIBUTION,
    }

    @property
    def lambda1(self) -> float:
        return self.option_values["lambda1"]

    @property
    def lambda2(self) -> float:
        return self.option_values["lambda2"]

    def compute_terms(self, images, labels, training=False):
        joint = self.joint_pass(images, labels)
        logits_x = self.decode_logits(self.sample_z(joint.q_z_x))
        p_l_from_label = self.label_likelihood(self.label_decoder(self.sample_z(joint.q_z_l)))
        return objectives.trelbo(images, joint, logits_x, p_l_from_label,  # eq. 6
                                 self.lambda1, self.lambda2, self.kl)
