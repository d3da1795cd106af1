"""`run_benchmark`: bad arguments refused before any work; a small run end to end."""

import json
from pathlib import Path

import pytest

from experiments.benchmark.run import run_benchmark

COMMITTED = Path(__file__).resolve().parents[3] / "results" / "benchmark.json"


def test_bad_arguments_are_refused_before_any_work():
    with pytest.raises(ValueError, match="nope"):
        run_benchmark(models=["nope"], out=None)
    with pytest.raises(ValueError, match="multiple of steps_per_execution"):
        run_benchmark(models=["pse"], steps=150, out=None)
    with pytest.raises(ValueError, match="cifar"):
        run_benchmark(models=["pse"], eval_datasets=["cifar"], out=None)
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        run_benchmark(models=["pse"], repeats=0, out=None)
    with pytest.raises(ValueError, match="same_algorithm_steps"):
        run_benchmark(models=["pse"], same_algorithm_steps=50, out=None)


@pytest.mark.slow
def test_a_quick_run_writes_every_section_with_the_committed_reports_keys(tmp_path):
    lines = []
    result = run_benchmark(models=["vae"], out=tmp_path, quick=True, eval_models=["vae"],
                           eval_datasets=["mnist"], same_algorithm_steps=100, log=lines.append)
    committed = json.loads(COMMITTED.read_text())
    assert set(result) == set(committed)
    for section in ("settings", "machine", "matmul"):
        assert set(result[section]) == set(committed[section]), section
    for section in ("training", "evaluation", "export", "same_algorithm"):
        assert result[section], section
        assert set(result[section][0]) == set(committed[section][0]), section
    row = result["training"][0]
    assert row["step_flops"] == 3 * row["forward_flops"] > 0
    assert "thunk_ms" in row["profile"], row["profile"]  # the profile ran, not skipped
    assert [r["batch"] for r in result["export"]] == [1, 1, 1024, 1024]
    assert json.loads((tmp_path / "benchmark.json").read_text()) == result
    assert not (tmp_path / "benchmark.partial.json").exists()
    assert lines[-1].startswith("wrote ")
