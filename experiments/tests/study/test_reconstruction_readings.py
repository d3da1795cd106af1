"""experiments/study/reconstruction_readings.py: every split and scale of a real (random-weight)
run, the literal and mean-z readings equal to the tables' metric, the rendered table, the
summary by table row, and a rerun that reads nothing twice."""

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
    at_mean = reconstruction_error(model, dataset.test_images, dataset.test_labels, z="mean")
    assert row[rr.MEAN] == pytest.approx(at_mean, rel=1e-5) and at_mean != literal
    assert set(row) == {"run", "steps", *rr.KEYS}
    # Darker targets are a different reading: the error must change with the scale.
    assert row["test /256"] != pytest.approx(row["test /255"], rel=1e-6)
    assert all(np.isfinite(v) for k, v in row.items() if "/" in k)


def test_render_puts_each_reading_in_its_column():
    keys = rr.KEYS
    row = {"run": "r", "steps": 160000, **{k: 200.0 + i for i, k in enumerate(keys)}}
    old = {"run": "o", "steps": 5, **{k: 1.0 for k in keys if k != rr.MEAN}}
    text = rr.render([row, old])
    header = next(line for line in text.splitlines() if line.startswith("| run"))
    assert header.split(" | ")[2:] == [*keys[:-1], keys[-1] + " |"]
    assert "| r | 160,000 | 200.0 | 201.0 | 202.0 | 203.0 | 204.0 | 205.0 | 206.0 |" in text
    assert "| o | 5 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | — |" in text  # read before `test mean`


def test_table_rows_pool_seeds_against_the_paper():
    known = rr.table_rows()
    assert known["fashion_mnist-cvae-onehot-z10-seed2"] == [(2, "CVAE", 219.7)]
    assert known["mnist-pse_star-onehot-z20-seed0"] == [(1, "PSE* (20D)", 75.0)]
    assert known["mnist-jmvae-onehot-z10-seed1-alpha1"][0][1] == "JMVAE (α = 1)"
    # Tables 2 and 3 share the one-hot PSE* runs of seeds 0-2; seeds 3-4 are Table 3's alone.
    assert known["fashion_mnist-pse_star-onehot-z10-seed0"] == [(2, "PSE* (10D)", 219.6),
                                                                (3, "one-hot (PSE*)", 219.6)]
    assert known["fashion_mnist-pse_star-onehot-z10-seed4"] == [(3, "one-hot (PSE*)", 219.6)]

    def row(name, literal, mean_z):
        return {"run": name, "steps": 160000, "test /255": literal, rr.MEAN: mean_z}

    rows = [row("fashion_mnist-cvae-onehot-z10-seed0", 223.0, 219.0),
            row("fashion_mnist-cvae-onehot-z10-seed1", 224.0, 220.0),
            row("mnist-pse_star-onehot-z20-seed0", 76.0, 71.0),
            row("not-a-table-run", 1.0, 1.0)]
    summary = rr.by_table_row(rows, known)
    assert [(s["table"], s["row"], s["seeds"]) for s in summary] == [(1, "PSE* (20D)", 1),
                                                                      (2, "CVAE", 2)]
    assert summary[1]["literal"] == pytest.approx(223.5)
    assert summary[1]["mean_z"] == pytest.approx(219.5)
    text = rr.render(rows, summary=summary)
    assert "| 2 | CVAE | 2 | 219.7 | 223.5 | +3.8 | 219.5 | -0.2 |" in text


def test_a_rerun_reads_nothing_twice(tmp_path, capsys, monkeypatch):
    run_dir, _ = write_random_run(tmp_path, export=False)
    out = tmp_path / "results"
    monkeypatch.setattr(rr, "data_statistics", lambda name: {"dataset": name, "images": 1,
                        "pixel_mean": 0.0, "pixel_std": 0.0, "published_mean": None,
                        "published_std": None, "test_entropy_floor": 0.0})
    assert rr.main([str(run_dir), str(tmp_path / "nothing"), "--results", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"{run_dir.name}: read" in captured.out and "skipping" in captured.err
    assert rr.main([str(run_dir), "--results", str(out)]) == 0
    assert ": read" not in capsys.readouterr().out
    import json
    state = json.loads((out / "reconstruction_readings.json").read_text())
    assert len(state["rows"]) == 1 and len(state["data"]) == 1


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
