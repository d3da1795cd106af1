"""scripts/train.py's command line: flags become a TrainConfig, bad input a clear error."""

import importlib.util
from pathlib import Path

import pytest

from pse_tf.config import ConfigError
from pse_tf.run_folder import run_name

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flags_override_the_main_job(script):
    _, config = script.parse_args(["--dataset", "mnist", "--model", "jmvae", "--steps", "500",
                                   "--option", "alpha=1", "--option", "alpha=0.5"])
    assert (config.dataset, config.model.name, config.steps) == ("mnist", "jmvae", 500)
    assert config.model.options == {"alpha": 0.5}  # the last one wins
    assert run_name(config) == "mnist-jmvae-word2vec-z10-seed0-alpha0.5"


def test_default_run_name_has_no_option_suffix(script):
    _, config = script.parse_args([])
    assert run_name(config) == "fashion_mnist-pse_star-word2vec-z10-seed0"


def test_malformed_option_is_a_config_error(script):
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        script.parse_args(["--option", "alpha"])


@pytest.mark.parametrize("model,option,allowed", [
    ("pse", "alpha=1", "kl_samples, label_components, label_covariance, label_weight_decay"),
                                                  ("jmvae", "beta=2", "alpha"),
                                                  ("scan", "beta=high", None)])
def test_bad_option_exits_with_a_one_line_message(script, capsys, tmp_path, model, option,
                                                  allowed):
    code = script.main(["--dataset", "mnist", "--model", model, "--option", option,
                        "--out", str(tmp_path), "--steps", "100"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: model") and len(err.splitlines()) == 1
    assert option.split("=")[0] in err
    if allowed:
        assert f"allowed: {allowed}" in err
    assert not any(tmp_path.iterdir())  # nothing written


def test_strategy_and_mixed_precision_flags(script):
    _, config = script.parse_args(["--strategy", "multi_worker", "--batch-size", "200"])
    assert (config.strategy, config.batch_size, config.mixed_precision) == ("multi_worker", 200,
                                                                            False)
    assert script.parse_args([])[1].strategy == "none"


def test_unknown_strategy_in_a_config_file_exits_with_a_one_line_message(script, capsys,
                                                                         tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"strategy": "tpu"}')
    assert script.main(["--config", str(path), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: strategy must be one of") and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_mixed_precision_on_cpu_is_refused_with_one_line_and_nothing_written(script, capsys,
                                                                             tmp_path):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("checks the CPU refusal")
    assert script.main(["--mixed-precision", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: mixed_precision needs a GPU") and len(err.splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_label_neighbour_flags(script):
    _, config = script.parse_args(["--label-neighbours", "10", "--label-name-share", "0.5",
                                   "--option", "label_weight_decay=0.01"])
    assert (config.label_neighbours, config.label_name_share) == (10, 0.5)
    assert config.model.options == {"label_weight_decay": 0.01}
    with pytest.raises(ConfigError, match="word-vector labels"):
        script.parse_args(["--label-neighbours", "10", "--label-encoding", "onehot"])
