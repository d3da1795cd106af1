"""The paper's networks (appendix A: MLPs, ReLU throughout), built by name, and the distributions
they parameterise. Every model assembles its networks from the builders here."""

from __future__ import annotations

from typing import Callable, Sequence

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from pse_tf.config import LABEL_ENCODINGS

tfd = tfp.distributions

# Floor on the encoder standard deviation: keeps log q(z|.) finite when a label distribution
# collapses, without measurably constraining the fit (scales learnt here are >= 1e-2).
MIN_SCALE = 1e-4


def kernel_initializer(name: str = "glorot_uniform"):
    """A Dense kernel initializer by name (`config.KERNEL_INITIALIZERS`)."""
    if name == "pytorch":  # U(+-sqrt(3 * (1/3) / fan_in)) = U(+-1/sqrt(fan_in))
        return keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform")
    return keras.initializers.get(name)


def mlp(units: Sequence[int], name: str, output_units: int | None = None,
        initializer: str = "glorot_uniform") -> keras.Sequential:
    """Dense ReLU layers of the given widths, then an optional linear output layer.

    The output layer computes in float32 whatever the dtype policy: under mixed precision the
    distributions it parameterises (784 Bernoulli logits, Gaussian scales) stay float32.
    """
    layers = [keras.layers.Dense(u, activation="relu", name=f"{name}_dense{i}",
                                 kernel_initializer=kernel_initializer(initializer))
              for i, u in enumerate(units)]
    if output_units is not None:
        layers.append(keras.layers.Dense(output_units, name=f"{name}_out", dtype="float32",
                                         kernel_initializer=kernel_initializer(initializer)))
    return keras.Sequential(layers, name=name)


@keras.saving.register_keras_serializable(package="pse_tf")
class GaussianEncoder(keras.layers.Layer):
    """Maps inputs to a Gaussian over z, diagonal (the paper's) or full-covariance.

    Args:
        latent_dim: int. Size of z.
        hidden_units: tuple. Hidden widths; `()` gives the paper's one-dense-layer label encoder.
        initializer: str. Dense kernels' initializer (`kernel_initializer`).
        scale_function: str. sigma from the raw output: `softplus` or `exp` (raw = log sigma).
        covariance: str. `diag` (default) or `full`: the raw output [loc (Z), diagonal (Z),
            lower triangle (Z(Z-1)/2)] then also holds the Cholesky factor's free lower
            triangle; at zero, `full` is `diag` exactly.

    Call returns `tfd.MultivariateNormalDiag` (`diag`) or `tfd.MultivariateNormalTriL` (`full`)
    with batch shape [N] and event shape [latent_dim].
    """

    def __init__(self, latent_dim: int, hidden_units: Sequence[int] = (),
                 initializer: str = "glorot_uniform", scale_function: str = "softplus",
                 covariance: str = "diag", **kwargs):
        super().__init__(**kwargs)
        if covariance not in COVARIANCES:
            raise ValueError(f"covariance must be one of {COVARIANCES}, got {covariance!r}")
        self.latent_dim = int(latent_dim)
        self.hidden_units = tuple(hidden_units)
        self.initializer, self.scale_function = initializer, scale_function
        self.covariance = covariance
        self.net = mlp(self.hidden_units, name=f"{self.name}_mlp",
                       output_units=self.output_units(), initializer=initializer)

    def output_units(self) -> int:
        """Raw outputs of one Gaussian: loc, diagonal, and with `full` the lower triangle."""
        z = self.latent_dim
        return 2 * z + (z * (z - 1) // 2 if self.covariance == "full" else 0)

    def build(self, input_shape):
        self.net.build(input_shape)
        self.built = True

    def parameters(self, inputs):
        """(loc [N, Z], scale): scale is sigma [N, Z] (`diag`) or the Cholesky factor
        [N, Z, Z] (`full`): the tensors behind the distribution."""
        return self.gaussian_parameters(self.net(inputs))

    def gaussian_parameters(self, raw):
        """(loc, scale) of `parameters` from the raw outputs [..., `output_units`]."""
        z = self.latent_dim
        loc, raw_scale, raw_lower = raw[..., :z], raw[..., z:2 * z], raw[..., 2 * z:]
        scale = tf.exp(raw_scale) if self.scale_function == "exp" else tf.nn.softplus(raw_scale)
        scale = scale + MIN_SCALE
        if self.covariance == "diag":
            return loc, scale
        return loc, cholesky_factor(scale, raw_lower)

    def call(self, inputs):
        return gaussian(*self.parameters(inputs), self.covariance)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "hidden_units": self.hidden_units, "initializer": self.initializer,
                "scale_function": self.scale_function, "covariance": self.covariance}


