"""The report: markdown tables and JSON from a result, partial reports, the method stated once."""

import json

from experiments.benchmark.report import write_report


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
                      "fast_x_matmul_shapes": 1.5,
                      "profile": {"wall_ms": 0.1, "unmatched_ms": 0.0,
                                  "thunk_ms": {"matmul": 0.07, "Adam update": 0.02}}}],
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
    assert json.loads(js.read_text()) == result
    text = md.read_text()
    for heading in ("## Method", "## Machine", "## Training step", "### Against each matmul's",
                    "### Where our step's time goes", "## Evaluation", "## Exported annotator",
                    "## Same algorithm"):
        assert heading in text
    assert "| pse | joint | 3.0 | 100 | 0.03 | 0.09 | 3.00 | 2.90–3.10 | 0.90 | 30.0 | 10.0× |" in text
    assert "| pse | 19 | 2.0 | 0.06 | 33 | 0.09 | 1.50 |" in text
    assert "| pse | 0.10 | 0.07 | 0.02 | 0.00 | 0.00 | 0.00 | 0.00 |" in text
    assert "| fashion_mnist | pse_star (untrained) | trained | 200.0 |" in text
    assert "20.5 (10 repeats, extrapolated)" in text
    assert "Test CPU" in text and "102,400" in text and "Quick run" in text
    assert "| pse_star | 1000 | 104.90 | 106.00 | 85.35 | 84.46 |" in text


def test_the_method_states_the_settings_once_before_the_results(tmp_path):
    result = _fake_result()
    result["settings"].update(batch_size=50, repeats=7, steps_per_timing=300,
                              steps_per_execution=25)
    result["matmul"]["size"] = 1024
    text = write_report(result, tmp_path)[0].read_text()
    method, results = text.split("## Machine")
    assert text.count("## Method") == 1 and "## Method" in method
    bullets = [line for line in method.splitlines() if line.startswith("- **")]
    assert [b.split("**")[1] for b in bullets] == [
        "FLOP/step", "Floor", "Training paths", "Against each matmul's own speed",
        "Where our step's time goes", "Evaluation", "Exported annotator", "Same algorithm"]
    flops, floor, paths, own_speed = bullets[:4]
    # The numbers of the method are the settings', not fixed text.
    assert "a batch of 50" in flops and "one 1024³ matmul" in floor
    assert "25 `train_step`s per" in paths and "Median of 7 interleaved timings" in paths
    assert "of 300 steps each" in paths and "K = 50" in own_speed
    # After the method, a section is only its heading and its table.
    prose = [line for line in results.splitlines()[1:]
             if line and not line.startswith(("#", "|"))]
    assert prose == []


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


def test_write_report_leaves_out_sections_without_rows(tmp_path):
    result = {**_fake_result(), "evaluation": [], "export": [], "same_algorithm": []}
    md, _ = write_report(result, tmp_path)
    text = md.read_text()
    assert "## Training step" in text
    for heading in ("## Evaluation", "## Exported annotator", "## Same algorithm"):
        assert heading not in text


def _strategies_section():
    return {"devices": "2 logical CPU devices", "steps_per_timing": 200, "repeats": 3,
            "machine": {"cpu": "Test CPU", "cores": 2, "load_average": [1.5, 1.0, 1.0],
                        "date": "2026-01-01T00:00:00+00:00"},
            "rows": [{"model": "pse_star", "strategy": "none", "devices": 1, "xla": "loop",
                      "ms": 6.0, "ms_all": [5.9, 6.0, 6.5], "x_none": 1.0},
                     {"model": "pse_star", "strategy": "mirrored", "devices": 2,
                      "xla": "replica", "ms": 12.0, "ms_all": [11.0, 12.0, 13.0],
                      "x_none": 2.0}]}


def test_the_strategies_section_goes_into_the_report_and_outlives_a_full_rewrite(tmp_path):
    from experiments.benchmark.report import read_section, write_section

    result = _fake_result()
    write_report(result, tmp_path)
    md, js = write_section(tmp_path, "strategies", _strategies_section())
    assert json.loads(js.read_text()) == {**result, "strategies": _strategies_section()}
    text = md.read_text()
    method, results = text.split("## Machine")
    assert "**Strategies** (measured on their own" in method and text.count("**Strategies**") == 1
    assert "| pse_star | mirrored | 2 | replica | 12.00 | 11.00–13.00 | 2.00 |" in results
    assert "## Training step" in results and "## Same algorithm" in results
    assert read_section(tmp_path, "strategies") == _strategies_section()
    assert read_section(tmp_path / "none", "strategies") is None


def test_the_strategies_section_alone_is_a_report_of_its_own(tmp_path):
    from experiments.benchmark.report import write_section

    md, js = write_section(tmp_path, "strategies", _strategies_section())
    text = md.read_text()
    assert text.startswith("# pse_tf benchmark") and "## Method" in text
    assert "| pse_star | none | 1 | loop | 6.00 | 5.90–6.50 | 1.00 |" in text
    assert "## Training step" not in text
    assert json.loads(js.read_text()) == {"strategies": _strategies_section()}
