"""The image networks by name (`ModelConfig.architecture`): the paper's MLPs (`mlp`), strided
convolutions (`conv`, beyond the paper), or your own Keras networks (an `Architecture` subclass
registered with `pse_tf.registry.register_architecture`).

Every model builds its image encoder q(z|x), joint encoder q(z|x,l), decoder and PSE*'s
classifier here; the label encoder q(z|l) and label decoder p(l|z) stay the paper's
(`pse_tf.networks`). Models read images flattened, [N, D]; the networks here reshape them to
[N, H, W, C] (`ModelConfig.image_hwc`).
"""

from __future__ import annotations

import math

import keras

from pse_tf import networks
from pse_tf.registry import architecture_names, get_architecture, register_architecture  # noqa: F401


class Architecture:
    """Image networks built from two Keras networks that a subclass supplies.

    - `trunk(image_shape)`: images [N, H, W, C] -> features [N, ...] of a fixed size per image
      (flattened here), under the encoders' Gaussian heads (the joint encoder also reads the
      label vector) and PSE*'s classifier head.
    - `decoder_body(image_shape)`: [N, K] (z, or concat[z, l] for CVAE) -> Bernoulli logits
      [N, H, W, C] (or [N, D]); checked when built.

    Each must return a new Keras layer or model on every call (JMVAE's encoders own a trunk
    each). `check_image_shape` refuses sizes the networks cannot read.
    """

    registry_name = None

    def trunk(self, image_shape: tuple) -> keras.layers.Layer:
        raise NotImplementedError

    def decoder_body(self, image_shape: tuple) -> keras.layers.Layer:
        raise NotImplementedError

    def check_image_shape(self, image_shape: tuple):
        """Raise ValueError for an (H, W, C) the networks cannot read; any size by default."""

    def image_shape(self, config) -> tuple:
        shape = config.image_hwc()
        self.check_image_shape(shape)
        return shape

    def image_encoder(self, config, name: str = "image_encoder") -> networks.GaussianEncoder:
        """q(z|x) on images [N, D], or q(z|x,l) on concat[images, label vectors] [N, D + L]:
        a Gaussian, batch [N], event [Z]."""
        shape = self.image_shape(config)
        return ImageEncoder(ImageFeatures(self.trunk(shape), shape, name=f"{name}_trunk"),
                            config.latent_dim, config.hidden_units[-1:],
                            config.kernel_initializer, config.scale_function, name=name)

    def image_decoder(self, config, name: str = "decoder") -> keras.Sequential:
        """Dec(z): [N, K] -> Bernoulli logits [N, D] (float32)."""
        shape = self.image_shape(config)
        return keras.Sequential([self.decoder_body(shape),
                                 ImageLogits(shape, self.registry_name, name=f"{name}_logits")],
                                name=name)

    def classifier(self, config, label_dim: int, name: str = "classifier") -> keras.Sequential:
        """PSE*'s Cla(x_hat): images [N, D] -> the label likelihood's parameter [N, L]."""
        shape = self.image_shape(config)
        return keras.Sequential([
            ImageFeatures(self.trunk(shape), shape, name=f"{name}_trunk"),
            networks.mlp(config.classifier_units[-1:], f"{name}_head", label_dim,
                         config.kernel_initializer)], name=name)


@register_architecture("mlp")
class MLP(Architecture):
    """The paper's appendix-A networks on the flattened image (`pse_tf.networks`), unchanged."""

    def image_encoder(self, config, name="image_encoder"):
        return networks.image_encoder(config, name)

    def image_decoder(self, config, name="decoder"):
        return networks.image_decoder(config, name)

    def classifier(self, config, label_dim, name="classifier"):
        return networks.classifier(config, label_dim, name)


