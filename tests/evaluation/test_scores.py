"""pse_tf.evaluation.scores for labels whose q(z|l) is a mixture."""

import numpy as np
import pytest

from pse_tf.evaluation import scores


@pytest.fixture
def gaussians():
    rng = np.random.default_rng(0)
    return (rng.normal(size=[5, 3]), rng.uniform(0.2, 1, [5, 3]),
            rng.normal(size=[4, 2, 3]), rng.uniform(0.3, 1.5, [4, 2, 3]))


@pytest.mark.parametrize("kind", scores.SCORES)
def test_one_component_is_the_gaussian_score(gaussians, kind):
    x_mean, x_std, l_mean, l_std = gaussians
    single = scores.score(kind, x_mean, x_std, l_mean[:, 0], l_std[:, 0])
    mixture = scores.score(kind, x_mean, x_std, l_mean[:, :1], l_std[:, :1], np.ones([4, 1]))
    np.testing.assert_allclose(mixture, single, rtol=1e-12)


@pytest.mark.parametrize("kind", scores.SCORES)
def test_a_component_of_weight_zero_does_not_count(gaussians, kind):
    x_mean, x_std, l_mean, l_std = gaussians
    weights = np.tile([1.0, 0.0], (4, 1))
    np.testing.assert_allclose(scores.score(kind, x_mean, x_std, l_mean, l_std, weights),
                               scores.score(kind, x_mean, x_std, l_mean[:, 0], l_std[:, 0]))


def test_log_likelihood_is_the_mixture_density(gaussians):
    x_mean, x_std, l_mean, l_std = gaussians
    weights = np.array([[0.3, 0.7]] * 4)
    density = sum(weights[None, :, k] * np.exp(scores.log_likelihood(x_mean, l_mean[:, k],
                                                                     l_std[:, k]))
                  for k in range(2))
    np.testing.assert_allclose(
        scores.score("log_likelihood", x_mean, x_std, l_mean, l_std, weights), np.log(density))
