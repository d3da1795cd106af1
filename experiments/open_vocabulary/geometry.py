"""Vector geometry of the superseded open-vocabulary mappings (`mappings.py`): how close word or
phrase vectors are to the class vectors, the CSLS hub penalty, and the maps of a vector into the
class vectors' span."""

from __future__ import annotations

import numpy as np

SIMILARITIES = ("cosine", "centred", "csls")
CSLS_K = 10


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


def hub_penalty(class_vectors: np.ndarray, vocabulary: np.ndarray, k: int = CSLS_K) -> np.ndarray:
    """r(c): mean cosine of each class vector to its k nearest rows of `vocabulary`, [C].

    A hub (a vector close to many words) has a large r(c); CSLS subtracts it.
    """
    cos = _unit(class_vectors) @ _unit(vocabulary).T  # [C, V]
    k = min(int(k), cos.shape[1])
    top = -np.sort(-cos, axis=1)[:, :k]
    return top.mean(axis=1)


def class_scores(vectors: np.ndarray, class_vectors: np.ndarray, similarity: str = "cosine",
                 penalty: np.ndarray | None = None) -> np.ndarray:
    """How close each vector is to each class vector: [N, C], larger is closer.

    Args:
        vectors: [N, L]. Word or phrase vectors.
        class_vectors: [C, L]. The training labels' vectors.
        similarity: "cosine"; "centred" (cosine after subtracting the mean class vector from
            both); "csls" (2 cos - r(c), `penalty` = `hub_penalty`, required).
        penalty: [C] or None.
    """
    vectors, class_vectors = np.atleast_2d(vectors), np.atleast_2d(class_vectors)
    if similarity == "cosine":
        return _unit(vectors) @ _unit(class_vectors).T
    if similarity == "centred":
        mean = class_vectors.mean(axis=0)
        return _unit(vectors - mean) @ _unit(class_vectors - mean).T
    if similarity == "csls":
        if penalty is None:
            raise ValueError("similarity 'csls' needs the hub penalty r(c) (hub_penalty)")
        return 2 * (_unit(vectors) @ _unit(class_vectors).T) - np.asarray(penalty)[None, :]
    raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")


def class_side_scores(vectors: np.ndarray, class_vectors: np.ndarray, vocabulary: np.ndarray,
                      kind: str = "reverse_rank", beta: float = 30.0) -> np.ndarray:
    """Hubness correction from the class side, over a whole vocabulary: [N, C], larger is closer.

    "reverse_rank": minus the rank the vector would have in class c's nearest-neighbour list over
    `vocabulary` (how many vocabulary words are nearer to c). "inverted_softmax" (Smith et al.,
    2017): log of exp(beta cos(w, c)) / sum_v exp(beta cos(v, c)), normalised over the
    vocabulary rather than over the C classes. Either way a hub class, near many words, must be
    nearer to the word than to most of the vocabulary before it wins it.
    """
    cos = _unit(vectors) @ _unit(class_vectors).T  # [N, C]
    vocab = _unit(vocabulary) @ _unit(class_vectors).T  # [V, C]
    if kind == "reverse_rank":
        ranks = [np.searchsorted(np.sort(vocab[:, c]), cos[:, c], side="right")
                 for c in range(cos.shape[1])]  # vocabulary words at or below the vector
        return np.stack(ranks, axis=1) - vocab.shape[0]
    if kind == "inverted_softmax":
        top = vocab.max(axis=0)
        log_norm = np.log(np.exp(beta * (vocab - top)).sum(axis=0)) + beta * top
        return beta * cos - log_norm[None, :]
    raise ValueError(f"kind must be 'reverse_rank' or 'inverted_softmax', got {kind!r}")


def project_onto_span(vectors: np.ndarray, class_vectors: np.ndarray) -> np.ndarray:
    """Orthogonal projection of each vector onto the affine span of the class vectors, [N, L].

    A class vector is its own projection. For a label encoder l -> W l + b trained only on the
    class vectors, W applied to the projection is what a minimum-norm W would give the vector.
    """
    vectors = np.atleast_2d(np.asarray(vectors, np.float64))
    class_vectors = np.asarray(class_vectors, np.float64)
    mean = class_vectors.mean(axis=0)
    basis = class_vectors - mean  # [C, L]; spans a (C-1)-dim subspace
    coefficients, *_ = np.linalg.lstsq(basis.T, (vectors - mean).T, rcond=None)
    return (mean + (basis.T @ coefficients).T).astype(np.float32)


def soft_assign(scores: np.ndarray, class_vectors: np.ndarray,
                temperature: float) -> np.ndarray:
    """sum_c softmax(scores / temperature)_c class_vectors[c] for each row of scores, [N, L].

    temperature 0 takes the best-scoring class's vector.
    """
    scores = np.atleast_2d(np.asarray(scores, np.float64))
    class_vectors = np.asarray(class_vectors, np.float64)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        weights = np.eye(class_vectors.shape[0])[np.argmax(scores, axis=1)]
    else:
        logits = scores / temperature
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=1, keepdims=True)
    return (weights @ class_vectors).astype(np.float32)
