"""The two training paths: interleaved timing, floors per repeat, and the same algorithm."""

import types

import numpy as np
import pytest

from experiments.benchmark.paths import (FastPath, PlainPath, benchmark_config,
                                         compare_training_paths, floor_ratios)


def test_floor_ratios_divide_each_timing_by_its_own_repeats_floor():
    # 1 GFLOP/step; the machine halves its speed between the two repeats, and so does the step.
    timing = {"gflops_all": [200.0, 100.0], "fast_ms_all": [10.0, 20.0],
              "plain_ms_all": [30.0, 80.0]}
    ratios = floor_ratios(1_000_000_000, timing)
    assert ratios["fast_x_floor_all"] == pytest.approx([2.0, 2.0])
    assert ratios["plain_x_floor_all"] == pytest.approx([6.0, 8.0])
    assert ratios["fast_x_floor"] == pytest.approx(2.0)
    assert ratios["plain_x_floor"] == pytest.approx(7.0)
    assert ratios["floor_ms"] == pytest.approx(1000 / 150)  # at the median rate


class _CountingPath:
    """A stand-in training path whose `run` just records the call (for the interleaving)."""

    def __init__(self, name, calls, spe=100):
        self.name, self.calls = name, calls
        self.config = types.SimpleNamespace(steps_per_execution=spe)

    def run(self, steps):
        self.calls.append((self.name, steps))
        return 0.001 * steps


def test_compare_training_paths_samples_the_rate_around_each_timing_of_ours():
    calls = []
    rates = iter([100.0, 300.0, 50.0, 150.0])

    def rate():
        calls.append(("rate", None))
        return next(rates)

    timing = compare_training_paths(_CountingPath("fast", calls), _CountingPath("plain", calls),
                                    steps=200, repeats=2, log=lambda _: None, rate=rate)
    assert timing["gflops_all"] == [200.0, 100.0]  # mean of the samples before and after
    assert calls == [("fast", 100), ("plain", 1),
                     ("rate", None), ("fast", 200), ("rate", None), ("plain", 200),
                     ("rate", None), ("fast", 200), ("rate", None), ("plain", 200)]
    assert timing["fast_ms_all"] == pytest.approx([1.0, 1.0])
    assert "gflops_all" not in compare_training_paths(
        _CountingPath("fast", []), _CountingPath("plain", []), steps=100, repeats=1,
        log=lambda _: None)


@pytest.fixture
def tiny_dataset():
    rng = np.random.default_rng(0)
    names = tuple(f"class{i}" for i in range(10))
    return types.SimpleNamespace(
        train_images=rng.integers(0, 256, size=(200, 28, 28), dtype=np.uint8),
        train_labels=rng.integers(0, 10, size=200).astype(np.uint8), class_names=names)


def _encoding(dataset):
    from pse_tf.labels import LabelEncoding

    return LabelEncoding.build(dataset.class_names, "onehot")


def test_plain_path_feeds_fit_the_images_scaled_to_0_1(tiny_dataset):
    plain = PlainPath(benchmark_config("vae"), _encoding(tiny_dataset), tiny_dataset)
    images, labels = next(iter(plain.data))
    assert images.dtype.name == "float32" and images.shape == (100, 784)
    assert labels.dtype.name == "int32"
    flat = tiny_dataset.train_images.reshape(200, -1)
    # Each row is exactly one of the training images / 255 (shuffled: looked up among them).
    for row in images.numpy()[:5]:
        matches = np.flatnonzero(np.all(np.isclose(flat / 255.0, row, atol=0), axis=1))
        assert len(matches) == 1


def test_fast_path_refuses_a_step_count_that_would_compile_again(tiny_dataset):
    fast = FastPath(benchmark_config("vae"), _encoding(tiny_dataset), tiny_dataset)
    with pytest.raises(ValueError, match="multiple of steps_per_execution = 100"):
        fast.run(150)


@pytest.mark.slow
def test_fast_and_plain_paths_train_the_same_algorithm():
    """Same model, seed and budget through our in-graph XLA loop and an untuned `fit`: the test
    metrics agree within seed noise (they differ only in batch order and random draws)."""
    from experiments.benchmark.paths import compare_path_metrics
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.data import load_dataset

    dataset = load_dataset("mnist")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=1000, seed=0,
                         model=ModelConfig(name="pse_star"))
    same = compare_path_metrics(config, _encoding(dataset), dataset, steps=1000)
    print("fast vs plain:", same)
    fast, plain = same["fast"], same["plain"]
    # Both learnt (chance is 0.1), and they agree.
    assert fast["annotation_accuracy"] > 0.8 and plain["annotation_accuracy"] > 0.8, same
    assert abs(same["difference"]["reconstruction_error"]) < 0.03 * plain["reconstruction_error"]
    assert abs(same["difference"]["annotation_accuracy"]) < 0.03, same
