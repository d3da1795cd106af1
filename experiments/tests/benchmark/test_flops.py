"""The FLOP count of a training step against hand counts from layer shapes."""

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import make_model
from experiments.benchmark.flops import count_step_flops, matmul_flops, step_matmuls

BATCH = 100


def pse_macs_per_example(latent=4, hidden=(16, 8), classes=3, pixels=784):
    """Multiply-adds per image of `make_model("pse")`'s forward pass, layer by layer."""
    h1, h2 = hidden
    image_encoder = pixels * h1 + h1 * h2 + h2 * (2 * latent)
    label_encoder = classes * (2 * latent)  # one dense layer on the one-hot label
    decoder = latent * h2 + h2 * h1 + h1 * pixels
    return image_encoder + label_encoder + decoder


def test_the_hand_count_covers_every_kernel_of_the_model():
    # Every dense layer of PSE runs once per image in compute_terms, so its multiply-adds per
    # image are the sizes of its kernels: the hand count must name each layer the model has.
    kernels = [w for w in make_model("pse").trainable_weights if len(w.shape) == 2]
    assert len(kernels) == 7
    assert sum(int(np.prod(w.shape)) for w in kernels) == pse_macs_per_example()


def test_pse_step_flops_equal_the_hand_count_from_layer_shapes():
    assert count_step_flops(make_model("pse"), BATCH) == 3 * 2 * BATCH * pse_macs_per_example()


def test_pse_star_adds_its_classifier_on_the_reconstruction():
    classifier = 784 * 16 + 16 * 8 + 8 * 3  # MLP 784-16-8 -> 3 labels
    expected = 3 * 2 * BATCH * (pse_macs_per_example() + classifier)
    assert count_step_flops(make_model("pse_star"), BATCH) == expected


def test_step_flops_scale_with_the_batch():
    model = make_model("vae")
    assert count_step_flops(model, 50) * 2 == count_step_flops(model, 100)


def test_step_matmuls_are_forward_plus_the_gradients_the_step_needs():
    # Backward is two matmuls per forward matmul, except the input gradient of the first
    # image-encoder layer (784 x 16) and of the label encoder (3 x 8): their inputs are data.
    shapes = step_matmuls(make_model("pse"), BATCH)
    unneeded = 784 * 16 + 3 * 8
    assert sum(e["count"] * e["flops"] for e in shapes) == (
        2 * BATCH * (3 * pse_macs_per_example() - unneeded))
    assert sum(e["count"] for e in shapes) == 7 + 2 * 7 - 2  # 7 dense layers
    weight_gradient = [e for e in shapes if e["a"] == [BATCH, 784] and e["b"] == [BATCH, 16]]
    assert len(weight_gradient) == 1 and weight_gradient[0]["transpose_a"]


def test_matmul_flops_reads_transposes_and_broadcast_batches():
    def fn(a, b, x, y):
        return tf.matmul(a, b, transpose_a=True), tf.matmul(x, y)

    graph = tf.function(fn).get_concrete_function(
        tf.TensorSpec([5, 3]), tf.TensorSpec([5, 4]),  # [3, 5] @ [5, 4]: k = 5
        tf.TensorSpec([2, 1, 3, 5]), tf.TensorSpec([4, 5, 6])).graph  # -> [2, 4, 3, 6], k = 5
    assert matmul_flops(graph) == 2 * 3 * 4 * 5 + 2 * (2 * 4 * 3 * 6) * 5


def test_matmul_flops_counts_a_convolution_by_its_kernel():
    graph = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME")).get_concrete_function(
        tf.TensorSpec([2, 8, 8, 3]), tf.TensorSpec([3, 3, 3, 4])).graph
    assert matmul_flops(graph) == 2 * (2 * 8 * 8 * 4) * (3 * 3 * 3)


def test_matmul_flops_counts_a_transposed_convolution_by_its_input():
    def fn(x, k):  # [2, 4, 4, 3] -> [2, 8, 8, 5], kernel [3, 3, 5 out, 3 in]
        return tf.nn.conv2d_transpose(x, k, [2, 8, 8, 5], 2, "SAME")

    graph = tf.function(fn).get_concrete_function(
        tf.TensorSpec([2, 4, 4, 3]), tf.TensorSpec([3, 3, 5, 3])).graph
    assert matmul_flops(graph) == 2 * (2 * 4 * 4 * 3) * (3 * 3 * 5)


def test_matmul_flops_refuses_unknown_shapes():
    graph = tf.function(tf.matmul).get_concrete_function(
        tf.TensorSpec([None, 3]), tf.TensorSpec([3, 2])).graph
    with pytest.raises(ValueError, match="unknown dimension"):
        matmul_flops(graph)


def test_matmul_flops_refuses_a_graph_that_calls_a_function_body():
    inner = tf.function(lambda a, b: tf.matmul(a, b))
    graph = tf.function(lambda a, b: inner(a, b)).get_concrete_function(
        tf.TensorSpec([2, 3]), tf.TensorSpec([3, 2])).graph
    with pytest.raises(ValueError, match="function body"):
        matmul_flops(graph)
