"""Zero-shot learning on held-out classes with word-vector labels (paper §5, measured).

Protocol: some classes are held out (`TrainConfig.held_out_classes`); the model is trained only
on the images of the other (seen) classes, with a label table holding only the seen class names.
On the test set:

- ZSL top-1: images of unseen classes annotated among the unseen names only, accuracy averaged
  per class;
- GZSL: every test image annotated among all names; S = per-class accuracy on seen classes,
  U = the same on unseen classes, H = 2SU / (S + U) (Xian et al., 2018, "Zero-shot learning -
  a comprehensive evaluation of the good, the bad and the ugly");
- calibrated stacking (Chao et al., 2016, "An empirical study and analysis of generalized
  zero-shot learning for object recognition in the wild"): every seen score lowered by gamma, as
  a GZSL option; reported as AUSUC (gamma-free) and as S, U, H at a gamma chosen on validation
  images;
- generation accuracy of each unseen class: images from q(z | unseen name) classified by the
  fixed evaluator;
- baselines: chance, and a DeViSE-style map (Frome et al., 2013): ridge regression from pixels to
  the word-vector space on seen-class images, then the cosine-nearest class name.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pse_tf.data import flat_float


def held_out_splits(num_classes: int = 10, held_out: int = 2, seed: int = 0) -> list[tuple]:
    """Disjoint held-out sets covering every class once: num_classes // held_out tuples of
    `held_out` sorted class indices, from a fixed permutation."""
    order = np.random.default_rng(seed).permutation(num_classes)
    count = num_classes // held_out
    return [tuple(sorted(int(c) for c in order[i * held_out:(i + 1) * held_out]))
            for i in range(count)]


# -- metrics ---------------------------------------------------------------------------------------
def per_class_accuracy(predicted, labels, classes: Sequence[int]) -> float:
    """Mean over `classes` of the accuracy on the images of that class (classes without images
    are skipped)."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    accuracies = [np.mean(predicted[labels == c] == c) for c in classes if np.any(labels == c)]
    return float(np.mean(accuracies)) if accuracies else float("nan")


def harmonic_mean(seen: float, unseen: float) -> float:
    """H = 2 S U / (S + U); 0 when S + U = 0."""
    return 0.0 if seen + unseen == 0 else 2 * seen * unseen / (seen + unseen)


def zsl_top1(scores_unseen, labels, unseen: Sequence[int]) -> float:
    """ZSL top-1 of unseen-class images scored among the unseen names only.

    Args:
        scores_unseen: [N, U]. Column j scores unseen[j]; rows are the images of `labels`.
        labels: [N] original class indices (images of other classes are ignored).
        unseen: U class indices.
    """
    labels = np.asarray(labels)
    mask = np.isin(labels, unseen)
    predicted = np.asarray(unseen)[np.argmax(np.asarray(scores_unseen)[mask], axis=1)]
    return per_class_accuracy(predicted, labels[mask], unseen)


def gzsl(scores_all, labels, seen: Sequence[int], unseen: Sequence[int]) -> dict:
    """GZSL S, U, H of images scored among all names ([N, C], column c scores class c)."""
    predicted = np.argmax(np.asarray(scores_all), axis=1)
    s = per_class_accuracy(predicted, labels, seen)
    u = per_class_accuracy(predicted, labels, unseen)
    return {"S": s, "U": u, "H": harmonic_mean(s, u)}


# -- calibrated stacking (Chao et al., 2016) ---------------------------------------------------------
def stacking_margins(scores_all, seen: Sequence[int], unseen: Sequence[int]):
    """Per image: (best seen class, best unseen class, margin = best seen score - best unseen
    score). Calibrated stacking subtracts gamma from every seen score, so an image goes to its best
    unseen class exactly when gamma > margin; within each group the choice does not move."""
    scores = np.asarray(scores_all, np.float64)
    seen, unseen = np.asarray(seen), np.asarray(unseen)
    best_seen = seen[np.argmax(scores[:, seen], axis=1)]
    best_unseen = unseen[np.argmax(scores[:, unseen], axis=1)]
    margin = scores[:, seen].max(axis=1) - scores[:, unseen].max(axis=1)
    return best_seen, best_unseen, margin


