"""Label distributions with several modes: q(z|l) as a mixture of K Gaussians (beyond the paper,
which names it as the open question of its §6), and what the objectives need of it.

A mixture is `tfd.MixtureSameFamily` over K Gaussian components: batch [N], event [Z];
components batch [N, K]. Its KL divergences are Monte Carlo estimates (`monte_carlo_kl`), its
density a log-sum-exp (`log_density`); a draw picks a component with a uniform made from two
normals (`sample`), so the same code runs in TF, XLA and TFLite.
"""

from __future__ import annotations

import math
from typing import Sequence

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf import networks

tfd = tfp.distributions


def is_mixture(distribution) -> bool:
    return isinstance(distribution, tfd.MixtureSameFamily)


@keras.saving.register_keras_serializable(package="pse_tf")
class MixtureEncoder(networks.GaussianEncoder):
    """Maps inputs to a mixture of `components` Gaussians over z with input-dependent weights:
    one output layer gives `GaussianEncoder`'s raw outputs per component, then K logits.

    Call returns `tfd.MixtureSameFamily`: batch [N], event [latent_dim]; components batch [N, K].
    """

    def __init__(self, latent_dim: int, components: int, hidden_units: Sequence[int] = (),
                 initializer: str = "glorot_uniform", scale_function: str = "softplus",
                 covariance: str = "diag", **kwargs):
        self.components = int(components)
        if self.components < 2:
            raise ValueError(f"a mixture needs components >= 2, got {components!r}")
        super().__init__(latent_dim, hidden_units, initializer, scale_function, covariance,
                         **kwargs)

    def output_units(self) -> int:
        return self.components * super().output_units() + self.components

    def parameters(self, inputs):
        """(logits [N, K], loc [N, K, Z], scale): scale is sigma [N, K, Z] (`diag`) or the
        Cholesky factor [N, K, Z, Z] (`full`)."""
        raw = self.net(inputs)
        k = self.components
        logits, raw = raw[..., -k:], raw[..., :-k]
        per_component = tf.reshape(raw, tf.concat([tf.shape(raw)[:-1], [k, -1]], axis=0))
        loc, scale = self.gaussian_parameters(per_component)
        return logits, loc, scale

    def call(self, inputs):
        logits, loc, scale = self.parameters(inputs)
        return tfd.MixtureSameFamily(tfd.Categorical(logits=logits),
                                     networks.gaussian(loc, scale, self.covariance))

    def get_config(self):
        return {**super().get_config(), "components": self.components}


def label_encoder(config, components: int, covariance: str = "diag",
                  name: str = "label_encoder") -> MixtureEncoder:
    """q(z|l) as a mixture: the paper's label encoder (one dense layer) giving `components`
    Gaussians and their logits."""
    return MixtureEncoder(config.latent_dim, components, (), config.kernel_initializer,
                          config.scale_function, covariance, name=name)


def weights(distribution) -> tf.Tensor:
    """The mixture weights pi [N, K] (softmax of the logits)."""
    return tf.nn.softmax(distribution.mixture_distribution.logits, axis=-1)


def components(distribution):
    """(weights [N, K], loc [N, K, Z], stddev [N, K, Z]) of a mixture's components; a Gaussian
    is one component of weight 1. (The stddev is the diagonal of a full covariance.)"""
    if not is_mixture(distribution):
        return (tf.ones_like(distribution.loc[..., :1]), distribution.loc[..., None, :],
                distribution.stddev()[..., None, :])
    parts = distribution.components_distribution
    return weights(distribution), parts.loc, parts.stddev()


def log_density(distribution, z) -> tf.Tensor:
    """log q(z) of a Gaussian (`networks.gaussian_log_prob`) or a mixture:
    log sum_k pi_k N(z; mu_k, Sigma_k), with z broadcast against the batch as `log_prob` does."""
    if not is_mixture(distribution):
        return networks.gaussian_log_prob(distribution, z)
    log_pi = tf.nn.log_softmax(distribution.mixture_distribution.logits, axis=-1)
    per_component = networks.gaussian_log_prob(distribution.components_distribution,
                                               z[..., None, :])
    return tf.reduce_logsumexp(log_pi + per_component, axis=-1)


