"""Seeds, and the TF ops that TFLite lacks or converts badly, rebuilt from TFLite builtin ops.

`seed_pair` maps `generate`'s int64 seed to the int32 pair TFP's stateless samplers want (its
low and high words), so every int64 is a distinct, repeatable seed.

TFLite has no builtin kernel for TF's stateless random ops and our interpreters link no Flex
delegate: `philox_stateless_normal` is TF's algorithm (Philox-4x32-10 + Box-Muller) in uint32
builtin ops, equal to TF's draws up to rounding (~1e-6). The converter lowers Softplus to
log(exp(x) + 1), inf from x ~ 88.7 (NaN images where the SavedModel's were finite):
`stable_softplus` is max(x, 0) + log(1 + exp(-|x|)).

The TFLite functions are traced inside `tflite_builtins()`, which swaps both in.
"""

from __future__ import annotations

import contextlib
import math

import tensorflow as tf
import tensorflow.compat.v2 as tf_v2

_TWO_32 = 2 ** 32


def seed_pair(seed) -> tf.Tensor:
    """int64 seed -> int32 [2] (low word, high word): the stateless seed the exports pass to TFP.

    `model.generate(label_vectors, seed_pair(s))` draws what the `generate` signature draws for `s`.
    """
    seed = tf.cast(seed, tf.int64)
    low = tf.math.floormod(seed, _TWO_32)  # in [0, 2^32): the cast to int32 wraps it
    high = tf.math.floordiv(seed, _TWO_32)
    return tf.stack([tf.cast(low, tf.int32), tf.cast(high, tf.int32)])


def builtin_seed_pair(seed) -> tf.Tensor:
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


def stable_softplus(features, name=None):
    """`tf.nn.softplus` from builtin ops that do not overflow: max(x, 0) + log(1 + exp(-|x|)).

    Equal to TF's softplus within 1e-7 everywhere (below x ~ -16, where TF returns exp(x) and this
    returns 0, the difference is exp(x) itself).
    """
    with tf.name_scope(name or "stable_softplus"):
        features = tf.convert_to_tensor(features)
        return tf.maximum(features, 0.0) + tf.math.log(1.0 + tf.exp(-tf.abs(features)))


@contextlib.contextmanager
def _swapped(attribute: str, replacement, modules):
    """Sets `attribute` of every module to `replacement` for the duration, then restores it.

    It swaps module attributes, so it is not thread-safe: only the TFLite trace runs inside it.
    """
    originals = [getattr(m, attribute) for m in modules]
    try:
        for m in modules:
            setattr(m, attribute, replacement)
        yield
    finally:
        for m, original in zip(modules, originals):
            setattr(m, attribute, original)


def builtin_stateless_normal():
    """While tracing, route tf.random.stateless_normal (TFP's and Keras' sampler) to ours."""
    return _swapped("stateless_normal", philox_stateless_normal, [tf.random, tf_v2.random])


@contextlib.contextmanager
def tflite_builtins():
    """While tracing a TFLite function: our stateless normal sampler and `stable_softplus`."""
    with builtin_stateless_normal(), _swapped("softplus", stable_softplus,
                                              [tf.nn, tf.math, tf_v2.nn, tf_v2.math]):
        yield
