"""The serving signatures: their spec, and the functions behind them with in-graph input checks.

Everything goes through the `LatentModel` methods, so every registered model exports the same
way. Inputs are validated inside the graph: a bad request fails with an `InvalidArgumentError`
saying what was received and what is expected (`images_spec`, `label_vectors_spec`). So the
SavedModel signatures leave shapes open: a fixed [None, H, W] would fail in a Python client's
argument binding before the check could run (the expected shapes are in export_metadata.json).
The TFLite forms have fixed trailing sizes and no checks (no Assert kernel); `TFLiteModel` makes
the same checks in Python.

A tensor of another dtype never reaches these checks: TensorFlow refuses it first (an
InvalidArgumentError for tensors, a TypeError for numpy arrays and Python numbers it cannot
convert; TF Serving answers INVALID_ARGUMENT). Convertible numpy values (float64, ints, bools,
a uint64 seed, which wraps) are converted to the declared dtype, then checked here.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from pse_tf import mixtures, networks
from pse_tf.data import flat_float
from pse_tf.export.sampler import builtin_seed_pair, seed_pair

# Every signature's inputs and outputs as clients see them: {name: (dtype, shape)}. "N" is the
# batch; H, W (image), C (labels), L (label dim) and Z (latent dim) are filled in per model
# (`resolved_signatures`).
_ANNOTATE = {"inputs": {"images": ("float32", ["N", "H", "W"])},
             "outputs": {"label_probs": ("float32", ["N", "C"]),
                         "label_index": ("int32", ["N"]),
                         "label_name": ("string", ["N"])}}
SIGNATURES = {
    "serving_default": _ANNOTATE,
    "annotate": _ANNOTATE,
    "generate": {"inputs": {"label_vectors": ("float32", ["N", "L"]), "seed": ("int64", [])},
                 "outputs": {"images": ("float32", ["N", "H", "W"])}},
    "encode": {"inputs": {"images": ("float32", ["N", "H", "W"])},
               "outputs": {"mean": ("float32", ["N", "Z"]), "stddev": ("float32", ["N", "Z"])}},
    "label_distributions": {"inputs": {},
                            "outputs": {"names": ("string", ["C"]),
                                        "vectors": ("float32", ["C", "L"]),
                                        "mean": ("float32", ["C", "Z"]),
                                        "stddev": ("float32", ["C", "Z"]),
                                        "scale_tril": ("float32", ["C", "Z", "Z"]),
                                        "weights": ("float32", ["C", "K"]),
                                        "component_mean": ("float32", ["C", "K", "Z"]),
                                        "component_scale_tril": ("float32",
                                                                 ["C", "K", "Z", "Z"])}},
}
# The largest label-vector value `generate` accepts: far beyond any label encoding (one-hot 0/1,
# word vectors |v| < 10) and far below where the networks overflow float32. A finite 3e38 made
# the SavedModel return NaN images silently, or finite ones where Keras returned NaN.
_LIMIT_TEXT = "1e6"
LABEL_VALUE_LIMIT = float(_LIMIT_TEXT)
# Signatures a model may lack (its method raises NotImplementedError); the others are required.
OPTIONAL_SIGNATURES = ("encode", "label_distributions")


def images_spec(height: int, width: int, channels: int | None = None) -> str:
    """The start of every image-validation error message."""
    dims = f"{height}, {width}" + (f", {channels}" if channels else "")
    return f"images must be float32 [N, {dims}] with values in [0, 1]"


def label_vectors_spec(label_dim: int) -> str:
    """The start of every label-vector validation error message."""
    return (f"label_vectors must be float32 [N, {label_dim}] (one label encoding per row, "
            f"L = {label_dim}) with values in [-{_LIMIT_TEXT}, {_LIMIT_TEXT}]")


def seed_spec() -> str:
    """The start of the seed validation error message."""
    return "seed must be an int64 scalar (shape [])"


def shape_text(shape) -> str:
    """A shape as the in-graph messages print it: [2 784], [] for a scalar."""
    return "[" + " ".join(str(int(d)) for d in shape) + "]"


def image_shape(model) -> tuple[int, ...]:
    """(H, W) or (H, W, C) of the model's images: `model_config.image_shape`, else a square grey
    image of `model_config.image_dim` pixels."""
    if getattr(model.model_config, "image_shape", None):
        return tuple(int(d) for d in model.model_config.image_shape)
    image_dim = int(model.model_config.image_dim)
    side = math.isqrt(image_dim)
    if side * side != image_dim:
        raise ValueError(f"export needs square images; model_config.image_dim = {image_dim} "
                         "is not a square number")
    return side, side


def resolve_spec(model, spec: dict, **sizes) -> dict:
    """A signature spec {key: {"inputs"/"outputs": {name: (dtype, shape)}}} with the model's
    sizes filled in (N, H, W, C, L, Z, and any `sizes` given): {key: {side: {name: {dtype,
    shape}}}}. Colour images get their trailing channel axis after W."""
    image = image_shape(model)
    sizes = {"N": None, "H": image[0], "W": image[1], "C": int(model.num_classes),
             "L": int(model.label_dim), "Z": int(model.model_config.latent_dim),
             "K": int(model.label_components), **sizes}
    channels = list(image[2:])
    return {
        key: {side: {name: {"dtype": dtype,
                            "shape": [sizes.get(d, d) for d in shape]
                            + (channels if shape[-1:] == ["W"] else [])}
                     for name, (dtype, shape) in entries.items()}
              for side, entries in entry.items()}
        for key, entry in spec.items()}


def resolved_signatures(model) -> dict:
    """`SIGNATURES` with the model's sizes: {key: {"inputs"/"outputs": {name: {dtype, shape}}}}."""
    return resolve_spec(model, SIGNATURES)


