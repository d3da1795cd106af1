"""experiments/study/annotation_readings.py: both readings of a real (random-weight) PSE* run with
word-vector labels, each equal to what it names; a rerun skips the run; a folder that is not a
run is skipped with a message."""

import json

import numpy as np
import pytest

from experiments.study import annotation_readings as ar
from tests.helpers.random_run import write_random_run


def test_both_readings_of_a_run_are_what_they_name(tmp_path, capsys):
    from pse_tf.data import flat_float
    from pse_tf.evaluation import metrics
    from pse_tf.runs import load_data, load_run

    run_dir, _ = write_random_run(tmp_path, export=False)
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    args = [str(run_dir), str(not_a_run), "--results", str(tmp_path / "results")]
    assert ar.main(args) == 0
    assert "skipping" in capsys.readouterr().err
    (row,) = json.loads((tmp_path / "results" / "annotation_readings.json").read_text())["rows"]

    model, config, _ = load_run(run_dir)
    dataset, _ = load_data(config)
    images, labels = dataset.test_images, np.asarray(dataset.test_labels)
    assert row["q_z_l"] == pytest.approx(metrics.annotation_accuracy(model, images, labels))
    # Word-vector p(l|z) is N(l | l_hat, I): its densest label is the one nearest l_hat.
    l_hat = np.asarray(model.predict_label(model.encode(flat_float(images)).mean()))
    vectors = np.asarray(model.label_vectors)
    nearest = np.argmin(((l_hat[:, None, :] - vectors[None]) ** 2).sum(-1), axis=1)
    assert row["p_l_z"] == pytest.approx(np.mean(nearest == labels))
    for c in range(10):
        assert row["p_l_z_per_class"][c] == pytest.approx(np.mean(nearest[labels == c] == c))
    assert row["model"] == "pse_star" and row["steps"] == 1

    # A rerun reads nothing again, unless the run was trained on since; the table shows both
    # readings and their difference.
    assert ar.main(args[:1] + args[2:]) == 0
    assert "q(z|l)" not in capsys.readouterr().out
    path = tmp_path / "results" / "annotation_readings.json"
    path.write_text(json.dumps({"rows": [{**row, "steps": 0}]}))
    assert ar.main(args[:1] + args[2:]) == 0
    assert [r["steps"] for r in json.loads(path.read_text())["rows"]] == [0, 1]
    text = (tmp_path / "results" / "annotation_readings.md").read_text()
    assert (f"| run | defaults | 1 | {100 * row['q_z_l']:.2f} | {100 * row['p_l_z']:.2f} | "
            f"{100 * (row['p_l_z'] - row['q_z_l']):+.2f} |") in text