@register_architecture("conv")
class Conv(Architecture):
    """The keras-io VAE's networks, sized from the image: trunk 3x3 convolutions of 32 and 64
    filters, stride 2, ReLU (H x W -> H/4 x W/4 x 64); decoder dense to H/4 x W/4 x 64, 3x3
    transposed convolutions of 64 and 32 filters, stride 2, ReLU, and one of C filters,
    stride 1, giving the logits. H and W must be multiples of 4 (28x28 grey, 32x32 colour, ...).
    Convolution kernels keep Keras's glorot_uniform; `kernel_initializer` sets the dense ones.
    """

    filters = (32, 64)

    def check_image_shape(self, image_shape):
        h, w, c = image_shape
        if h % 4 or w % 4:
            raise ValueError(f"architecture 'conv' needs image height and width that are "
                             f"multiples of 4 (e.g. 28x28 grey, 32x32 colour), got {h}x{w}x{c}")

    def trunk(self, image_shape):
        return keras.Sequential([keras.layers.Conv2D(f, 3, strides=2, padding="same",
                                                     activation="relu", name=f"conv{i}")
                                 for i, f in enumerate(self.filters)])

    def decoder_body(self, image_shape):
        h, w, c = image_shape
        top = self.filters[-1]
        return keras.Sequential(
            [keras.layers.Dense(h // 4 * w // 4 * top, activation="relu", name="dense"),
             keras.layers.Reshape((h // 4, w // 4, top), name="reshape")]
            + [keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu",
                                            name=f"deconv{i}")
               for i, f in enumerate(reversed(self.filters))]
            + [keras.layers.Conv2DTranspose(c, 3, padding="same", dtype="float32",
                                            name="deconv_out")])


class ImageFeatures(keras.layers.Layer):
    """A trunk on flattened images: [N, D] -> [N, F], or concat[images, labels] [N, D + L] ->
    concat[features, labels] [N, F + L] (a joint encoder reads the label beside the features)."""

    def __init__(self, trunk, image_shape: tuple, **kwargs):
        super().__init__(**kwargs)
        self.trunk, self.image_shape = trunk, tuple(image_shape)
        self.image_dim = math.prod(self.image_shape)

    def call(self, inputs):
        images = keras.ops.reshape(inputs[:, :self.image_dim], (-1, *self.image_shape))
        features = self.trunk(images)
        size = features.shape[1:]
        if None in size or not size:
            shape = ", ".join(map(str, self.image_shape))
            raise ValueError(f"the trunk must map images [N, {shape}] to features of a fixed "
                             f"size per image, got {features.shape}")
        features = keras.ops.reshape(features, (-1, math.prod(size)))
        if inputs.shape[-1] == self.image_dim:
            return features
        return keras.ops.concatenate([features, inputs[:, self.image_dim:]], axis=-1)


class ImageEncoder(networks.GaussianEncoder):
    """`GaussianEncoder` whose dense head reads the features of `ImageFeatures`."""

    def __init__(self, features: ImageFeatures, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.features = features

    def build(self, input_shape):
        # A symbolic call builds the trunk and gives the head's input size.
        self.net.build(self.features(keras.KerasTensor((None, input_shape[-1]))).shape)
        self.built = True

    def parameters(self, inputs):
        return super().parameters(self.features(inputs))


class ImageLogits(keras.layers.Layer):
    """The decoder body's logits [N, H, W, C] or [N, D] as float32 [N, D]; the body's output
    shape is checked when built."""

    def __init__(self, image_shape: tuple, architecture: str | None = None, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.image_shape, self.architecture = tuple(image_shape), architecture
        self.image_dim = math.prod(self.image_shape)

    def build(self, input_shape):
        if tuple(input_shape[1:]) not in (self.image_shape, (self.image_dim,)):
            h, w, c = self.image_shape
            raise ValueError(f"architecture {self.architecture!r}: the decoder must give logits "
                             f"[N, {h}, {w}, {c}] or [N, {self.image_dim}], got "
                             f"[N, {', '.join(map(str, input_shape[1:]))}]")
        self.built = True

    def call(self, logits):
        return keras.ops.reshape(keras.ops.cast(logits, "float32"), (-1, self.image_dim))


# -- what the models call ------------------------------------------------------------------------
def image_encoder(config, name: str = "image_encoder"):
    """q(z|x), or q(z|x,l) on concat[x, l], of `config.architecture`."""
    return get_architecture(config.architecture).image_encoder(config, name)


def image_decoder(config, name: str = "decoder"):
    """Dec(z) -> Bernoulli logits [N, D] of `config.architecture`."""
    return get_architecture(config.architecture).image_decoder(config, name)


def classifier(config, label_dim: int, name: str = "classifier"):
    """PSE*'s Cla(x_hat) of `config.architecture`."""
    return get_architecture(config.architecture).classifier(config, label_dim, name)
