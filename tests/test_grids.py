"""pse_tf.grids: a grid is validated before Ray starts; on local Ray it gives the metrics of the
same runs trained one by one (the loopback cluster: test_grids_cluster.py)."""

import pytest

from pse_tf import grids
from pse_tf.config import ConfigError, ModelConfig, TrainConfig
from tests.helpers.alone import METRICS, train_alone


def _base(**changes) -> TrainConfig:
    # Tiny and cheap: the metrics are compared, not judged.
    return TrainConfig(**{"dataset": "mnist", "label_encoding": "onehot", "steps": 100,
                          "checkpoint_every": 100, "generation_repeats": 1,
                          "generation_samples_per_label": 10, **changes})


def test_expand_crosses_the_grid_with_the_seeds_and_routes_each_key():
    configs = grids.expand(_base(), {"model": ["jmvae"], "alpha": [0.1, 1], "latent_dim": [2],
                                     "learning_rate": [3e-4]}, seeds=2)
    assert [(c.model.options["alpha"], c.seed) for c in configs] == [
        (0.1, 0), (0.1, 1), (1, 0), (1, 1)]
    assert {(c.model.name, c.model.latent_dim, c.learning_rate) for c in configs} == {
        ("jmvae", 2, 3e-4)}
    assert len({grids.run_name(c) for c in configs}) == 4


@pytest.mark.parametrize("grid, message", [
    ({"model": ["nope"]}, "unknown model 'nope'"),
    ({"model": ["jmvae"], "beta": [1]}, "unknown option(s) ['beta']"),
    ({"model": ["jmvae"], "alpha": [0.1, -1]}, "option 'alpha' must be >= 0.0, got -1.0"),
    ({"model.nope": [1]}, "unknown key 'model.nope'"),
    ({"steps": [0]}, "steps must be >= 1"),
    ({"model": ["pse"], "seed": [1, 1]}, "two runs share the run folder"),
    ({"steps": 5}, "needs a list of values"),
])
def test_a_bad_grid_is_refused_with_one_line_naming_it(grid, message):
    with pytest.raises(ConfigError) as error:
        grids.expand(_base(), grid)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_run_refuses_a_bad_config_and_an_unreachable_address_before_ray_starts(tmp_path):
    bad = _base(model=ModelConfig(name="jmvae", options={"alpha": "x"}))
    with pytest.raises(ConfigError, match="option 'alpha' must be float"):
        grids.run([bad], out=tmp_path)
    with pytest.raises(grids.GridError, match="no Ray cluster at '127.0.0.1:1'"):
        grids.run([_base()], out=tmp_path, address="127.0.0.1:1", log=None)
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_a_grid_on_local_ray_gives_the_metrics_of_the_runs_trained_one_by_one(tmp_path,
                                                                            monkeypatch):
    # Ray's memory monitor off: other jobs' memory on a shared machine must not kill our trials.
    monkeypatch.setenv("RAY_memory_monitor_refresh_ms", "0")
    # Two models, one trial per CPU: each trial and its run trained alone cost a TensorFlow start
    configs = grids.expand(_base(), {"model": ["pse", "jmvae"]}, seeds=1)
    lines = []
    outcomes = grids.run(configs, out=tmp_path / "ray", log=lines.append)
    assert all(o.ok and not o.reused for o in outcomes), [o.error for o in outcomes]
    assert sum("finished:" in line for line in lines) == 2 and "2/2" in lines[-1]
    assert all(o.node_id and o.resumed_from_step == 0 for o in outcomes)
    for config, outcome in zip(configs, outcomes):
        assert outcome.run_dir == tmp_path / "ray" / grids.run_name(config)
        alone = train_alone(config, tmp_path / "alone", threads=1)  # the trial's one CPU
        assert {k: outcome.metrics[k] for k in METRICS} == pytest.approx(
            {k: alone[k] for k in METRICS}, rel=1e-4, abs=1e-3), grids.run_name(config)

    # The same call again reuses every finished run: no trial, the same metrics.
    again = grids.run(configs, out=tmp_path / "ray", log=None)
    assert all(o.reused for o in again)
    assert [o.metrics for o in again] == [o.metrics for o in outcomes]


@pytest.mark.slow
def test_when_tune_itself_stops_every_run_comes_back_with_the_reason_and_a_rerun_finishes_it(
        tmp_path, monkeypatch):
    """Ray's memory monitor killing a trial's actor as it starts was seen to raise out of Tune's
    controller: the grid still returns an outcome per run, saying so; the same call again trains
    the run, and the one after reuses it without a trial."""
    from ray import tune

    def fit(self):
        raise RuntimeError("1 worker(s) were killed due to the node running low on memory")

    with monkeypatch.context() as patched:
        patched.setattr(tune.Tuner, "fit", fit)
        lines = []
        (outcome,) = grids.run([_base()], out=tmp_path, log=lines.append)
    assert not outcome.ok and "Ray Tune stopped: RuntimeError: 1 worker(s)" in outcome.error
    assert any("run the same command again to resume" in line for line in lines)
    (again,) = grids.run([_base()], out=tmp_path, log=None)
    assert again.ok and not again.reused and again.resumed_from_step == 0
    (third,) = grids.run([_base()], out=tmp_path, log=lines.append)
    assert third.reused and third.metrics == again.metrics
    assert "1 of 1 runs finished already: reused" in lines
