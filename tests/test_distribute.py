"""Distribution strategies: the config and CLI boundary in this process; `mirrored` over two
logical CPU devices against `none` on one in a process of their own (tests/helpers/two_devices.py:
the split must precede TensorFlow's device set-up)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from conftest import make_model

from pse_tf import distribute
from pse_tf.models import base
from pse_tf.config import ConfigError, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
TWO_DEVICES = ROOT / "tests" / "helpers" / "two_devices.py"


def on_two_devices(*scenarios: str) -> dict:
    """Run scenarios of tests/helpers/two_devices.py in a fresh process; their results."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(TWO_DEVICES), *scenarios], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the boundary, in this process --------------------------------------------------------------
def test_strategy_is_a_config_field_that_round_trips_and_refuses_unknown_values():
    config = TrainConfig(strategy="mirrored", mixed_precision=True)
    assert TrainConfig.from_json(config.to_json()) == config
    assert TrainConfig().strategy == "none" and not TrainConfig().mixed_precision
    with pytest.raises(ConfigError, match="strategy must be one of.*'mirrored'.*got 'tpu'"):
        TrainConfig(strategy="tpu")
    with pytest.raises(ConfigError, match="strategy must be one of"):
        distribute.create_strategy("tpu")


def test_a_batch_that_does_not_split_over_the_replicas_is_refused():
    class FourReplicas:
        num_replicas_in_sync = 4

    distribute.check_batch_size(100, FourReplicas())
    with pytest.raises(ConfigError, match="batch_size 102 does not split over 4 replicas"):
        distribute.check_batch_size(102, FourReplicas())
    distribute.check_batch_size(101, None)


def test_without_a_strategy_seeds_and_the_loss_are_left_alone():
    seed = tf.constant([3, 4])
    np.testing.assert_array_equal(base.replica_seed(seed), seed)
    assert base.global_batch_loss(tf.constant(2.5)).numpy() == 2.5
    assert distribute.is_chief(None) and distribute.create_strategy("none") is None


def test_models_take_nothing_from_the_distribute_module():
    """A model scales its loss and folds its seeds with tf.distribute alone (`models.base`)."""
    code = "import sys, pse_tf.models; assert 'pse_tf.distribute' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_run_says_what_xla_compiles_under_a_strategy():
    class TwoReplicas:
        num_replicas_in_sync = 2

    line = distribute.RunContext(TwoReplicas()).describe(100, True)
    assert "2 replica(s), 50 rows each of the global batch 100" in line
    assert "each replica's forward and backward pass" in line and "cannot span devices" in line
    assert distribute.RunContext(TwoReplicas()).describe(100, False).endswith("XLA: off")
    assert distribute.RunContext().describe(100, True).endswith("XLA: the whole multi-step call")


def test_mixed_precision_computes_in_bfloat16_and_keeps_float32_weights_and_terms():
    with distribute.dtype_policy(True):
        model = make_model("pse_star")
    assert model.decoder.layers[0].compute_dtype == "bfloat16"
    assert all(w.dtype == "float32" for w in model.weights if w.dtype.startswith("float"))
    images = np.random.default_rng(0).uniform(size=(4, 784)).astype(np.float32)
    terms = model.compute_terms(images, np.zeros(4, np.int32), training=True)
    assert all(t.dtype == tf.float32 and np.isfinite(t.numpy()).all() for t in terms.values())


# -- mirrored on two logical CPU devices, in a subprocess ---------------------------------------
def test_mirrored_gradient_over_two_replicas_equals_one_device():
    """One SGD(1.0) step from the same weights on the same global batch, z at the encoder mean:
    2 replicas x 50 rows give the 100-row gradient; without the 1/replicas loss scale they
    would not (the control shows the comparison can fail). Also: batch 101 is refused."""
    result = on_two_devices("gradient", "batch")
    g = result["gradient"]
    assert g["replicas"] == 2
    assert g["difference"] < 1e-5 * g["max_gradient"]
    assert g["unscaled_difference"] > 0.5 * g["max_gradient"]
    assert "batch_size 101 does not split over 2 replicas" in result["batch"]["error"]


@pytest.fixture(scope="module")
def two_devices():
    return on_two_devices("gradient_xla", "loop", "noise", "nonfinite", "resume")


@pytest.mark.slow
def test_mirrored_with_xla_gradient_equals_one_device(two_devices):
    g = two_devices["gradient_xla"]
    assert g["difference"] < 1e-5 * g["max_gradient"]
    assert g["unscaled_difference"] > 0.5 * g["max_gradient"]


@pytest.mark.slow
@pytest.mark.parametrize("jit", [True, False])
def test_mirrored_training_loop_matches_one_device(two_devices, jit):
    """10 Adam steps in two compiled calls: the reported terms (global batch means) and the
    weights of mirrored over 2 devices match one device; XLA compiles the whole loop on one
    device and each replica's pass under mirrored."""
    loop = two_devices["loop"]
    assert loop[f"xla_none_{jit}"] == ("loop" if jit else "off")
    assert loop[f"xla_mirrored_{jit}"] == ("replica" if jit else "off")
    logs = loop[f"jit_{jit}"]["logs"]
    for name, value in logs["none"].items():
        assert logs["mirrored"][name] == pytest.approx(value, rel=1e-4), name
    assert loop[f"jit_{jit}"]["weights"] < 1e-3


@pytest.mark.slow
def test_each_replica_draws_its_own_noise(two_devices):
    """Two replicas given identical rows report different losses, XLA on and off; with the
    replica id not folded into the seed they report the same (the control). The seed state
    stays equal on both replicas and advances as on one device, so checkpoints hold one."""
    noise = two_devices["noise"]
    for jit in (True, False):
        first, second = noise[f"losses_{jit}"]
        assert first != second
    first, second = noise["losses_without_fold"]
    assert first == second
    assert noise["seed_states"] == [noise["seed_state_one_device"]] * 2


@pytest.mark.slow
def test_a_nan_on_one_replica_stops_both_at_its_step(two_devices):
    nonfinite = two_devices["nonfinite"]
    assert nonfinite["step"] == nonfinite["expected"]
    assert "gradient" in nonfinite["names"]


@pytest.mark.slow
def test_mirrored_run_resumes_from_its_checkpoint_to_the_uninterrupted_weights(two_devices):
    resume = two_devices["resume"]
    assert resume["steps"] == [20, 40]
    assert resume["difference"] < 1e-5
    assert np.isfinite(resume["validation"]["loss"]) and resume["validation"]["loss"] > 0
