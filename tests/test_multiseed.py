"""Seeds trained together in one program equal the same seeds trained alone; refused configs;
run directories that `runs` reuses."""

import dataclasses
import json

import numpy as np
import pytest

from pse_tf import runs
from pse_tf.config import ConfigError, ModelConfig, TrainConfig
from pse_tf.data import load_dataset
from pse_tf.labels import LabelEncoding
from pse_tf.multiseed import StackedSeeds, check_together, fit_together, train_together
from pse_tf.training import InGraphLoop, adam, build_model, fit

STEPS = 100


def _config(seed, **changes):
    settings = {"dataset": "mnist", "label_encoding": "onehot", "steps": STEPS, "seed": seed,
                "steps_per_execution": 100, "checkpoint_every": 100,
                "model": ModelConfig(name="pse_star"), **changes}
    return TrainConfig(**settings)


@pytest.fixture(scope="module")
def mnist():
    data = load_dataset("mnist")
    return data, LabelEncoding.build(data.class_names, "onehot")


def _snapshot(variables):
    return [v.numpy().copy() for v in variables]


def _alone(config, mnist, steps):
    """The model trained alone, its logs per call of 20 steps, and its state after the first."""
    data, encoding = mnist
    model = build_model(config, encoding)
    loop = InGraphLoop(model, data.train_images, data.train_labels, config.batch_size,
                       config.seed)
    logs = [loop.run(0, 20)]
    first = _snapshot(model.weights + model.optimizer.variables)
    logs += [loop.run(start, 20) for start in range(20, steps, 20)]
    return model, logs, first


def _together(configs, mnist, steps, vectorize=True):
    """`_alone` for every seed, trained together: models, logs and first states per seed."""
    data, encoding = mnist
    models = [build_model(c, encoding) for c in configs]
    stacked = StackedSeeds(models, data.train_images, data.train_labels, 100,
                           [c.seed for c in configs], adam(configs[0], STEPS),
                           vectorize=vectorize)
    logs = [stacked.run(0, 20)]
    stacked.unstack()
    first = [_snapshot(m.weights + m.optimizer.variables) for m in models]
    logs += [stacked.run(start, 20) for start in range(20, steps, 20)]
    stacked.unstack()
    return models, [[call[s] for call in logs] for s in range(len(configs))], first


def _max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def trained(mnist):
    """Seeds 0 and 1 for STEPS steps: alone, together vectorised, together unrolled."""
    configs = [_config(s) for s in (0, 1)]
    return (configs, [_alone(c, mnist, STEPS) for c in configs],
            _together(configs, mnist, STEPS), _together(configs, mnist, STEPS, vectorize=False))


def test_seeds_unrolled_in_one_program_equal_seeds_alone_exactly(trained):
    """The seeds' steps side by side in one program run the very ops of a run alone: stacking,
    one Adam over the stack, each seed's batches and noise reproduce it to the bit."""
    _, alone, _, (models, logs, _) = trained
    for (model_alone, logs_alone, _), model, seed_logs in zip(alone, models, logs):
        assert _max_difference(model_alone.weights + model_alone.optimizer.variables,
                               model.weights + model.optimizer.variables) == 0.0
        for a, b in zip(logs_alone, seed_logs):  # means accumulated in another order
            for key in a:
                np.testing.assert_allclose(b[key], a[key], rtol=1e-6)


def test_vectorised_seeds_equal_seeds_alone_to_float_rounding(trained):
    """Vectorised, the seeds' matmuls are batched, which rounds differently from single
    matmuls. The loss terms of every call agree to 2e-3, the sampling seeds and step count
    exactly, and after 20 steps the weights and Adam state to 1e-3. Adam divides each gradient
    by its running RMS, so a weight whose gradient is mostly rounding noise moves by up to
    the learning rate per step either way and the weights then drift apart as they do between
    two runs alone whose weights differ by 1e-7 (PSE, seed 1: 0.034 after 100 steps, both ways).
    """
    _, alone, (models, together_logs, first), _ = trained
    for (model_alone, logs_alone, first_alone), model, logs, seed_first in zip(
            alone, models, together_logs, first):
        assert _max_difference(first_alone, seed_first) < 1e-3
        for key in logs_alone[0]:
            np.testing.assert_allclose(logs[0][key], logs_alone[0][key], rtol=1e-4)
        np.testing.assert_array_equal(model.seed_generator.state.numpy(),
                                      model_alone.seed_generator.state.numpy())
        np.testing.assert_array_equal(model.optimizer.variables[0].numpy(), STEPS)
        for a, b in zip(logs_alone, logs):
            for key in a:
                np.testing.assert_allclose(b[key], a[key], rtol=2e-3)