def calibrated_gzsl(scores_all, labels, seen, unseen, gamma: float) -> dict:
    """GZSL S, U, H of argmax_c score(x, c) - gamma * [c is seen] (calibrated stacking)."""
    best_seen, best_unseen, margin = stacking_margins(scores_all, seen, unseen)
    predicted = np.where(gamma > margin, best_unseen, best_seen)
    s = per_class_accuracy(predicted, labels, seen)
    u = per_class_accuracy(predicted, labels, unseen)
    return {"S": s, "U": u, "H": harmonic_mean(s, u), "gamma": float(gamma)}


def _class_weights(labels, classes) -> np.ndarray:
    """Weight of each image in a per-class mean accuracy over `classes` (0 for other images)."""
    labels = np.asarray(labels)
    present = [c for c in classes if np.any(labels == c)]
    weights = np.zeros(len(labels))
    for c in present:
        weights[labels == c] = 1.0 / (np.sum(labels == c) * len(present))
    return weights


def seen_unseen_curve(scores_all, labels, seen, unseen) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """(gammas, S, U) at every gamma where a prediction changes, from all-seen to all-unseen;
    S and U as `calibrated_gzsl` gives them, from sorted margins in O(N log N)."""
    labels = np.asarray(labels)
    best_seen, best_unseen, margin = stacking_margins(scores_all, seen, unseen)
    cuts = np.unique(margin)
    gammas = np.concatenate([[cuts[0] - 1.0], (cuts[:-1] + cuts[1:]) / 2, [cuts[-1] + 1.0]])

    def below(best, classes):
        """For each gamma: the weighted correct images of `classes` with margin < gamma."""
        hits = _class_weights(labels, classes) * (best == labels)
        order = np.argsort(margin)
        cumulative = np.concatenate([[0.0], np.cumsum(hits[order])])
        return cumulative[np.searchsorted(margin[order], gammas, side="left")], hits.sum()

    below_seen, all_seen = below(best_seen, seen)
    below_unseen, _ = below(best_unseen, unseen)
    return gammas, all_seen - below_seen, below_unseen


def ausuc(scores_all, labels, seen, unseen) -> float:
    """Area under the seen-unseen accuracy curve (Chao et al., 2016): U against S as gamma
    sweeps, trapezoids; 1 for a perfect classifier, no gamma to choose."""
    _, s, u = seen_unseen_curve(scores_all, labels, seen, unseen)
    s, u = s[::-1], u[::-1]  # gamma falling: S rises, U falls
    return float(np.sum((s[1:] - s[:-1]) * (u[1:] + u[:-1]) / 2))


def best_gamma(scores_all, labels, seen, unseen) -> float:
    """The gamma of the highest H on these images (ties: the smallest gamma)."""
    gammas, s, u = seen_unseen_curve(scores_all, labels, seen, unseen)
    h = np.array([harmonic_mean(a, b) for a, b in zip(s, u)])
    return float(gammas[int(np.argmax(h))])


# -- DeViSE-style baseline ---------------------------------------------------------------------------
def fit_linear_map(images, targets, ridge: float = 1.0) -> np.ndarray:
    """Ridge regression from flattened pixels in [0, 1] (plus a bias) to targets: W [D + 1, L]."""
    x = flat_float(images).numpy().astype(np.float64)
    x = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    gram = x.T @ x + ridge * np.eye(x.shape[1])
    return np.linalg.solve(gram, x.T @ np.asarray(targets, np.float64))


def linear_map_scores(weights, images, class_vectors) -> np.ndarray:
    """Cosine of each image's mapped vector to each class vector: [N, C]."""
    x = flat_float(images).numpy().astype(np.float64)
    mapped = np.concatenate([x, np.ones((len(x), 1))], axis=1) @ weights
    mapped /= np.maximum(np.linalg.norm(mapped, axis=1, keepdims=True), 1e-12)
    c = np.asarray(class_vectors, np.float64)
    c = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    return mapped @ c.T
