"""The benchmark's FLOP count (against hand counts from layer shapes) and its report files."""

import json

import pytest
import tensorflow as tf

from conftest import make_model
from pse_tf.benchmark import (compare_training_paths, count_step_flops, floor_ratios,
                               matmul_flops, matmul_time_floor, run_benchmark, step_matmuls,
                               write_report)

BATCH = 100


def _pse_macs_per_example(latent=4, hidden=(16, 8), classes=3, pixels=784):
    h1, h2 = hidden
    image_encoder = pixels * h1 + h1 * h2 + h2 * (2 * latent)
    label_encoder = classes * (2 * latent)  # one dense layer on the one-hot label
    decoder = latent * h2 + h2 * h1 + h1 * pixels
    return image_encoder + label_encoder + decoder


def test_pse_step_flops_equal_the_hand_count_from_layer_shapes():
    macs = _pse_macs_per_example()
    assert macs == 784 * 16 + 16 * 8 + 8 * 8 + 3 * 8 + 4 * 8 + 8 * 16 + 16 * 784
    assert count_step_flops(make_model("pse"), BATCH) == 3 * 2 * BATCH * macs


def test_pse_star_adds_its_classifier_on_the_reconstruction():
    classifier = 784 * 16 + 16 * 8 + 8 * 3  # MLP 784-16-8 -> 3 labels
    expected = 3 * 2 * BATCH * (_pse_macs_per_example() + classifier)
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
        2 * BATCH * (3 * _pse_macs_per_example() - unneeded))
    assert sum(e["count"] for e in shapes) == 7 + 2 * 7 - 2  # 7 dense layers
    weight_gradient = [e for e in shapes if e["a"] == [BATCH, 784] and e["b"] == [BATCH, 16]]
    assert len(weight_gradient) == 1 and weight_gradient[0]["transpose_a"]


def test_matmul_time_floor_sums_each_matmul_at_its_own_time():
    model = make_model("pse_star")
    shapes = step_matmuls(model, BATCH)
    # A filled cache: nothing is timed, so the sum is exact.
    cache = {(tuple(e["a"]), tuple(e["b"]), e["transpose_a"], e["transpose_b"]): 1e-4 * (i + 1)
             for i, e in enumerate(shapes)}
    floor = matmul_time_floor(model, BATCH, cache)
    expected_ms = sum(e["count"] * 0.1 * (i + 1) for i, e in enumerate(shapes))
    assert floor["ms"] == pytest.approx(expected_ms)
    assert floor["matmuls"] == sum(e["count"] for e in shapes)
    assert floor["gflops"] == pytest.approx(floor["flops"] / expected_ms / 1e6)


def test_matmul_flops_reads_transposes_and_broadcast_batches():
    def fn(a, b, x, y):
        return tf.matmul(a, b, transpose_a=True), tf.matmul(x, y)

    graph = tf.function(fn).get_concrete_function(
        tf.TensorSpec([5, 3]), tf.TensorSpec([5, 4]),  # [3, 5] @ [5, 4]: k = 5
        tf.TensorSpec([2, 1, 3, 5]), tf.TensorSpec([4, 5, 6])).graph  # -> [2, 4, 3, 6], k = 5
    assert matmul_flops(graph) == 2 * 3 * 4 * 5 + 2 * (2 * 4 * 3 * 6) * 5


def test_matmul_flops_refuses_unknown_shapes():
    graph = tf.function(tf.matmul).get_concrete_function(
        tf.TensorSpec([None, 3]), tf.TensorSpec([3, 2])).graph
    with pytest.raises(ValueError, match="unknown dimension"):
        matmul_flops(graph)


def test_bad_arguments_are_refused_before_any_work():
    with pytest.raises(ValueError, match="nope"):
        run_benchmark(models=["nope"], out=None)
    with pytest.raises(ValueError, match="multiple of steps_per_execution"):
        run_benchmark(models=["pse"], steps=150, out=None)
    with pytest.raises(ValueError, match="cifar"):
        run_benchmark(models=["pse"], eval_datasets=["cifar"], out=None)


