"""The exported annotator is fed the data set's images as its signature takes them."""

import numpy as np

from experiments.benchmark.serving import _signature_images


def test_uint8_images_become_float32_in_0_1_with_their_own_shape():
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    x = _signature_images(images, 3)
    assert x.dtype == np.float32 and x.shape == (3, 28, 28) and x.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(x, images[:3].astype(np.float32) / np.float32(255))


def test_float_images_pass_unchanged():
    images = np.random.default_rng(0).uniform(size=(4, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(_signature_images(images, 4), images)
