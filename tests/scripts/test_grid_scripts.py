"""scripts/sweep.py and scripts/reproduce.py refuse bad input with one line naming it and exit
code 2, before anything trains or any folder is written: an unknown model, option or field in a
grid, an option value the model refuses, an address where no Ray cluster answers."""

import pytest

from tests.helpers.scripts import script


@pytest.mark.parametrize("argv, message", [
    (["--grid", "model=nope"], "unknown model 'nope'"),
    (["--model", "jmvae", "--grid", "beta=1,2"], "unknown option(s) ['beta']"),
    (["--grid", "model.nope=1"], "unknown key 'model.nope'"),
    (["--model", "jmvae", "--grid", "alpha=0.1,-1"], "option 'alpha' must be >= 0.0, got -1.0"),
    (["--model", "jmvae", "--grid", "alpha=big"], "option 'alpha' must be float, got 'big'"),
    (["--grid", "alpha"], "--grid takes KEY=V1,V2,..., got 'alpha'"),
    (["--grid", "latent_dim=0"], "latent_dim must be >= 1, got 0"),
    (["--model", "jmvae", "--address", "127.0.0.1:1"], "no Ray cluster at '127.0.0.1:1'"),
])
def test_sweep_refuses_bad_input_in_one_line_before_training(argv, message, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    out = tmp_path / "runs"
    code = script("sweep")([*argv, "--steps", "100", "--out", str(out),
                            "--results", str(tmp_path / "results")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: ") and "\n" not in err and message in err, err
    assert not out.exists() and not (tmp_path / "results").exists()


def test_reproduce_refuses_an_unreachable_address_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    code = script("reproduce")(["--table", "1", "--rows", "pse", "--seeds", "1", "--steps", "100",
                                "--out", str(tmp_path / "out"), "--readme", "",
                                "--address", "127.0.0.1:1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err.startswith("error: no Ray cluster at '127.0.0.1:1'")
    assert not (tmp_path / "out").exists()