def _fake_result():
    return {
        "settings": {"dataset": "mnist", "label_encoding": "onehot", "latent_dim": 10,
                     "batch_size": 100, "steps_per_execution": 100, "steps_per_timing": 100,
                     "repeats": 2, "quick": True, "flop_formula": "3 x forward"},
        "machine": {"cpu": "Test CPU", "cores": 2, "load_average": [0.5, 0.4, 0.3],
                    "load_average_end": [0.6, 0.4, 0.3], "tensorflow": "2.21.0",
                    "keras": "3.15.1", "python": "3.11", "gpus": 0,
                    "date": "2026-01-01T00:00:00+00:00", "xla_fast_path": True,
                    "xla_plain_path": False},
        "matmul": {"size": 2048, "gflops": 100.0, "times_ms": [171.8, 171.9, 172.0]},
        "training": [{"model": "pse", "stage": "joint", "forward_flops": 1_000_000,
                      "step_flops": 3_000_000, "floor_ms": 0.03, "fast_ms": 0.09,
                      "plain_ms": 0.9, "fast_ms_all": [0.09, 0.1], "plain_ms_all": [0.9, 1.0],
                      "speedup": 10.0, "fast_x_floor": 3.0, "plain_x_floor": 30.0,
                      "gflops_all": [100.0, 100.0], "fast_x_floor_all": [2.9, 3.1],
                      "plain_x_floor_all": [29.0, 31.0],
                      "matmul_shapes": {"flops": 2_000_000, "matmuls": 19, "ms": 0.06,
                                        "gflops": 33.3, "shapes": []},
                      "fast_x_matmul_shapes": 1.5}],
        "evaluation": [{"model": "pse_star", "dataset": "fashion_mnist",
                        "model_weights": "untrained", "evaluator_weights": "trained",
                        "generation": {"images_per_repeat": 100000, "compile_s": 0.5,
                                       "repeat_s": 2.0, "protocol_s": 20.5,
                                       "protocol_repeats": 10, "protocol_measured": False,
                                       "images_per_s": 50000.0, "repeat_flops": 2e11,
                                       "repeat_floor_s": 2.0, "repeat_x_floor": 1.0},
                        "annotation": {"images": 10000, "seconds": 0.4,
                                       "seconds_all": [0.4]}}],
        "export": [{"model": "pse_star", "runtime": "saved_model", "batch": 1,
                    "ms_per_call": 0.5, "images_per_s": 2000.0},
                   {"model": "pse_star", "runtime": "tflite (ai_edge_litert, 2 threads)",
                    "batch": 1024, "ms_per_call": 10.0, "images_per_s": 102400.0}],
        "same_algorithm": [{"model": "pse_star", "steps": 1000,
                            "fast": {"reconstruction_error": 104.9, "annotation_accuracy": 0.8535},
                            "plain": {"reconstruction_error": 106.0, "annotation_accuracy": 0.8446},
                            "difference": {"reconstruction_error": -1.1,
                                           "annotation_accuracy": 0.0089}}],
    }


def test_write_report_writes_markdown_and_json(tmp_path):
    result = _fake_result()
    md, js = write_report(result, tmp_path / "out")
    assert md == tmp_path / "out" / "benchmark.md" and js == tmp_path / "out" / "benchmark.json"
    saved = json.loads(js.read_text())
    assert saved == result
    assert set(saved["training"][0]) >= {"model", "step_flops", "floor_ms", "fast_ms",
                                         "fast_x_floor", "plain_ms", "speedup"}
    text = md.read_text()
    for heading in ("## Machine", "## Training step", "## Evaluation", "## Exported annotator"):
        assert heading in text
    assert "| pse | joint | 3.0 | 100 | 0.03 | 0.09 | 3.00 | 2.90–3.10 | 0.90 | 30.0 | 10.0× |" in text
    assert "| pse | 19 | 2.0 | 0.06 | 33 | 0.09 | 1.50 |" in text
    assert "| fashion_mnist | pse_star (untrained) | trained | 200.0 |" in text
    assert "Test CPU" in text and "102,400" in text and "Quick run" in text
    assert "| pse_star | 1000 | 104.90 | 106.00 | 85.35 | 84.46 |" in text


def test_a_partial_report_keeps_the_last_complete_one_until_the_run_ends(tmp_path):
    result = _fake_result()
    complete = write_report(result, tmp_path)
    before = complete[0].read_text()
    so_far = {**result, "evaluation": [], "export": [], "same_algorithm": []}
    md, js = write_report(so_far, tmp_path, partial=True)
    assert (md.name, js.name) == ("benchmark.partial.md", "benchmark.partial.json")
    assert "**Partial:**" in md.read_text() and "## Evaluation" not in md.read_text()
    assert json.loads(js.read_text()) == so_far
    assert complete[0].read_text() == before  # the last complete report is untouched
    write_report(result, tmp_path)
    assert not md.exists() and not js.exists()
    assert "**Partial:**" not in complete[0].read_text()


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
        self.config = type("Config", (), {"steps_per_execution": spe})()

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


def test_write_report_leaves_out_sections_without_rows(tmp_path):
    result = {**_fake_result(), "evaluation": [], "export": [], "same_algorithm": []}
    md, _ = write_report(result, tmp_path)
    text = md.read_text()
    assert "## Training step" in text
    for heading in ("## Evaluation", "## Exported annotator", "## Same algorithm"):
        assert heading not in text


@pytest.mark.slow
def test_fast_and_plain_paths_train_the_same_algorithm():
    """Same model, seed and budget through our in-graph XLA loop and an untuned `fit`: the test
    metrics agree within seed noise (they differ only in batch order and random draws)."""
    from pse_tf.benchmark import compare_path_metrics
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding

    dataset = load_dataset("mnist")
    encoding = LabelEncoding.build(dataset.class_names, "onehot")
    config = TrainConfig(dataset="mnist", label_encoding="onehot", steps=1000, seed=0,
                         model=ModelConfig(name="pse_star"))
    same = compare_path_metrics(config, encoding, dataset, steps=1000)
    print("fast vs plain:", same)
    fast, plain = same["fast"], same["plain"]
    # Both learnt (chance is 0.1), and they agree.
    assert fast["annotation_accuracy"] > 0.8 and plain["annotation_accuracy"] > 0.8, same
    assert abs(same["difference"]["reconstruction_error"]) < 0.03 * plain["reconstruction_error"]
    assert abs(same["difference"]["annotation_accuracy"]) < 0.03, same