COVARIANCES = ("diag", "full")


def gaussian(loc, scale, covariance: str = "diag"):
    """`tfd.MultivariateNormalDiag` (scale: sigma) or, for `full`, `tfd.MultivariateNormalTriL`
    (scale: the Cholesky factor)."""
    if covariance == "diag":
        return tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale)
    return tfd.MultivariateNormalTriL(loc=loc, scale_tril=scale)


def cholesky_factor(diagonal, lower):
    """A lower-triangular L [..., Z, Z] with `diagonal` [..., Z] (positive) on its diagonal and
    the Z(Z-1)/2 free entries `lower` [..., Z(Z-1)/2] below it, row by row."""
    z = diagonal.shape[-1]
    if z == 1:
        return diagonal[..., None]
    # fill_triangular packs n(n+1)/2 entries into an n x n lower triangle; n = Z - 1 here, and
    # shifting that one row down puts it strictly below the diagonal of Z x Z.
    below = tfp.math.fill_triangular(lower)
    rank = len(below.shape)
    padding = [[0, 0]] * (rank - 2) + [[1, 0], [0, 1]]
    return tf.linalg.set_diag(tf.pad(below, padding), diagonal)


# -- the paper's networks (appendix A), from a ModelConfig ---------------------------------------
def image_encoder(config, name: str = "image_encoder") -> GaussianEncoder:
    """q(z|x): MLP D-512-64 -> Gaussian. Also the joint encoder q(z|x,l) of CVAE, JMVAE and
    TrELBO, which reads concat[x, l]."""
    return GaussianEncoder(config.latent_dim, config.hidden_units, config.kernel_initializer,
                           config.scale_function, name=name)


def label_encoder(config, covariance: str = "diag",
                  name: str = "label_encoder") -> GaussianEncoder:
    """q(z|l): one dense layer -> Gaussian ("The label encoder ... consists of one dense layer");
    `covariance` is the model option `label_covariance` (`diag` is the paper's)."""
    return GaussianEncoder(config.latent_dim, (), config.kernel_initializer,
                           config.scale_function, covariance, name=name)


def image_decoder(config, name: str = "decoder") -> keras.Sequential:
    """Dec(z): MLP z-64-512-D -> Bernoulli logits (the encoder's widths reversed)."""
    return mlp(tuple(reversed(config.hidden_units)), name, config.image_dim,
               config.kernel_initializer)


def label_decoder(config, label_dim: int, name: str = "label_decoder") -> keras.Sequential:
    """p(l|z) of JMVAE and TrELBO: MLP z-64-512-L -> the label likelihood's parameter."""
    return mlp(tuple(reversed(config.hidden_units)), name, label_dim, config.kernel_initializer)


def classifier(config, label_dim: int, name: str = "classifier") -> keras.Sequential:
    """PSE*'s Cla(x_hat): MLP D-512-64-L on the reconstruction -> the label likelihood's parameter."""
    return mlp(config.classifier_units, name, label_dim, config.kernel_initializer)