def test_different_seeds_train_differently(trained):
    _, _, (models, logs, _), _ = trained
    assert _max_difference(models[0].trainable_variables, models[1].trainable_variables) > 1e-2
    assert logs[0][0]["loss"] != logs[1][0]["loss"]  # own batches and own noise
    assert len({tuple(m.seed_generator.state.numpy()) for m in models}) == len(models)


@pytest.mark.parametrize("change, field", [({"learning_rate": 1e-4}, "learning_rate"),
                                          ({"batch_size": 50}, "batch_size"),
                                          ({"model": ModelConfig(name="pse")}, "model")])
def test_configs_that_differ_beyond_the_seed_are_refused(change, field):
    with pytest.raises(ConfigError, match=f"may differ only in .*in {field}"):
        check_together([_config(0), _config(1, **change)])


def test_repeated_seeds_and_strategies_are_refused():
    with pytest.raises(ConfigError, match="distinct seeds"):
        check_together([_config(0), _config(0, out="elsewhere")])
    with pytest.raises(ConfigError, match="strategy"):
        check_together([_config(0, strategy="mirrored"), _config(1, strategy="mirrored")])
    check_together([_config(0), _config(1, out="elsewhere", generation_repeats=1)])
    with pytest.raises(ConfigError, match="binarize='dynamic'"):
        check_together([_config(0, binarize="dynamic"), _config(1, binarize="dynamic")])


def test_fit_together_resumes_exactly_and_keeps_each_run(tmp_path, mnist):
    data, encoding = mnist
    configs = [_config(s, steps=100, steps_per_execution=50, checkpoint_every=50)
               for s in (3, 4)]
    straight = [build_model(c, encoding) for c in configs]
    fit_together(straight, configs, data, [tmp_path / f"a{s}" for s in (3, 4)], verbose=0)

    dirs = [tmp_path / f"b{s}" for s in (3, 4)]
    half = [dataclasses.replace(c, steps=50) for c in configs]
    fit_together([build_model(c, encoding) for c in half], half, data, dirs, verbose=0)
    resumed = [build_model(c, encoding) for c in configs]  # as a fresh process would
    histories = fit_together(resumed, configs, data, dirs, verbose=0)
    for history, a, b, run_dir in zip(histories, straight, resumed, dirs):
        assert history["step"] == [50, 100]
        assert set(history["validation"][0]) >= {"loss", "annotation_accuracy"}
        assert json.loads((run_dir / "history.json").read_text())["step"] == [50, 100]
        assert _max_difference(a.weights, b.weights) == 0.0


def test_train_together_writes_runs_that_runs_reuses(tmp_path, mnist):
    configs = [_config(s, steps=50, steps_per_execution=50, out=str(tmp_path)) for s in (0, 1)]
    results = train_together(configs, verbose=0, run_evaluation=False)
    for config, result in zip(configs, results):
        assert runs.finished_run(config) == result.run_dir
        status = json.loads((result.run_dir / runs.STATUS).read_text())
        assert status["state"] == "finished"
        model, saved, _ = runs.load_run(result.run_dir)
        assert saved.seed == config.seed
        assert _max_difference(model.weights, result.model.weights) == 0.0


def test_runs_stopped_at_different_steps_are_refused(tmp_path, mnist):
    from pse_tf.checkpoints import CheckpointError

    data, encoding = mnist
    configs = [_config(s, steps=100, steps_per_execution=50, checkpoint_every=50)
               for s in (0, 1)]
    dirs = [tmp_path / "a", tmp_path / "b"]
    short = dataclasses.replace(configs[0], steps=50)
    fit(build_model(short, encoding), short, data, dirs[0], verbose=0)
    with pytest.raises(CheckpointError, match="different steps"):
        fit_together([build_model(c, encoding) for c in configs], configs, data, dirs)
