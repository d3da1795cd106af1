"""The many-seeds benchmark report: one row per (model, path, S), per-seed ms/step."""

import json

from pse_tf.benchmark.multiseed import markdown, write_multiseed_report


def _result():
    machine = {"cpu": "test CPU", "cores": 2, "load_average": [1.0, 1.0, 1.0],
               "load_average_end": [2.0, 2.0, 2.0], "tensorflow": "2.21.0", "keras": "3.15.1",
               "gpus": 0, "date": "2026-11-29T00:00:00+00:00"}
    rows = [{"model": "pse", "path": "alone", "seeds": 1, "ms_per_seed": 4.0,
             "ms_all": [4.0, 5.0], "x_alone": 1.0},
            {"model": "pse", "path": "together", "seeds": 3, "ms_per_seed": 3.0,
             "ms_all": [3.0, 3.5], "x_alone": 0.75}]
    return {"settings": {"dataset": "mnist", "label_encoding": "onehot", "latent_dim": 10,
                         "batch_size": 100, "xla": True, "steps_per_timing": 200, "repeats": 2,
                         "steps_per_execution": 100}, "machine": machine, "rows": rows}


def test_report_states_the_machine_and_one_row_per_path(tmp_path):
    text = markdown(_result())
    assert "| pse | together | 3 | 3.00 | 3.00–3.50 | 0.75 |" in text
    assert "shared with other jobs" in text and "test CPU" in text
    md, js = write_multiseed_report(_result(), tmp_path)
    assert md.read_text() == text
    assert json.loads(js.read_text())["rows"][1]["seeds"] == 3
