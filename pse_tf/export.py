"""Serving export: a versioned SavedModel with named signatures, TFLite annotator and generator.

`export_model(model, name)` writes the TF Serving layout

    exported/<name>/<version>/          integer version directory (TF Serving picks the largest)
        saved_model.pb, variables/      signatures: serving_default, annotate, generate, encode,
                                        label_distributions (see `SIGNATURES`)
        annotator.tflite                images -> label_probs, label_index, label_name
        generator.tflite                label_vectors, seed -> images
        export_metadata.json            names, label encoding, dimensions, input/output spec

Everything goes through the `LatentModel` methods (`encode`, `label_distribution`,
`annotation_log_likelihood`, `generate`), so every registered model exports the same way; a model
whose `encode` or `label_distribution` raises NotImplementedError (CVAE) is exported without that
signature and the metadata lists it under `omitted_signatures`.

Inputs are validated inside the graph: a bad request fails with an `InvalidArgumentError` whose text
says what was received and what is expected (`IMAGES_SPEC`, `label_vectors_spec`). For that reason
the SavedModel input signatures leave the shapes open (unknown rank): a fixed [None, 28, 28]
signature would make a Python client fail in argument binding before the check could run. The
expected shapes are in `export_metadata.json`, in the README and in the error messages.

Seeds: `generate` takes one int64 seed. TFP's stateless samplers want an int32 pair; `seed_pair`
maps the seed to its low and high 32-bit words, so every int64 is a distinct, repeatable seed.

TFLite has no builtin kernel for TF's stateless random ops (StatelessRandomGetKeyCounter,
StatelessRandomNormalV2), and neither the LiteRT interpreter nor tf.lite.Interpreter in our stack
links the Flex delegate. The generator is therefore converted with `tf.random.stateless_normal`
replaced by `philox_stateless_normal`: TF's own algorithm (Philox-4x32-10 + Box-Muller) written
with uint32 builtin ops, which draws the same numbers as TF up to float rounding (~1e-6).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import tensorflow.compat.v2 as tf_v2

METADATA_FILE = "export_metadata.json"
ANNOTATOR_FILE = "annotator.tflite"
GENERATOR_FILE = "generator.tflite"
METADATA_FORMAT = 1

# Every signature's inputs and outputs as clients see them: {name: (dtype, shape)}. "N" is the
# batch; H, W, C (labels), L (label dim) and Z (latent dim) are filled in per model (metadata).
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
                                        "stddev": ("float32", ["C", "Z"])}},
}
# Signatures a model may lack (its method raises NotImplementedError); the others are required.
OPTIONAL_SIGNATURES = ("encode", "label_distributions")
# The TFLite files: {kind: (signature key inside the .tflite, same as the SavedModel's; file name)}.
TFLITE_FILES = {"annotator": ("annotate", ANNOTATOR_FILE),
                "generator": ("generate", GENERATOR_FILE)}


def images_spec(height: int = 28, width: int = 28) -> str:
    """The start of every image-validation error message."""
    return f"images must be float32 [N, {height}, {width}] with values in [0, 1]"


IMAGES_SPEC = images_spec()


def label_vectors_spec(label_dim: int) -> str:
    """The start of every label-vector validation error message."""
    return (f"label_vectors must be float32 [N, {label_dim}] (one label encoding per row, "
            f"L = {label_dim}) with finite values")


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """Where `export_model` wrote.

    Args:
        path: Path. The version directory `<export_dir>/<name>/<version>` (the SavedModel).
        version: int. The version number.
        tflite_paths: dict. {"annotator": Path, "generator": Path}; empty when tflite=False.
    """

    path: Path
    version: int
    tflite_paths: dict

    @property
    def metadata_path(self) -> Path:
        return self.path / METADATA_FILE


# -- seeds and the builtin-op Philox sampler ---------------------------------------------------
_TWO_32 = 2 ** 32


def seed_pair(seed) -> tf.Tensor:
    """int64 seed -> int32 [2] (low word, high word): the stateless seed the exports pass to TFP.

    `model.generate(label_vectors, seed_pair(s))` draws what the `generate` signature draws for `s`.
    """
    seed = tf.cast(seed, tf.int64)
    low = tf.math.floormod(seed, _TWO_32)  # in [0, 2^32): the cast to int32 wraps it
    high = tf.math.floordiv(seed, _TWO_32)
    return tf.stack([tf.cast(low, tf.int32), tf.cast(high, tf.int32)])


def _seed_pair_builtin(seed) -> tf.Tensor:
    """`seed_pair` with TFLite builtin ops only (int64 FloorDiv is not one): a bitcast.

    Equal to `seed_pair` on little-endian machines, i.e. wherever TFLite runs.
    """
    return tf.reshape(tf.bitcast(tf.cast(seed, tf.int64), tf.int32), [2])


_PHILOX_M = (0xD2511F53, 0xCD9E8D57)
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)
_SEED_SCRAMBLE_KEY = (0x3EC8F720, 0x02461E29)  # tensorflow/core/kernels/stateless_random_ops.cc


def _u32(value):
    return tf.constant(value, tf.uint32)


def _shift_right(x, bits: int):
    return tf.bitwise.right_shift(x, _u32(bits))


def _low_bits(x, bits: int):
    """x mod 2^bits for uint32 x, with a wrapping multiply (TFLite has no builtin BitwiseAnd)."""
    return _shift_right(x * _u32(2 ** (32 - bits)), 32 - bits)


def _mul_hi_lo(x, multiplier: int):
    """(high, low) 32-bit words of the 64-bit product x * multiplier, from 16-bit limbs."""
    m_hi, m_lo = _u32(multiplier >> 16), _u32(multiplier & 0xFFFF)
    x_hi, x_lo = _shift_right(x, 16), _low_bits(x, 16)
    t = x_lo * m_lo
    w = x_hi * m_lo + _shift_right(t, 16)
    w1 = _low_bits(w, 16) + x_lo * m_hi
    high = x_hi * m_hi + _shift_right(w, 16) + _shift_right(w1, 16)
    return high, x * _u32(multiplier)


def _philox4x32(counter, key):
    """Philox-4x32-10 (Salmon et al. 2011) as in tensorflow/core/lib/random/philox_random.h."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        hi0, lo0 = _mul_hi_lo(c0, _PHILOX_M[0])
        hi1, lo1 = _mul_hi_lo(c2, _PHILOX_M[1])
        c0, c1, c2, c3 = (tf.bitwise.bitwise_xor(tf.bitwise.bitwise_xor(hi1, c1), k0), lo1,
                          tf.bitwise.bitwise_xor(tf.bitwise.bitwise_xor(hi0, c3), k1), lo0)
        k0, k1 = k0 + _u32(_PHILOX_W[0]), k1 + _u32(_PHILOX_W[1])
    return c0, c1, c2, c3


