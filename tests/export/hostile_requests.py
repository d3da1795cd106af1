"""Hostile requests (hypothesis strategies) and the answer each one must get.

A request is drawn as a few parameters (shape, dtype, a fill, special values, a seed for numpy)
and built with numpy, so hypothesis shrinks a failure to a readable one and large batches stay
cheap. `Request.refusals` lists the refusals the request may get; an empty list means it must be
answered (`answer`).
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pse_tf import export
from pse_tf.export.signatures import shape_text

from .conftest import TOL

# Each property test runs twice: FAST examples in the fast subset, FULL in the slow suite
# (PSE_HYPOTHESIS_FAST / PSE_HYPOTHESIS_FULL change them).
FAST = int(os.environ.get("PSE_HYPOTHESIS_FAST", 50))
FULL = int(os.environ.get("PSE_HYPOTHESIS_FULL", 1000))
BUDGETS = [pytest.param(FAST, id="fast"), pytest.param(FULL, id="full", marks=pytest.mark.slow)]
LARGE_BATCH = 2048
MAX_ELEMENTS = LARGE_BATCH * 256
INT64 = np.iinfo(np.int64)
F32_MAX = float(np.finfo(np.float32).max)
SPECIAL = (np.nan, -np.nan, np.inf, -np.inf, -0.0, 1e-45, -1e-45, float(np.nextafter(
    np.float32(1), np.float32(2))), -1e-7, 2.0, 255.0, 1e5, 1e6, -1e6, 1000001.0, 1e30, -1e30, 3e38,
    F32_MAX, -F32_MAX, 1e300)
# What a signature's input binding calls each dtype ("... expected to be a float tensor but is a
# double tensor").
TF_NAME = {"float32": "float", "float64": "double", "float16": "half", "bfloat16": "bfloat16",
           "int32": "int32", "int64": "int64", "uint8": "uint8", "bool": "bool",
           "string": "string"}
OTHER_DTYPES = tuple(d for d in TF_NAME if d != "float32")
NUMPY_DTYPES = ("float64", "float16", "int32", "uint8", "bool")  # numpy arrays TF can convert


def generation_tolerance(label_vectors: np.ndarray) -> float:
    """How far two computations of `generate` (SavedModel, Keras, TFLite) may differ: float
    rounding grows with the label values, which scale every activation (1.4e-4 apart at ~240)."""
    return TOL * max(1.0, float(np.abs(label_vectors).max(initial=0.0)))


def hostile_settings(budget: int):
    """`budget` examples, no deadline (TF's first calls trace), repeatable, nothing written."""
    return settings(max_examples=budget, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@dataclasses.dataclass
class Refusal:
    """An expected error: its class and texts its message must contain."""

    error: type
    texts: tuple

    def matches(self, error: BaseException) -> bool:
        return isinstance(error, self.error) and all(t in str(error) for t in self.texts)


@dataclasses.dataclass
class Request:
    """One input: `value` as passed, `array` the float32 the model would see, its refusals."""

    value: object
    array: np.ndarray | None
    refusals: list

    def __repr__(self):  # short, for assertion messages (hypothesis prints every field itself)
        shape = getattr(self.value, "shape", None)
        dtype = getattr(self.value, "dtype", type(self.value).__name__)
        return f"Request({type(self.value).__name__} {dtype} {shape}, refusals={self.refusals})"


def _count_non_finite(array) -> int:
    return int(np.sum(~np.isfinite(array)))


@st.composite
def float_values(draw, shape) -> np.ndarray:
    """float64 of `shape`: a fill in [0, 1], sometimes rescaled, sometimes with special values."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fill = draw(st.sampled_from(("uniform", "uniform", "zeros", "ones", "binary")))
    x = {"uniform": lambda: rng.uniform(size=shape), "zeros": lambda: np.zeros(shape),
         "ones": lambda: np.ones(shape),
         "binary": lambda: rng.integers(0, 2, shape).astype(np.float64)}[fill]()
    if draw(st.integers(0, 4)) == 0:  # rescaled: mostly outside [0, 1], sometimes huge
        scale = draw(st.sampled_from((255.0, -1.0, 1e-3, 1e6, 1e38)) | st.floats(-1e4, 1e4))
        x = x * scale + draw(st.floats(-2.0, 2.0))
    size = x.size
    if size and draw(st.booleans()):
        specials = st.sampled_from(SPECIAL) | st.floats(width=32)
        for index, value in draw(st.lists(st.tuples(st.integers(0, size - 1), specials),
                                          min_size=1, max_size=4)):
            x.flat[index] = value
    return x


def _as_dtype(x: np.ndarray, dtype: str):
    """x (float64) as an array of `dtype`, NaN/inf replaced where the dtype cannot hold them."""
    if dtype == "string":
        return x.astype(str)
    if dtype == "bool":
        return np.nan_to_num(x) != 0
    with np.errstate(over="ignore", invalid="ignore"):  # int64's max rounds up as a float
        if dtype in ("int32", "int64", "uint8"):
            info = np.iinfo(dtype)
            return np.clip(np.nan_to_num(x), info.min, info.max).astype(dtype)
        return x.astype(np.float32 if dtype == "bfloat16" else dtype)


@st.composite
def requests(draw, name: str, trailing: tuple, confusable: tuple, bounds: tuple, spec: str,
             tensors: bool = True) -> Request:
    """A request for one float32 input [N, *trailing] whose spec text is `spec`.

    tensors=True (the SavedModel): a tf.Tensor of a drawn dtype, or a numpy array TF converts.
    tensors=False (TFLite): a numpy array of a drawn dtype; only real floats are accepted.
    """
    shape = draw(shapes(trailing, confusable))
    x = draw(float_values(shape))
    dtype = draw(st.sampled_from(("float32",) * 10 + OTHER_DTYPES))
    if tensors and dtype in NUMPY_DTYPES and draw(st.booleans()):
        value = _as_dtype(x, dtype)  # numpy: converted to float32 by the client, then checked
        with np.errstate(over="ignore", invalid="ignore"):
            array = value.astype(np.float32)
    elif tensors:
        if dtype == "bfloat16":
            value = tf.cast(tf.constant(_as_dtype(x, dtype)), tf.bfloat16)
        else:
            value = tf.constant(_as_dtype(x, dtype))
        if dtype != "float32":
            return Request(value, None, binding_refusals(name, value, "float32"))
        array = value.numpy()
    else:
        value = _as_dtype(x, "float32" if dtype == "bfloat16" else dtype)
        if value.dtype.kind != "f":
            return Request(value, None, [Refusal(ValueError, (spec, f"of dtype {value.dtype}"))])
        with np.errstate(over="ignore"):
            array = value.astype(np.float32)
    error = tf.errors.InvalidArgumentError if tensors else ValueError
    # TF's CPU kernels flush subnormals to 0 (a -1e-45 pixel is 0 to the model); TFLiteModel too.
    array = np.where(np.abs(array) < np.finfo(np.float32).smallest_normal, np.float32(0), array)
    if array.ndim != 1 + len(trailing) or array.shape[1:] != trailing:
        return Request(value, array, [Refusal(error, (f"{spec}; got shape {shape_text(shape)}",))])
    if not np.all((array >= bounds[0]) & (array <= bounds[1])):
        return Request(value, array, [Refusal(error, (
            f"{spec}; got {_count_non_finite(array)} NaN/inf value(s)",))])
    return Request(value, array, [])


def shapes(trailing: tuple, confusable: tuple):
    """Shapes [N, *trailing] and near or far from it, at most MAX_ELEMENTS elements."""
    # Hypothesis draws the smallest value most often: keep empty batches to one draw in six.
    batch = st.integers(1, 8) | st.integers(1, 8) | st.sampled_from((0, 1, 2, LARGE_BATCH))
    near_sizes = sorted({d + k for d in trailing for k in (-1, 1)} | set(confusable)
                        | {math.prod(trailing), 1, 0})
    valid = batch.map(lambda n: (n, *trailing))
    one_off = st.tuples(batch, st.integers(0, len(trailing) - 1), st.sampled_from(near_sizes)).map(
        lambda t: (t[0], *(t[2] if i == t[1] else d for i, d in enumerate(trailing))))
    reranked = st.sampled_from((
        trailing, (math.prod(trailing),), (*trailing, 1), (1, *trailing), (1, 1, *trailing),
        tuple(reversed(trailing)))).flatmap(lambda t: batch.map(lambda n: (n, *t)) | st.just(t))
    anything = st.lists(st.integers(0, 6) | st.sampled_from(trailing), max_size=6).map(tuple)
    return (valid | valid | one_off | reranked | anything).filter(
        lambda s: math.prod(s) <= MAX_ELEMENTS)


def image_requests(height: int, width: int, tensors: bool = True):
    """Images for a model of H x W images: 28 x 28 (the data sets' size) and flat rows are
    among the near misses."""
    return requests("images", (height, width), (28, 784), (0.0, 1.0),
                    export.images_spec(height, width), tensors=tensors)


def label_requests(label_dim: int, num_classes: int, tensors: bool = True):
    """Label vectors of width L; C (one-hot width) and 50, 300 (GloVe, word2vec widths) are
    among the near misses."""
    limit = export.LABEL_VALUE_LIMIT
    return requests("label_vectors", (label_dim,), (num_classes, 50, 300), (-limit, limit),
                    export.label_vectors_spec(label_dim), tensors=tensors)


@st.composite
def seed_requests(draw, tensors: bool = True) -> Request:
    """A seed: any int64 (extremes are drawn often), or a wrong one (shape, dtype, range)."""
    seed = draw(st.integers(INT64.min, INT64.max) | st.sampled_from(
        (INT64.min, INT64.max, 0, -1, 2**32 - 1, 2**32, -(2**32), 2**31, -(2**31) - 1)))
    kind = draw(st.sampled_from(("int64",) * 4 + ("python", "vector", "int32", "float",
                                                  "beyond")))
    spec = export.seed_spec()
    if kind == "beyond":
        big = draw(st.sampled_from((INT64.max + 1, INT64.min - 1, 2**64, -(2**70))))
        error = (TypeError, ("out-of-range integer",)) if tensors else (ValueError, (spec,))
        return Request(big, None, [Refusal(*error)])
    if kind == "float":
        value = float(seed)
        error = (TypeError, ("Cannot convert",)) if tensors else (ValueError, (spec, "float"))
        return Request(value, None, [Refusal(*error)])
    if kind == "vector":
        shape = draw(st.sampled_from(((1,), (2,), (0,), (2, 1), (3, 2))))
        value = np.full(shape, seed, np.int64)
        if not tensors:
            return Request(value, None, [Refusal(ValueError, (spec, shape_text(shape)))])
        return Request(tf.constant(value), None, [Refusal(
            tf.errors.InvalidArgumentError, (f"{spec}; got shape {shape_text(shape)}",))])
    if kind == "int32":
        value = np.int32(np.clip(seed, -(2**31), 2**31 - 1))
        if tensors:
            return Request(tf.constant(value), None,
                           binding_refusals("seed", tf.constant(value), "int64"))
        return Request(value, np.array(int(value), np.int64), [])  # any numpy integer works
    value = seed if kind == "python" else (tf.constant(seed, tf.int64) if tensors
                                           else np.int64(seed))
    return Request(value, np.array(seed, np.int64), [])


def binding_refusals(name: str, tensor: tf.Tensor, spec_dtype: str) -> list:
    """How a signature refuses a tensor of the wrong dtype. Given only tensors, the call reaches
    the function, whose input binding raises InvalidArgumentError; given a numpy array or Python
    number as well, the arguments are converted first and that raises a TypeError naming both
    specs."""
    got = tensor.dtype.name
    graph_text = (f"expected to be a {TF_NAME.get(spec_dtype, spec_dtype)} tensor but is a "
                  f"{TF_NAME.get(got, got)} tensor")
    return [Refusal(tf.errors.InvalidArgumentError, (graph_text,)),
            Refusal(TypeError, ("Can not cast TensorSpec", f"dtype=tf.{got}, name='{name}'",
                                f"dtype=tf.{spec_dtype}, name='{name}'"))]


def outcome(call):
    """(answer, None) or (None, error) for the errors a request may get; others propagate."""
    try:
        return call(), None
    except (tf.errors.InvalidArgumentError, TypeError, ValueError) as error:
        return None, error


def answer(call, *requests: Request):
    """`call()`'s answer when every request is valid, else None once it has been refused with
    one of the refusals the requests expect (when two inputs are bad, either may be reported)."""
    got, error = outcome(call)
    refusals = [r for request in requests for r in request.refusals]
    if not refusals:
        assert error is None, f"refused a valid request {requests}: {error}"
        return got
    assert error is not None, f"answered a request that must be refused: {requests}"
    assert any(r.matches(error) for r in refusals), (
        f"{type(error).__name__}: {error}\nexpected one of {refusals}")
    return None
