"""The fixed evaluator classifiers: committed weights, the classify fast path, saving, errors."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from pse_tf.evaluation import evaluators as ev  # noqa: E402

# Accuracy on the first 2 000 official test images: the targets (MNIST 96.9 %, Fashion 92.4 %
# on the whole test set) less a margin for the subset.
SUBSET = 2000
MIN_SUBSET_ACCURACY = {"mnist": 0.96, "fashion_mnist": 0.91}


@pytest.fixture(scope="module", params=ev.EVALUATOR_DATASETS)
def committed(request):
    """(dataset name, loaded evaluator, first SUBSET test images as float, their labels)."""
    from pse_tf.data import flat_float, load_dataset

    data = load_dataset(request.param)
    model = ev.load_evaluator(request.param)
    return (request.param, model, flat_float(data.test_images[:SUBSET]).numpy().reshape(-1, 28, 28),
            np.asarray(data.test_labels[:SUBSET]))


def test_committed_weights_classify_real_test_images(committed):
    name, model, images, labels = committed
    acc = np.mean(ev.classify(model, images) == labels)
    assert acc >= MIN_SUBSET_ACCURACY[name], f"{name}: {acc:.4f} on the first {SUBSET} test images"


def test_classify_accepts_flat_square_channel_and_uint8_inputs(committed):
    _, model, images, _ = committed
    square = ev.classify(model, images[:300])
    np.testing.assert_array_equal(ev.classify(model, images[:300].reshape(300, 784)), square)
    np.testing.assert_array_equal(ev.classify(model, images[:300, :, :, None]), square)
    np.testing.assert_array_equal(ev.classify(model, tf.constant(images[:300])), square)
    as_uint8 = np.round(images[:300] * 255).astype(np.uint8)  # flat_float(uint8) round-trips
    np.testing.assert_array_equal(ev.classify(model, as_uint8), square)
    assert square.dtype == np.int32 and square.shape == (300,)


def test_classify_padded_last_batch_matches_one_batch(committed):
    _, model, images, _ = committed
    whole = ev.classify(model, images[:250], batch_size=250)
    np.testing.assert_array_equal(ev.classify(model, images[:250], batch_size=64), whole)
    np.testing.assert_array_equal(ev.classify(model, images[:250], jit_compile=False), whole)
    assert ev.classify(model, images[:0]).shape == (0,)


def test_classify_matches_model_call(committed):
    """classify is the argmax of the model's logits; the model itself accepts [N, 28, 28], as
    metrics.generation_accuracy calls it inside its own XLA function."""
    _, model, images, _ = committed
    logits = model(images[:200], training=False)
    assert logits.shape == (200, 10)
    np.testing.assert_array_equal(ev.classify(model, images[:200]), np.argmax(logits, axis=-1))


def test_weights_files_are_small():
    for name in ev.EVALUATOR_DATASETS:
        model_path, _ = ev.weights_paths(name)
        assert model_path.stat().st_size < 5 * 2**20, f"{model_path} is over 5 MiB"


def test_missing_weights_error_names_file_and_command(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        ev.load_evaluator("fashion_mnist", weights_dir=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "fashion_mnist.keras") in message
    assert "python scripts/train_evaluators.py --dataset fashion_mnist" in message
    with pytest.raises(FileNotFoundError, match="train_evaluators.py --dataset mnist"):
        ev.evaluator_info("mnist", weights_dir=tmp_path)


def test_unknown_dataset_and_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="cifar10"):
        ev.build_evaluator("cifar10")
    model = ev.build_evaluator("mnist")
    with pytest.raises(ValueError, match=r"\[5, 27, 27\]"):
        ev.classify(model, np.zeros((5, 27, 27), np.float32))
    with pytest.raises(TypeError, match="int64"):
        ev.classify(model, np.zeros((5, 28, 28), np.int64))
    with pytest.raises(ValueError, match="batch_size"):
        ev.classify(model, np.zeros((5, 28, 28), np.float32), batch_size=0)


@pytest.mark.parametrize("name", ev.EVALUATOR_DATASETS)
def test_save_load_round_trip(name, tmp_path):
    model = ev.build_evaluator(name)
    x = np.random.default_rng(1).uniform(size=(8, 28, 28)).astype(np.float32)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = ev.load_evaluator(name, weights_dir=tmp_path)
    np.testing.assert_allclose(loaded(x, training=False), model(x, training=False), atol=1e-5)


def test_flops_per_image_counts_convolutions_and_dense_layers():
    assert ev.flops_per_image(ev.build_mlp((32,))) == 2 * (784 * 32 + 32 * 10)
    resnet = ev.build_resnet(stem=(4, 2), blocks=((8, 2),))
    # stem 14x14x4 (3x3x1), conv1 7x7x8 (3x3x4), conv2 7x7x8 (3x3x8), 1x1 projection, dense
    expected = 2 * (14 * 14 * 4 * 9 + 7 * 7 * 8 * 36 + 7 * 7 * 8 * 72 + 7 * 7 * 8 * 4 + 8 * 10)
    assert ev.flops_per_image(resnet) == expected