# -- distributions -------------------------------------------------------------------------------
def standard_normal(batch_size, latent_dim: int) -> tfd.MultivariateNormalDiag:
    """The prior p(z) = N(0, I): batch [batch_size], event [latent_dim]."""
    shape = [batch_size, latent_dim]
    return tfd.MultivariateNormalDiag(loc=tf.zeros(shape), scale_diag=tf.ones(shape))


def rsample(distribution, seed, samples: int | None = None) -> tf.Tensor:
    """One reparameterised draw z = loc + scale @ eps, eps ~ N(0, I), from a stateless `seed`, of
    a MultivariateNormalDiag or MultivariateNormalTriL (scale: sigma, or the Cholesky factor);
    with `samples`, that many at once, [samples, *batch, Z]. The draw `sample(seed=...)` makes,
    with Philox named explicitly: TFP's seed handling costs far more in XLA on CPU
    (docs/measurements.md)."""
    # Philox, not the faster threefry: TF's non-XLA CPU kernel supports only Philox.
    shape = tf.shape(distribution.loc)
    if samples is not None:
        shape = tf.concat([[samples], shape], axis=0)
    eps = tf.random.stateless_normal(shape, seed=seed, dtype=distribution.dtype, alg="philox")
    if isinstance(distribution, tfd.MultivariateNormalTriL):
        return distribution.loc + tf.linalg.matvec(distribution.scale_tril, eps)
    return distribution.loc + distribution.stddev() * eps


def gaussian_log_prob(distribution, z) -> tf.Tensor:
    """`distribution.log_prob(z)`; for a MultivariateNormalTriL, through L^-1 (one triangular
    solve against I per batch member), so that what depends on z is matmuls alone: TFLite has no
    builtin triangular solve, and with fixed labels the converter folds L^-1 into a constant."""
    if not isinstance(distribution, tfd.MultivariateNormalTriL):
        return distribution.log_prob(z)
    scale = distribution.scale_tril
    identity = tf.eye(scale.shape[-1], batch_shape=tf.shape(scale)[:-2], dtype=scale.dtype)
    inverse = tf.linalg.triangular_solve(scale, identity, lower=True)
    white = tf.linalg.matvec(inverse, z - distribution.loc)
    log_det = tf.reduce_sum(tf.math.log(tf.linalg.diag_part(scale)), axis=-1)
    dim = tf.cast(scale.shape[-1], scale.dtype)
    return -0.5 * tf.reduce_sum(tf.square(white), axis=-1) - log_det \
        - 0.5 * dim * tf.math.log(2.0 * tf.constant(3.141592653589793, scale.dtype))


def bernoulli_likelihood(logits) -> tfd.Distribution:
    """p(x|z): independent Bernoullis over pixels, event shape [D]; x may be grey levels in [0, 1]."""
    return tfd.Independent(tfd.Bernoulli(logits=logits, dtype=logits.dtype),
                           reinterpreted_batch_ndims=1)


LABEL_LIKELIHOODS = LABEL_ENCODINGS  # one p(l | l_hat) per label encoding


def label_likelihood(encoding: str, scale: float = 1.0) -> Callable[[tf.Tensor], tfd.Distribution]:
    """p(l | l_hat) of paper §2.1 for a label encoding, as a function of the prediction l_hat [N, L].

    One-hot labels: a categorical over the L labels with l_hat as logits (log p = the
    cross-entropy). Word vectors: N(l | l_hat, scale^2 I). Either returned distribution has
    batch [N] and event [L], so `log_prob(labels)` is [N] for label vectors [N, L].
    """
    if encoding == "onehot":
        return lambda prediction: tfd.OneHotCategorical(logits=prediction, dtype=prediction.dtype)
    if encoding == "word2vec":
        return lambda prediction: tfd.Independent(tfd.Normal(prediction, scale), 1)
    raise ValueError(f"label encoding must be one of {LABEL_LIKELIHOODS}, got {encoding!r}")