def _uint32_to_unit_float(x):
    """TF's Uint32ToFloat: the low 23 bits as a float in [0, 1) (exact)."""
    return tf.cast(_low_bits(x, 23), tf.float32) * (1.0 / 2 ** 23)


def philox_stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=tf.float32, name=None,
                            alg=None):
    """`tf.random.stateless_normal` rebuilt from TFLite builtin ops.

    Reproduces TF's CPU kernel (seed scrambling, Philox-4x32-10 counter blocks, Box-Muller on each
    pair of words), so for the same int32 seed pair it returns TF's numbers up to float rounding of
    log/sin/cos (~1e-6). Only the default (Philox) algorithm exists; `alg` is accepted and ignored.
    """
    del alg
    with tf.name_scope(name or "philox_stateless_normal"):
        seed = tf.cast(seed, tf.int32)
        words = tf.cast(seed, tf.uint32)  # wraps, as static_cast<uint32> does
        # int32 seeds are sign-extended to 64 bits before being split into counter words.
        signs = tf.where(seed < 0, _u32(0xFFFFFFFF), _u32(0))
        mix = _philox4x32((words[0], signs[0], words[1], signs[1]),
                          (_u32(_SEED_SCRAMBLE_KEY[0]), _u32(_SEED_SCRAMBLE_KEY[1])))
        shape = tf.cast(shape, tf.int32)
        count = tf.reduce_prod(shape)
        blocks = tf.cast(tf.range((count + 3) // 4), tf.uint32)
        zeros = tf.zeros_like(blocks)
        x0, x1, x2, x3 = _philox4x32((blocks, zeros, zeros + mix[2], zeros + mix[3]),
                                     (mix[0], mix[1]))
        u = tf.maximum(_uint32_to_unit_float(tf.stack([x0, x2], axis=1)), 1e-7)
        v = (2.0 * math.pi) * _uint32_to_unit_float(tf.stack([x1, x3], axis=1))
        radius = tf.sqrt(-2.0 * tf.math.log(u))
        normals = tf.stack([tf.sin(v) * radius, tf.cos(v) * radius], axis=-1)  # [blocks, 2, 2]
        normals = tf.reshape(tf.reshape(normals, [-1])[:count], shape)
        return tf.cast(normals * stddev + mean, dtype)


@contextlib.contextmanager
def _builtin_stateless_normal():
    """While tracing, route tf.random.stateless_normal (TFP's and Keras' sampler) to ours.

    It swaps a module attribute, so it is not thread-safe: only the TFLite trace runs inside it.
    """
    modules = [tf.random, tf_v2.random]
    originals = [m.stateless_normal for m in modules]
    try:
        for m in modules:
            m.stateless_normal = philox_stateless_normal
        yield
    finally:
        for m, original in zip(modules, originals):
            m.stateless_normal = original


# -- the serving functions ---------------------------------------------------------------------
def _image_shape(model) -> tuple[int, int]:
    image_dim = int(model.model_config.image_dim)
    side = math.isqrt(image_dim)
    if side * side != image_dim:
        raise ValueError(f"export needs square images; model_config.image_dim = {image_dim} "
                         "is not a square number")
    return side, side


class _Functions:
    """The exported computations for one model, with or without in-graph input validation."""

    def __init__(self, model, validate: bool = True):
        self.model = model
        self.validate = validate
        self.height, self.width = _image_shape(model)
        self.label_dim = int(model.label_dim)
        self.class_names = tf.constant(list(model.class_names), tf.string)

    def _check(self, ok, message):
        """An Assert whose failure text is `message` (a string tensor)."""
        return tf.debugging.Assert(ok, [message], summarize=1)

    def flat_images(self, images):
        """Validated [N, H, W] images -> [N, H*W]."""
        if not self.validate:
            return tf.reshape(images, [-1, self.height * self.width])
        spec = images_spec(self.height, self.width)
        shape = tf.shape(images)
        # Padding lets the size test run whatever the rank; the rank test decides then.
        padded = tf.concat([shape, [-1, -1, -1]], axis=0)
        shape_ok = tf.logical_and(tf.equal(tf.size(shape), 3),
                                  tf.reduce_all(tf.equal(padded[1:3], [self.height, self.width])))
        shape_check = self._check(shape_ok, tf.strings.format(spec + "; got shape {}", [shape]))
        with tf.control_dependencies([shape_check]):
            flat = tf.reshape(images, [-1, self.height * self.width])
        finite = tf.math.is_finite(flat)
        values_ok = tf.reduce_all(tf.logical_and(flat >= 0.0, flat <= 1.0))  # False for NaN
        message = tf.strings.format(
            spec + "; got {} NaN/inf value(s) and finite values from {} to {}",
            [tf.reduce_sum(tf.cast(tf.logical_not(finite), tf.int32)),
             tf.reduce_min(tf.where(finite, flat, np.inf)),
             tf.reduce_max(tf.where(finite, flat, -np.inf))])
        with tf.control_dependencies([self._check(values_ok, message)]):
            return tf.identity(flat)

    def checked_label_vectors(self, label_vectors):
        if not self.validate:
            return label_vectors
        spec = label_vectors_spec(self.label_dim)
        shape = tf.shape(label_vectors)
        padded = tf.concat([shape, [-1, -1]], axis=0)
        shape_ok = tf.logical_and(tf.equal(tf.size(shape), 2), tf.equal(padded[1], self.label_dim))
        shape_check = self._check(shape_ok, tf.strings.format(spec + "; got shape {}", [shape]))
        with tf.control_dependencies([shape_check]):
            label_vectors = tf.reshape(label_vectors, [-1, self.label_dim])  # static shape
        finite_ok = tf.reduce_all(tf.math.is_finite(label_vectors))
        message = tf.strings.format(
            spec + "; got {} NaN/inf value(s)",
            [tf.reduce_sum(tf.cast(tf.logical_not(tf.math.is_finite(label_vectors)), tf.int32))])
        with tf.control_dependencies([self._check(finite_ok, message)]):
            return tf.identity(label_vectors)

    def annotate(self, images):
        log_likelihood = self.model.annotation_log_likelihood(self.flat_images(images))
        index = tf.argmax(log_likelihood, axis=-1, output_type=tf.int32)
        return {"label_probs": tf.nn.softmax(log_likelihood, axis=-1),
                "label_index": index,
                "label_name": tf.gather(self.class_names, index)}

    def generate(self, label_vectors, seed, pair_fn=seed_pair):
        label_vectors = self.checked_label_vectors(label_vectors)

        def sample():
            pixels = self.model.generate(label_vectors, pair_fn(seed))
            return tf.reshape(pixels, [-1, self.height, self.width])

        if not self.validate:  # TFLite: no control flow, batches are never empty there
            return {"images": sample()}
        # TFP 0.25 divides by the batch size when sampling an MVNDiag of batch [0].
        empty = tf.zeros([0, self.height, self.width])
        return {"images": tf.cond(tf.shape(label_vectors)[0] > 0, sample, lambda: empty)}

    def encode(self, images):
        q_z_x = self.model.encode(self.flat_images(images))
        return {"mean": q_z_x.mean(), "stddev": q_z_x.stddev()}

    def label_distributions(self):
        q_z_l = self.model.label_distribution()
        return {"names": self.class_names,
                "vectors": tf.convert_to_tensor(self.model.label_vectors),
                "mean": q_z_l.mean(), "stddev": q_z_l.stddev()}


# -- export ------------------------------------------------------------------------------------
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def existing_versions(model_dir) -> list[int]:
    """Integer version directories under `model_dir`, sorted (TF Serving ignores the rest)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())


def _resolve_version(model_dir: Path, version) -> int:
    versions = existing_versions(model_dir)
    if version is None:
        return versions[-1] + 1 if versions else 1
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 0:
        raise ValueError(f"version must be a non-negative int or None, got {version!r}")
    if (model_dir / str(int(version))).exists():
        raise FileExistsError(
            f"{model_dir / str(int(version))} already exists; pass another version, or None for "
            f"the next one ({versions[-1] + 1 if versions else 1})")
    return int(version)


def _spec(shape, dtype, name):
    return tf.TensorSpec(shape, dtype, name=name)


def _resolved_signatures(model) -> dict:
    height, width = _image_shape(model)
    sizes = {"N": None, "H": height, "W": width, "C": int(model.num_classes),
             "L": int(model.label_dim), "Z": int(model.model_config.latent_dim)}
    return {
        key: {side: {name: {"dtype": dtype, "shape": [sizes.get(d, d) for d in shape]}
                     for name, (dtype, shape) in entries.items()}
              for side, entries in spec.items()}
        for key, spec in SIGNATURES.items()}


def _write_saved_model(functions: _Functions, path: Path) -> dict:
    """Writes the SavedModel; returns {signature: reason} for the optional ones the model lacks.

    A model whose `encode` or `label_distribution` raises NotImplementedError (CVAE has no
    image-only encoder) is exported without that signature; annotate and generate are required.
    """
    images = [_spec(None, tf.float32, "images")]  # open shape: the graph checks it (module doc)
    endpoints = {
        "serving_default": (functions.annotate, images),
        "annotate": (functions.annotate, images),
        "generate": (lambda label_vectors, seed: functions.generate(label_vectors, seed),
                     [_spec(None, tf.float32, "label_vectors"), _spec([], tf.int64, "seed")]),
        "encode": (functions.encode, images),
        "label_distributions": (functions.label_distributions, []),
    }
    archive = keras.export.ExportArchive()
    # No archive.track(model): ExportArchive keeps the variables the endpoints use; tracking
    # the model as well stored every weight twice (and the unused classifier).
    omitted = {}
    for key, (fn, input_signature) in endpoints.items():
        traced = tf.function(fn, input_signature=input_signature, autograph=False)
        try:
            traced.get_concrete_function()
        except NotImplementedError as error:
            if key not in OPTIONAL_SIGNATURES:
                raise
            omitted[key] = str(error)
            continue
        archive.add_endpoint(key, traced)  # already traced: no input_signature needed
    if omitted:
        warnings.warn(f"{type(functions.model).__name__} exported without {sorted(omitted)}: "
                      f"{omitted}", stacklevel=3)
    archive.write_out(str(path), verbose=False)
    return omitted


def _random_ops(concrete_function) -> list[str]:
    return sorted({op.type for op in concrete_function.graph.get_operations()
                   if "Random" in op.type})


def _write_tflite(model, path: Path) -> tuple[dict, bool]:
    """Writes annotator.tflite and generator.tflite; returns their paths and whether Flex is needed.

    The converter reads a temporary SavedModel written by ExportArchive, which is what tracks
    Keras 3 variables: `from_concrete_functions(..., trackable_obj=model)` converted without the
    weights here (NaN outputs), and without trackable_obj it takes a deprecated path.
    """
    functions = _Functions(model, validate=False)  # Assert has no TFLite kernel
    height, width = _image_shape(model)
    annotator = tf.function(
        functions.annotate,
        input_signature=[_spec([None, height, width], tf.float32, "images")], autograph=False)
    generator = tf.function(
        lambda label_vectors, seed: functions.generate(label_vectors, seed, _seed_pair_builtin),
        input_signature=[_spec([None, model.label_dim], tf.float32, "label_vectors"),
                         _spec([], tf.int64, "seed")],
        autograph=False)
    annotator.get_concrete_function()
    with _builtin_stateless_normal():
        leftover = _random_ops(generator.get_concrete_function())
    if leftover:
        warnings.warn(f"{type(model).__name__}.generate uses random ops {leftover} with no TFLite "
                      "builtin; generator.tflite is converted with SELECT_TF_OPS and needs the "
                      "Flex delegate", stacklevel=3)
    paths = {}
    with tempfile.TemporaryDirectory() as tmp:
        archive = keras.export.ExportArchive()
        archive.add_endpoint("annotate", annotator)  # already traced: no input_signature needed
        archive.add_endpoint("generate", generator)
        archive.write_out(tmp, verbose=False)
        for kind, (key, filename) in TFLITE_FILES.items():
            converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[key])
            if kind == "generator" and leftover:
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                                       tf.lite.OpsSet.SELECT_TF_OPS]
            paths[kind] = path / filename
            paths[kind].write_bytes(converter.convert())
    return paths, bool(leftover)


def _metadata(model, name: str, version: int, tflite_paths: dict, needs_flex: bool,
              omitted: dict) -> dict:
    height, width = _image_shape(model)
    signatures = _resolved_signatures(model)
    return {
        "format_version": METADATA_FORMAT,
        "name": name,
        "version": version,
        "model": getattr(model, "registry_name", None) or model.model_config.name,
        "class_names": list(model.class_names),
        "label_encoding": model.label_encoding,
        "label_dim": int(model.label_dim),
        "latent_dim": int(model.model_config.latent_dim),
        "image_shape": [height, width],
        "model_config": dataclasses.asdict(model.model_config),
        "signatures": {k: v for k, v in signatures.items() if k not in omitted},
        "omitted_signatures": omitted,
        "input_validation": {
            "images": images_spec(height, width),
            "label_vectors": label_vectors_spec(int(model.label_dim)),
            "note": "SavedModel inputs are declared with open shapes (unknown rank) and checked "
                    "in the graph; a bad request fails with InvalidArgumentError starting with "
                    "these texts. The TFLite files do not validate (no Assert kernel)."},
        "seed": "generate's int64 seed s becomes TFP's stateless int32 pair "
                "[s mod 2^32 (wrapped to int32), floor(s / 2^32)], i.e. its low and high words",
        "tflite": {
            kind: {"file": tflite_paths[kind].name, "signature": key,
                   **signatures[key],
                   "note": ("inputs have fixed trailing sizes; resize the batch dimension"
                            if kind == "annotator" else
                            "Gaussian sampling with builtin ops reproducing TF's stateless Philox "
                            "sampler: the same images as the SavedModel up to float rounding")
                           + (". Needs the Flex delegate." if kind == "generator" and needs_flex
                              else ".")}
            for kind, (key, _) in TFLITE_FILES.items() if kind in tflite_paths},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }


def export_model(model, name: str, export_dir="exported", version: int | None = None,
                 tflite: bool = True) -> ExportResult:
    """Export `model` for serving as `<export_dir>/<name>/<version>/`.

    Args:
        model: LatentModel. Built (`build_all()`) or trained.
        name: str. Model directory name (letters, digits, `_ . -`).
        export_dir: str or Path. Base directory; TF Serving's `--model_base_path` is
            `<export_dir>/<name>`.
        version: int or None. None takes 1 + the largest existing integer version (or 1). An
            existing version is an error, never overwritten.
        tflite: bool. Also write annotator.tflite and generator.tflite.

    Returns:
        ExportResult(path, version, tflite_paths).

    The version directory is written under a hidden temporary name and renamed when complete, so
    a TF Serving instance watching `<export_dir>/<name>` never loads a half-written version.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be a directory name of letters, digits, '_', '.', '-', "
                         f"got {name!r}")
    if not model.built:
        raise ValueError(f"{type(model).__name__} is not built; call model.build_all() first")
    model_dir = Path(export_dir) / name
    model_dir.mkdir(parents=True, exist_ok=True)
    version = _resolve_version(model_dir, version)
    final = model_dir / str(version)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir))
    try:
        omitted = _write_saved_model(_Functions(model, validate=True), staging)
        tflite_paths, needs_flex = _write_tflite(model, staging) if tflite else ({}, False)
        metadata = _metadata(model, name, version, tflite_paths, needs_flex, omitted)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700; a server may run as another user
        if final.exists():
            raise FileExistsError(f"{final} appeared while exporting (a concurrent export?)")
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(path=final, version=version,
                        tflite_paths={k: final / p.name for k, p in tflite_paths.items()})
