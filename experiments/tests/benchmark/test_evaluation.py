"""Evaluation timing: the protocol's FLOPs by hand, and its compile / per-repeat split."""

import types

import keras
import pytest

import experiments.benchmark.evaluation as evaluation
from tests.conftest import make_model
from experiments.benchmark.evaluation import generation_flops, time_generation_protocol


def test_generation_flops_are_label_encoder_decoder_and_evaluator():
    model = make_model("pse")  # latent 4, hidden (16, 8), 3 one-hot labels
    evaluator = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(3)])
    macs = 3 * 8 + (4 * 8 + 8 * 16 + 16 * 784) + 784 * 3
    assert generation_flops(model, evaluator, batch_size=50) == 2 * 50 * macs


# A fake protocol: 2 s of compilation per call, then 0.5 s per batch of 10,000 images.
COMPILE_S, BATCH_S = 2.0, 0.5


@pytest.fixture
def fake_protocol(monkeypatch):
    calls = []

    def generation_accuracy(model, evaluator, samples_per_label, repeats, seed, batch_size):
        calls.append((samples_per_label, repeats))

    def wall_seconds(call, calls_, warmup=0):
        call()
        samples, repeats = calls[-1]
        batches = -(-samples * 10 // 10000) * repeats
        return [COMPILE_S + BATCH_S * batches]

    monkeypatch.setattr("pse_tf.evaluation.metrics.generation_accuracy", generation_accuracy)
    monkeypatch.setattr(evaluation, "wall_seconds", wall_seconds)
    return calls


def test_the_protocol_is_split_into_compilation_and_time_per_repeat(fake_protocol):
    model = types.SimpleNamespace(num_classes=10)
    timing = time_generation_protocol(model, None, repeats=10)
    assert fake_protocol == [(1000, 1), (10000, 1), (10000, 10)]  # a batch, a repeat, all
    assert timing["images_per_repeat"] == 100_000
    assert timing["compile_s"] == pytest.approx(COMPILE_S)
    assert timing["repeat_s"] == pytest.approx(10 * BATCH_S)
    assert timing["images_per_s"] == pytest.approx(100_000 / (10 * BATCH_S))
    assert timing["protocol_s"] == pytest.approx(COMPILE_S + 100 * BATCH_S)
    assert timing["protocol_measured"] and timing["protocol_repeats"] == 10


def test_one_repeat_extrapolates_the_papers_ten(fake_protocol):
    timing = time_generation_protocol(types.SimpleNamespace(num_classes=10), None, repeats=1)
    assert len(fake_protocol) == 2
    assert not timing["protocol_measured"] and timing["protocol_repeats"] == 10
    assert timing["protocol_s"] == pytest.approx(COMPILE_S + 10 * 10 * BATCH_S)
