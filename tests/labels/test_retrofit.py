"""Retrofitting (Faruqui et al., 2015) on tiny graphs: the update, isolated words, convergence."""

import numpy as np
import pytest
import scipy.sparse as sp

from pse_tf.labels.retrofit import retrofit

# 0 - 1 - 2 is a path; 3 has no neighbours.
EDGES = [(0, 1), (1, 0), (1, 2), (2, 1)]


def _graph(n=4, edges=EDGES):
    rows, cols = zip(*edges)
    return sp.csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))


@pytest.fixture
def vectors():
    return np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)


def test_one_step_is_the_closed_form_update(vectors):
    q = retrofit(vectors, _graph(), iterations=1)
    # q_i = (alpha q̂_i + sum_j beta_ij q_j) / (alpha + sum_j beta_ij), beta_ij = 1/deg(i)
    expected_1 = (vectors[1] + 0.5 * vectors[0] + 0.5 * vectors[2]) / 2
    np.testing.assert_allclose(q[1], expected_1, rtol=1e-6)
    np.testing.assert_allclose(q[0], (vectors[0] + vectors[1]) / 2, rtol=1e-6)


def test_isolated_words_and_zero_steps_keep_their_vectors(vectors):
    np.testing.assert_array_equal(retrofit(vectors, _graph())[3], vectors[3])
    np.testing.assert_array_equal(retrofit(vectors, _graph(), iterations=0), vectors)
    np.testing.assert_array_equal(retrofit(vectors, sp.csr_matrix((4, 4))), vectors)


def test_converges_to_the_fixed_point(vectors):
    # Fixed point: (alpha + 1) q = alpha q̂ + D^-1 A q on linked rows.
    a = _graph().toarray()
    mean = a / a.sum(axis=1, keepdims=True).clip(min=1)
    linked = a.sum(axis=1) > 0
    system = 2 * np.eye(4) - mean
    system[~linked] = np.eye(4)[~linked]
    exact = np.linalg.solve(system, vectors.astype(np.float64))
    errors = [np.abs(retrofit(vectors, _graph(), iterations=k) - exact).max() for k in (2, 5, 30)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-6


def test_diagonal_values_and_duplicates_are_ignored(vectors):
    weighted = _graph() * 7.0 + sp.identity(4)
    np.testing.assert_allclose(retrofit(vectors, weighted), retrofit(vectors, _graph()))


def test_neighbours_move_closer(vectors):
    q = retrofit(vectors, _graph())
    assert np.linalg.norm(q[0] - q[1]) < np.linalg.norm(vectors[0] - vectors[1])


def test_refuses_wrong_shapes(vectors):
    with pytest.raises(ValueError, match=r"\[4, 4\]"):
        retrofit(vectors, sp.csr_matrix((3, 3)))
    with pytest.raises(ValueError, match="alpha"):
        retrofit(vectors, _graph(), alpha=0)