class ServingFunctions:
    """The exported computations for one model.

    Args:
        model: LatentModel. Built.
        tflite: bool. The TFLite form: no input checks (no Assert kernel), no control flow, and
            the seed pair by bitcast (`builtin_seed_pair`). Defaults to False (the SavedModel form).
    """

    def __init__(self, model, tflite: bool = False):
        self.model = model
        self.validate = not tflite
        self.pair_fn = builtin_seed_pair if tflite else seed_pair
        self.shape = image_shape(model)
        self.label_dim = int(model.label_dim)
        self.class_names = tf.constant(list(model.class_names), tf.string)

    def _check(self, ok, message):
        """An Assert whose failure text is `message` (a string tensor)."""
        return tf.debugging.Assert(ok, [message], summarize=1)

    def _shape_check(self, tensor, trailing, spec: str):
        """An Assert that `tensor` is [N, *trailing], or a scalar where `trailing` is None."""
        shape = tf.shape(tensor)
        if trailing is None:
            return self._check(tf.equal(tf.size(shape), 0), _got_shape(spec, shape))
        rank = len(trailing) + 1
        # Padding lets the size test run whatever the rank; the rank test decides then.
        padded = tf.concat([shape, tf.fill([rank], -1)], axis=0)
        ok = tf.logical_and(tf.equal(tf.size(shape), rank),
                            tf.reduce_all(tf.equal(padded[1:rank], list(trailing))))
        return self._check(ok, _got_shape(spec, shape))

    def _range_check(self, values, low: float, high: float, spec: str):
        """An Assert that every value is in [low, high] (NaN is not); its text counts the NaN/inf
        values and gives the range of the finite ones."""
        finite = tf.math.is_finite(values)
        message = tf.strings.format(
            spec + "; got {} NaN/inf value(s) and finite values from {} to {}",
            [tf.reduce_sum(tf.cast(tf.logical_not(finite), tf.int32)),
             tf.reduce_min(tf.where(finite, values, np.inf)),
             tf.reduce_max(tf.where(finite, values, -np.inf))])
        return self._check(tf.reduce_all(tf.logical_and(values >= low, values <= high)), message)

    def flat_images(self, images):
        """Validated [N, H, W] images -> float32 [N, H*W] (`pse_tf.data.flat_float`)."""
        if not self.validate:
            return flat_float(images)
        spec = images_spec(*self.shape)
        with tf.control_dependencies([self._shape_check(images, self.shape, spec)]):
            # The input's rank is open, so the static width comes from the model.
            flat = tf.ensure_shape(flat_float(images), [None, math.prod(self.shape)])
        with tf.control_dependencies([self._range_check(flat, 0.0, 1.0, spec)]):
            return tf.identity(flat)

    def checked_label_vectors(self, label_vectors):
        """Validated [N, L] label vectors, all in [-LABEL_VALUE_LIMIT, LABEL_VALUE_LIMIT]."""
        if not self.validate:
            return label_vectors
        spec = label_vectors_spec(self.label_dim)
        with tf.control_dependencies([self._shape_check(label_vectors, (self.label_dim,), spec)]):
            label_vectors = tf.reshape(label_vectors, [-1, self.label_dim])  # static shape
        check = self._range_check(label_vectors, -LABEL_VALUE_LIMIT, LABEL_VALUE_LIMIT, spec)
        with tf.control_dependencies([check]):
            return tf.identity(label_vectors)

    def annotate(self, images):
        log_likelihood = self.model.annotation_log_likelihood(self.flat_images(images))
        index = tf.argmax(log_likelihood, axis=-1, output_type=tf.int32)
        return {"label_probs": tf.nn.softmax(log_likelihood, axis=-1),
                "label_index": index,
                "label_name": tf.gather(self.class_names, index)}

    def checked_seed(self, seed):
        """The seed, checked to be a scalar (a seed of shape [k] failed deep inside the sampler:
        "seed must have shape [2], not [2,k]")."""
        if not self.validate:
            return seed
        with tf.control_dependencies([self._shape_check(seed, None, seed_spec())]):
            return tf.reshape(seed, [])

    def generate(self, label_vectors, seed):
        label_vectors = self.checked_label_vectors(label_vectors)
        seed = self.checked_seed(seed)

        def sample():
            pixels = self.model.generate(label_vectors, self.pair_fn(seed))
            return tf.reshape(pixels, [-1, *self.shape])

        if not self.validate:  # TFLite: no control flow, batches are never empty there
            return {"images": sample()}
        # TFP 0.25 divides by the batch size when sampling an MVNDiag of batch [0].
        empty = tf.zeros([0, *self.shape])
        return {"images": tf.cond(tf.shape(label_vectors)[0] > 0, sample, lambda: empty)}

    def encode(self, images):
        q_z_x = self.model.encode(self.flat_images(images))
        return {"mean": q_z_x.mean(), "stddev": q_z_x.stddev()}

    def label_distributions(self):
        """Each label's q(z|l): its mean, stddev and Cholesky factor (diagonal, the paper's, or
        full: label_covariance; of the covariance, for a mixture), and its K components
        (label_components; one, weight 1, for a Gaussian)."""
        q_z_l = self.model.label_distribution()
        mixture = mixtures.is_mixture(q_z_l)
        components = (q_z_l.components_distribution if mixture else
                      networks.gaussian(q_z_l.loc[:, None], q_z_l.scale.to_dense()[:, None],
                                        "full"))
        weights = mixtures.components(q_z_l)[0]
        return {"names": self.class_names,
                "vectors": tf.convert_to_tensor(self.model.label_vectors),
                "mean": q_z_l.mean(), "stddev": q_z_l.stddev(),
                "scale_tril": tf.linalg.cholesky(q_z_l.covariance()) if mixture
                else q_z_l.scale.to_dense(),
                "weights": weights, "component_mean": components.loc,
                "component_scale_tril": components.scale.to_dense()}


