"""experiments/study/reconstruction_readings.py: every split and scale of a real (random-weight)
run, the literal reading equal to the tables' metric, and the rendered table."""

import numpy as np
import pytest

from experiments.study import reconstruction_readings as rr
from tests.helpers.random_run import write_random_run


def test_readings_of_a_run_match_the_metric_and_move_with_the_scale(tmp_path):
    from pse_tf.evaluation.metrics import reconstruction_error
    from pse_tf.runs import load_data, load_run

    run_dir, _ = write_random_run(tmp_path, export=False)
    row = rr.readings(run_dir)
    model, config, _ = load_run(run_dir)
    dataset, _ = load_data(config)
    literal = reconstruction_error(model, dataset.test_images, dataset.test_labels, seed=config.seed)
    assert row["test /255"] == pytest.approx(literal, rel=1e-5)
    assert set(row) == {"run", "steps"} | {f"{s} /{c:g}" for s in rr.SPLITS for c in rr.SCALES}
    # Darker targets are a different reading: the error must change with the scale.
    assert row["test /256"] != pytest.approx(row["test /255"], rel=1e-6)
    assert all(np.isfinite(v) for k, v in row.items() if "/" in k)


def test_render_puts_each_reading_in_its_column():
    keys = [f"{s} /{c:g}" for s in rr.SPLITS for c in rr.SCALES]
    row = {"run": "r", "steps": 160000, **{k: 200.0 + i for i, k in enumerate(keys)}}
    text = rr.render([row])
    header = next(line for line in text.splitlines() if line.startswith("| run"))
    assert header.split(" | ")[2:] == [*keys[:-1], keys[-1] + " |"]
    assert "| r | 160,000 | 200.0 | 201.0 | 202.0 | 203.0 | 204.0 | 205.0 |" in text


def test_entropy_floor_is_zero_for_black_and_white_and_log2_per_mid_grey_pixel():
    images = np.array([[0.0, 1.0, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0]])
    assert rr.entropy_floor(images) == pytest.approx(np.log(2.0))  # (2 log 2 + 0) / 2


def test_fashion_images_have_the_published_pixel_statistics():
    stats = rr.data_statistics("fashion_mnist")
    assert stats["images"] == 60000
    assert stats["pixel_mean"] == pytest.approx(stats["published_mean"], abs=5e-4)
    assert stats["pixel_std"] == pytest.approx(stats["published_std"], abs=5e-4)
    # Grey targets cost something even to a perfect model, and less than the tables' ~223 nats.
    assert 100.0 < stats["test_entropy_floor"] < 222.0
    text = rr.render([], [stats])
    assert (f"| fashion_mnist | 60,000 | {stats['pixel_mean']:.4f} (0.2860) | "
            f"{stats['pixel_std']:.4f} (0.3530) | {stats['test_entropy_floor']:.1f} |") in text
