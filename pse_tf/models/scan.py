"""SCAN (paper §3): a beta-VAE, then label distributions fitted to its frozen image posteriors."""

from __future__ import annotations

import tensorflow as tf

from pse_tf import architectures, networks, objectives
from pse_tf.models.base import LatentModel
from pse_tf.models.options import LABEL_DISTRIBUTION, Option
from pse_tf.registry import register


@register("scan")
class SCAN(LatentModel):
    """Symbol-Concept Association Network (Higgins et al., 2018), trained in two stages.

    Stage "beta_vae": a beta-VAE (Higgins et al., 2017), eq. 1 with the KL weighted by beta:
    maximise E_q(z|x)[log p(x|z)] - beta KL(q(z|x) || N(0, I)). Terms: reconstruction
    (z ~ q(z|x), the image encoder), kl (beta-weighted). The label encoder is frozen.

    Stage "symbols": the image encoder and decoder frozen, the label encoder q(z|l) fitted by
    minimising KL(q(z|x) || q(z|l)) (`objectives.scan_symbols`). Terms keep their names so the
    trackers do not change: reconstruction (reported, no gradient), kl = KL(q(z|x) || q(z|l)).
    As in the paper's description, Higgins et al.'s symbol decoder p(l|z) and the beta-KL of
    q(z|l) to the prior are not used.

    Networks as appendix A (image encoder, decoder, one-dense-layer label encoder); annotation
    and generation are the base class's. Freezing is by `trainable`, so each stage's
    `trainable_weights` are exactly the networks it trains.

    Options: beta (default 10, appendix A), symbol_steps (steps of the second stage; default:
    the first stage's), label_covariance (`diag`, the paper's, or `full`: see PSE).
    """

    stages = ("beta_vae", "symbols")
    declared_options = {
        "beta": Option(10.0, float, minimum=0.0, doc='appendix A: "In our case, beta is 10."'),
        "symbol_steps": Option(None, int, minimum=1, doc="steps of the second stage"),
        **LABEL_DISTRIBUTION,
    }

    def __init__(self, config, label_vectors, class_names, label_encoding, seed=0, **kwargs):
        super().__init__(config, label_vectors, class_names, label_encoding, seed, **kwargs)
        self.beta = self.option_values["beta"]
        self.symbol_steps = self.option_values["symbol_steps"]
        self.image_encoder = architectures.image_encoder(config)
        self.decoder = architectures.image_decoder(config)
        self.label_encoder = self.new_label_encoder()
        # Built now: `trainable = False` only covers variables that already exist.
        self.image_encoder.build((None, config.image_dim))
        self.decoder.build((None, config.latent_dim))
        self.label_encoder.build((None, self.label_dim))
        self.begin_stage(self.stages[0])

    def training_stages(self, steps: int) -> list:
        return [("beta_vae", steps), ("symbols", self.symbol_steps or steps)]

    def begin_stage(self, stage: str):
        if stage not in self.stages:
            raise ValueError(f"SCAN stage must be one of {self.stages}, got {stage!r}")
        super().begin_stage(stage)
        symbols = stage == "symbols"
        self.image_encoder.trainable = not symbols
        self.decoder.trainable = not symbols
        self.label_encoder.trainable = symbols

    def compute_terms(self, images, labels, training=False):
        q_z_x = self.encode(images)
        logits = self.decode_logits(self.sample_z(q_z_x))
        if self.stage == "beta_vae":  # a Python branch: the loop is traced once per stage
            prior = networks.standard_normal(tf.shape(images)[0], self.model_config.latent_dim)
            return objectives.vae(images, logits, q_z_x, prior, beta=self.beta)  # eq. 1, beta
        q_z_l = self.label_distribution(tf.gather(self.label_vectors, labels))
        return objectives.scan_symbols(images, logits, q_z_x, q_z_l, self.kl)