def _got_shape(spec: str, shape):
    """`spec`; got shape [d0 d1 ...]: every dimension (the default summary elides past six)."""
    return tf.strings.format(spec + "; got shape {}", [shape], summarize=-1)


def _function(fn, *input_signature):
    return tf.function(fn, input_signature=list(input_signature), autograph=False)


def saved_model_functions(model) -> dict:
    """{signature key: tf.function} for every key of `SIGNATURES`, with open input shapes; not
    yet traced (tracing raises NotImplementedError where the model lacks the method)."""
    functions = ServingFunctions(model)
    # Open shapes, checked in the graph. A declared shape is not enforced when a client passes
    # tensors, and it is folded into the graph when tracing, so no check could see a wrong one.
    images = tf.TensorSpec(None, tf.float32, name="images")
    return {
        "serving_default": _function(functions.annotate, images),
        "annotate": _function(functions.annotate, images),
        "generate": _function(functions.generate,
                              tf.TensorSpec(None, tf.float32, name="label_vectors"),
                              tf.TensorSpec(None, tf.int64, name="seed")),
        "encode": _function(functions.encode, images),
        "label_distributions": _function(functions.label_distributions),
    }


def tflite_functions(model) -> dict:
    """{"annotate", "generate": tf.function} in the TFLite form, with fixed trailing sizes; trace
    them inside `sampler.tflite_builtins()`, so that they use builtin ops."""
    functions = ServingFunctions(model, tflite=True)
    return {
        "annotate": _function(functions.annotate,
                              tf.TensorSpec([None, *image_shape(model)], tf.float32,
                                            name="images")),
        "generate": _function(functions.generate,
                              tf.TensorSpec([None, functions.label_dim], tf.float32,
                                            name="label_vectors"),
                              tf.TensorSpec([], tf.int64, name="seed")),
    }
