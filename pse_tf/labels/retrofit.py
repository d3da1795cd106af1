"""Retrofitting word vectors to a semantic lexicon (Faruqui et al., 2015, NAACL).

Each word vector q_i is pulled towards the vectors of its neighbours in a lexicon graph while
staying close to its original q̂_i; one step of the iterative solution is

    q_i <- (alpha_i q̂_i + sum_j beta_ij q_j) / (alpha_i + sum_j beta_ij),

with the paper's alpha_i = 1 and beta_ij = 1 / degree(i), so each step sets q_i to the mean of q̂_i
and its neighbours' mean. A word without neighbours keeps its vector.

Every word is updated at once (Jacobi; the authors' code: Gauss-Seidel), one sparse product a
step; both converge to the same fixed point, the minimiser of the paper's objective.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

ITERATIONS = 10  # the paper's


def retrofit(vectors: np.ndarray, adjacency, iterations: int = ITERATIONS,
             alpha: float = 1.0) -> np.ndarray:
    """Retrofits `vectors` to the graph `adjacency` (eq. 1 of Faruqui et al., 2015).

    Args:
        vectors: [V, D]. The original vectors q̂.
        adjacency: [V, V] scipy sparse matrix or array, (i, j) nonzero when j is a neighbour
            of i; values ignored (beta_ij = 1 / degree(i)), diagonal dropped.
        iterations: int. Update steps (the paper: 10).
        alpha: float. Weight of the original vector (the paper: 1).

    Returns float32 [V, D]; rows of words without neighbours equal their input.
    """
    q_hat = np.asarray(vectors, np.float64)
    if q_hat.ndim != 2:
        raise ValueError(f"vectors must be [V, D], got shape {q_hat.shape}")
    graph = sp.coo_matrix(adjacency)
    if graph.shape != (q_hat.shape[0],) * 2:
        raise ValueError(f"adjacency must be [{q_hat.shape[0]}, {q_hat.shape[0]}] for "
                         f"{q_hat.shape[0]} vectors, got {graph.shape}")
    if iterations < 0 or alpha <= 0:
        raise ValueError(f"need iterations >= 0 and alpha > 0, got {iterations}, {alpha}")
    keep = (graph.row != graph.col) & (graph.data != 0)
    graph = sp.csr_matrix((np.ones(int(keep.sum())), (graph.row[keep], graph.col[keep])),
                          shape=graph.shape)
    graph.data[:] = 1.0  # duplicate entries were summed
    # A linked word's neighbours are linked: the steps run on the linked rows alone.
    linked = np.flatnonzero(graph.getnnz(axis=1) + graph.getnnz(axis=0))
    sub = graph[linked][:, linked]
    degree = np.asarray(sub.sum(axis=1)).ravel()
    # Row i averages i's neighbours (sum_j beta_ij = 1); a row with only in-links keeps q̂_i.
    has_out = degree > 0
    mean_of_neighbours = sp.diags(1.0 / np.maximum(degree, 1)) @ sub
    q_hat_sub = q_hat[linked]
    q_sub = q_hat_sub.copy()
    for _ in range(iterations):
        step = (alpha * q_hat_sub + mean_of_neighbours @ q_sub) / (alpha + 1.0)
        q_sub = np.where(has_out[:, None], step, q_hat_sub)
    q = q_hat.copy()
    q[linked] = q_sub
    return q.astype(np.float32)