def sample(distribution, seed) -> tf.Tensor:
    """One draw z [N, Z] of a Gaussian (`networks.rsample`) or a mixture, from a stateless seed.

    A mixture's component is the first whose cumulative weight exceeds u = atan2(b, a) / 2pi +
    1/2 for two standard normals a, b (uniform on [0, 1)): the draw needs nothing but
    `tf.random.stateless_normal`, which the TFLite export rebuilds from builtin ops. The draw
    within the component is reparameterised; the choice of component carries no gradient.
    """
    if not is_mixture(distribution):
        return networks.rsample(distribution, seed)
    components = distribution.components_distribution
    loc = components.loc  # [N, K, Z]
    size = tf.shape(loc)[-1]
    noise = tf.random.stateless_normal(tf.concat([tf.shape(loc)[:-2], [size + 2]], axis=0),
                                       seed=seed, dtype=loc.dtype, alg="philox")
    eps, pair = noise[..., :size], noise[..., size:]
    u = tf.math.atan2(pair[..., 1], pair[..., 0]) / (2 * math.pi) + 0.5  # [N]
    cumulative = tf.cumsum(weights(distribution), axis=-1)  # [N, K]
    chosen = tf.reduce_sum(tf.cast(cumulative[..., :-1] <= u[..., None], tf.int32), axis=-1)
    pick = tf.one_hot(chosen, tf.shape(loc)[-2], dtype=loc.dtype)  # [N, K]
    # Selections as masked sums, not gathers or einsums: TFLite's delegate handles these shapes.
    pick = tf.expand_dims(pick, -1)  # [N, K, 1]
    mu = tf.reduce_sum(pick * loc, axis=-2)
    if isinstance(components, tfd.MultivariateNormalTriL):
        tril = tf.reduce_sum(tf.expand_dims(pick, -1) * components.scale_tril, axis=-3)
        return mu + tf.reduce_sum(tril * tf.expand_dims(eps, -2), axis=-1)
    return mu + tf.reduce_sum(pick * components.stddev(), axis=-2) * eps


def monte_carlo_kl(q, p, samples: int, seed) -> tf.Tensor:
    """D_KL(q || p) per batch member [N], estimated as E_q[log q(z) - log p(z)] with `samples`
    reparameterised draws (paired gradients flow through every draw).

    When q is itself a mixture, the expectation is taken component by component,
    sum_k pi_k E_{q_k}[...], with `samples` draws from each: every draw is reparameterised and
    the weights get their gradient exactly.
    """
    if is_mixture(q):
        z = _draws(q.components_distribution, samples, seed)  # [S, N, K, Z]
        # q and p with batch [N, 1], so that they broadcast over the K components' draws.
        log_ratio = log_density(_expand(q), z) - log_density(_expand(p), z)  # [S, N, K]
        return tf.reduce_sum(weights(q) * tf.reduce_mean(log_ratio, axis=0), axis=-1)
    z = _draws(q, samples, seed)  # [S, N, Z]
    return tf.reduce_mean(log_density(q, z) - log_density(p, z), axis=0)


def _draws(distribution, samples: int, seed) -> tf.Tensor:
    """`samples` reparameterised draws [S, *batch, Z] of a Gaussian."""
    return networks.rsample(distribution, seed, samples)


def _expand(distribution):
    """`distribution` (a Gaussian or a mixture of batch [N]) with batch [N, 1]."""
    if not is_mixture(distribution):
        return _expand_gaussian(distribution)
    return tfd.MixtureSameFamily(
        tfd.Categorical(logits=distribution.mixture_distribution.logits[:, None]),
        _expand_gaussian(distribution.components_distribution))


def _expand_gaussian(distribution):
    if isinstance(distribution, tfd.MultivariateNormalTriL):
        return tfd.MultivariateNormalTriL(distribution.loc[:, None],
                                          distribution.scale_tril[:, None])
    return tfd.MultivariateNormalDiag(distribution.loc[:, None], distribution.stddev()[:, None])
