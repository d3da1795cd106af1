"""experiments/study/generation_readings.py: the readings of a real (random-weight) run, each
equal to what it names; a rerun skips the run, but re-reads a row written before a reading
existed; a folder that is not a run is skipped with a message; the moment match and the KL
against independent computations.

The evaluator is a stand-in that answers "class 0" for every image, so both image readings are
known by hand: right on every image of class 0 and on none of the others."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from experiments.study import generation_readings as gr
from pse_tf.evaluation import evaluators
from tests.helpers.random_run import write_random_run

SAMPLES = 3000


def _always_zero() -> keras.Model:
    images = keras.Input((28, 28))
    scores = keras.layers.Lambda(lambda x: tf.one_hot(tf.zeros(tf.shape(x)[0], tf.int32), 10))
    return keras.Model(images, scores(images))


def test_readings_of_a_run_are_what_they_name(tmp_path, capsys, monkeypatch):
    from pse_tf.runs import load_run

    monkeypatch.setattr(evaluators, "load_evaluator", lambda dataset, variant=None: _always_zero())
    run_dir, _ = write_random_run(tmp_path, export=False)
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    args = [str(run_dir), str(not_a_run), "--samples-per-label", str(SAMPLES),
            "--results", str(tmp_path / "results")]
    assert gr.main(args) == 0
    assert "skipping" in capsys.readouterr().err
    (row,) = json.loads((tmp_path / "results" / "generation_readings.json").read_text())["rows"]

    one_hot_zero = [1.0] + [0.0] * 9
    assert row["q_z_l_per_class"] == one_hot_zero and row["q_z_l"] == pytest.approx(0.1)
    assert row["q_z_x_per_class"] == one_hot_zero and row["q_z_x"] == pytest.approx(0.1)
    for name in ("fit", "fit_full"):
        assert row[f"{name}_per_class"] == one_hot_zero and row[name] == pytest.approx(0.1)
    assert len(row["kl_fit_per_class"]) == 10 and row["kl_fit"] > 0.0

    # `region`, estimated independently: numpy draws from each q(z|l), scored by the Gaussian
    # log densities of all ten label distributions.
    model, _, _ = load_run(run_dir)
    q = model.label_distribution()
    means, scales = np.asarray(q.mean()), np.asarray(q.stddev())
    rng = np.random.default_rng(1)
    for c in range(10):
        z = means[c] + scales[c] * rng.standard_normal((SAMPLES, means.shape[1]))
        log_density = -(np.log(scales)[None] + 0.5 * ((z[:, None] - means[None]) / scales[None])
                        ** 2).sum(-1)
        expected = np.mean(np.argmax(log_density, axis=1) == c)
        assert row["region_per_class"][c] == pytest.approx(expected, abs=0.04)
    assert row["region"] == pytest.approx(np.mean(row["region_per_class"]))
    assert 0.0 < row["region"] < 1.0  # the random label distributions overlap
    assert row["latent_dim"] == 4 and row["steps"] == 1

    # A rerun reads nothing again; the table shows each class's pair of readings.
    assert gr.main(args[:1] + args[2:]) == 0
    assert "q(z|l)" not in capsys.readouterr().out
    text = (tmp_path / "results" / "generation_readings.md").read_text()
    assert (f"| run | 1 | 10.00 | 10.00 | {100 * row['region']:.2f} | 10.00 | 10.00 | "
            f"{row['kl_fit']:.2f} | {row['kl_fit_full']:.2f} | 100.0 / 100.0 | 0.0 / 0.0 |") in text

    # A row from before the moment-matched readings is read again and replaced, not doubled.
    path = tmp_path / "results" / "generation_readings.json"
    state = json.loads(path.read_text())
    for key in ("fit", "fit_full", "kl_fit"):
        del state["rows"][0][key]
    path.write_text(json.dumps(state))
    assert gr.main(args[:1] + args[2:]) == 0
    assert "q(z|l)" in capsys.readouterr().out
    (again,) = json.loads(path.read_text())["rows"]
    assert again["fit"] == pytest.approx(0.1)


def test_class_moments_are_those_of_the_mixture():
    """Mean and covariance of each class's mixture of diagonal Gaussians, against a large
    sample drawn from that mixture."""
    rng = np.random.default_rng(0)
    means = rng.normal(size=(600, 3)) * [1.0, 2.0, 0.5] + [[0.0, 1.0, -1.0]]
    means[:, 1] += 0.8 * means[:, 0]  # correlated means: a full covariance to find
    variances = rng.uniform(0.1, 0.5, size=(600, 3))
    labels = np.repeat([0, 1], 300)
    mu, cov = gr.class_moments(means, variances, labels, 2)
    assert mu.shape == (2, 3) and cov.shape == (2, 3, 3)
    for c in range(2):
        members = np.flatnonzero(labels == c)
        pick = rng.choice(members, 400_000)
        z = means[pick] + np.sqrt(variances[pick]) * rng.standard_normal((len(pick), 3))
        np.testing.assert_allclose(mu[c], z.mean(axis=0), atol=0.02)
        np.testing.assert_allclose(cov[c], np.cov(z, rowvar=False), atol=0.03)
    assert abs(cov[0][0, 1]) > 0.3  # the correlation is kept, not only the diagonal


def test_diagonal_kl_matches_tfp():
    import tensorflow_probability as tfp

    rng = np.random.default_rng(1)
    mp, mq = rng.normal(size=4), rng.normal(size=4)
    vp, vq = rng.uniform(0.2, 2.0, 4), rng.uniform(0.2, 2.0, 4)
    expected = tfp.distributions.kl_divergence(
        tfp.distributions.MultivariateNormalDiag(mp, np.sqrt(vp)),
        tfp.distributions.MultivariateNormalDiag(mq, np.sqrt(vq))).numpy()
    assert gr.diagonal_kl(mp, vp, mq, vq) == pytest.approx(float(expected), rel=1e-6)
    assert gr.diagonal_kl(mp, vp, mp, vp) == pytest.approx(0.0, abs=1e-12)


def test_a_run_needs_at_least_one_sample(tmp_path):
    with pytest.raises(SystemExit):
        gr.main([str(tmp_path), "--samples-per-label", "0"])


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_a_model_without_a_label_encoder_is_refused_by_name(name, monkeypatch):
    import pse_tf.runs
    from tests.conftest import make_model

    config = type("Config", (), {"model": type("M", (), {"name": name})()})()
    monkeypatch.setattr(pse_tf.runs, "load_run", lambda run_dir: (make_model(name), config, None))
    with pytest.raises(ValueError, match=f"{name} has no label encoder"):
        gr.read_run(gr.Path("unused"), _always_zero(), 1, 0)


def test_gaussian_kl_matches_tfp_for_full_covariances():
    import tensorflow_probability as tfp

    rng = np.random.default_rng(2)
    mp, mq = rng.normal(size=3), rng.normal(size=3)
    lp, lq = (np.tril(rng.normal(size=(3, 3)), -1) + np.diag(rng.uniform(0.5, 1.5, 3))
              for _ in range(2))
    expected = tfp.distributions.kl_divergence(
        tfp.distributions.MultivariateNormalTriL(mp, lp),
        tfp.distributions.MultivariateNormalTriL(mq, lq)).numpy()
    assert gr.gaussian_kl(mp, lp @ lp.T, mq, lq @ lq.T) == pytest.approx(float(expected),
                                                                          rel=1e-6)
    # on diagonal covariances it is the diagonal KL
    vp, vq = rng.uniform(0.2, 2.0, 3), rng.uniform(0.2, 2.0, 3)
    assert gr.gaussian_kl(mp, np.diag(vp), mq, np.diag(vq)) == pytest.approx(
        gr.diagonal_kl(mp, vp, mq, vq), rel=1e-9)
