"""The comparison's arithmetic: summaries per architecture and differences paired by seed."""

import pytest

from experiments.architectures.compare import compare, markdown


def _run(arch, seed, reconstruction, annotation=0.8, generation=0.7):
    return {"dataset": "fashion_mnist", "label_encoding": "onehot", "architecture": arch,
            "seed": seed, "parameters": 10 if arch == "mlp" else 20, "ms_per_step": 5.0,
            "reconstruction_error": reconstruction, "annotation_accuracy": annotation,
            "generation_accuracy": generation}


def test_differences_pair_runs_of_the_same_seed_only():
    runs = [_run("mlp", 0, 230.0), _run("mlp", 1, 232.0), _run("conv", 0, 220.0),
            _run("conv", 2, 100.0)]  # seed 2 has no mlp partner: not paired
    (row,) = compare(runs)
    assert row["paired_seeds"] == [0]
    assert row["paired"]["reconstruction_error"] == {"mean": -10.0, "sd": None, "n": 1}
    assert row["architectures"]["mlp"]["reconstruction_error"]["mean"] == 231.0
    assert row["architectures"]["mlp"]["reconstruction_error"]["sd"] == pytest.approx(2 ** 0.5)
    assert row["architectures"]["conv"]["parameters"] == 20
    assert "| paired | | | -10.00 (n=1) |" in markdown([row])


def test_runs_read_from_their_config_and_metrics_alone_a_copy_counted_once(tmp_path, capsys):
    """A folder of finished configs and metrics (no weights) is read; a copy of the same run in
    a second --runs folder counts once, and two different runs of one setting are refused."""
    import json
    import shutil
    from pathlib import Path

    from experiments.architectures.compare import main, read_runs

    finished = Path(__file__).parents[3] / "results" / "architectures" / "finished"
    run = finished / "fashion_mnist-pse_star-onehot-z10-conv-seed0"
    for copy in ("a", "b"):
        shutil.copytree(run, tmp_path / copy / run.name)
    (only,) = read_runs(tmp_path / "a")
    assert (only["architecture"], only["seed"], only["parameters"]) == ("conv", 0, 531_515)
    folders = ["--runs", str(tmp_path / "a"), "--runs", str(tmp_path / "b")]
    assert main([*folders, "--results", str(tmp_path / "out")]) == 0
    (row,) = json.loads((tmp_path / "out" / "comparison.json").read_text())["rows"]
    assert row["architectures"]["conv"]["reconstruction_error"]["n"] == 1

    metrics = tmp_path / "b" / run.name / "metrics.json"
    metrics.write_text(json.dumps({**json.loads(metrics.read_text()),
                                   "reconstruction_error": 1.0}))
    with pytest.raises(SystemExit) as e:
        main([*folders, "--results", str(tmp_path / "out2")])
    assert e.value.code == 2 and "two different runs" in capsys.readouterr().err
    assert not (tmp_path / "out2").exists()
