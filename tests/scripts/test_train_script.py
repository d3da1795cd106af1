"""scripts/train.py's command line: flags become a TrainConfig, bad input a clear error."""

import importlib.util
from pathlib import Path

import pytest

from pse_tf.config import ConfigError
from pse_tf.training import default_run_name

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flags_override_the_main_job(script):
    _, config = script.parse_args(["--dataset", "mnist", "--model", "jmvae", "--steps", "500",
                                   "--option", "alpha=1", "--option", "tag=x"])
    assert (config.dataset, config.model.name, config.steps) == ("mnist", "jmvae", 500)
    assert config.model.options == {"alpha": 1, "tag": "x"}
    assert default_run_name(config) == "mnist-jmvae-word2vec-z10-seed0-alpha1-tagx"


def test_default_run_name_has_no_option_suffix(script):
    _, config = script.parse_args([])
    assert default_run_name(config) == "fashion_mnist-pse_star-word2vec-z10-seed0"


def test_malformed_option_is_a_config_error(script):
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        script.parse_args(["--option", "alpha"])


def test_unknown_option_exits_with_a_message(script, capsys, tmp_path):
    code = script.main(["--dataset", "mnist", "--model", "jmvae", "--option", "beta=2",
                        "--out", str(tmp_path), "--steps", "100"])
    assert code != 0
    assert "unknown option" in capsys.readouterr().err
