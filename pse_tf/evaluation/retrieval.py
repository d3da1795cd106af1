"""Cross-modal retrieval, text -> image and image -> text: a match is the same class.

    text -> image   each class name (its phrase vector) is a query; the test images are ranked
                    by score; R = the number of test images of that class.
    image -> text   each test image is a query; the C class names are ranked; R = 1, so
                    R-Precision and mAP@R both equal top-1 accuracy.

Metrics (Musgrave, Belongie & Lim, "A Metric Learning Reality Check", ECCV 2020):
    R-Precision  the fraction of matches among the first R results
    mAP@R        (1/R) sum_{i<=R} P(i) * match(i), P(i) the precision of the first i results

Scores: `pse_tf.evaluation.scores`. Ties are broken by index (a stable sort): deterministic.
"""

from __future__ import annotations

import time

import numpy as np

from pse_tf.evaluation import scores as scores_lib


def r_precision_and_map(scores, relevant) -> tuple[float, float]:
    """(R-Precision, mAP@R), means over queries, for `scores` [Q, D] (higher ranks first) and
    `relevant` bool [Q, D], R_q = relevant[q].sum() >= 1."""
    scores, relevant = np.asarray(scores), np.asarray(relevant, bool)
    if scores.shape != relevant.shape or scores.ndim != 2:
        raise ValueError(f"scores and relevant must both be [Q, D], got {scores.shape} and "
                         f"{relevant.shape}")
    r = relevant.sum(axis=1)
    if np.any(r == 0):
        raise ValueError("every query needs at least one relevant document")
    order = np.argsort(-scores, axis=1, kind="stable")
    hits = np.take_along_axis(relevant, order, axis=1)
    r_precision, average_precision = [], []
    for q_hits, q_r in zip(hits, r):
        top = q_hits[:q_r]
        r_precision.append(top.mean())
        precision_at = np.cumsum(top) / np.arange(1, q_r + 1)
        average_precision.append(np.sum(precision_at * top) / q_r)
    return float(np.mean(r_precision)), float(np.mean(average_precision))


def rank_images(pse, query: str, images, kind: str = "log_likelihood"):
    """Text -> image: the test images ordered by the score of a query (with `+`/`-` algebra)
    against each image; (indices best first, their scores)."""
    s = pse.scores(images, pse.query_vectors([query]), kind)[:, 0]
    order = np.argsort(-s, kind="stable")
    return order, s[order]


def rank_texts(pse, images, texts, kind: str = "log_likelihood"):
    """Image -> text: for each image, the texts ordered by score; (indices [N, T] best first,
    scores [N, T] in that order)."""
    s = pse.scores(images, pse.phrase_vectors(texts), kind)
    order = np.argsort(-s, axis=1, kind="stable")
    return order, np.take_along_axis(s, order, axis=1)


def retrieval_table(pse, images, labels, class_phrases=None) -> dict:
    """Both directions and all three scores for a test split (`images` float in [0, 1] or
    uint8, `labels` int [N]) by a `Predictor`; `class_phrases` default to the class names.

    Returns:
        {"text_to_image": {score: {"r_precision", "map_at_r"}}, "image_to_text": {...},
         "queries": {...}, "seconds": float}.
    """
    t0 = time.time()
    labels = np.asarray(labels)
    phrases = list(pse.class_names if class_phrases is None else class_phrases)
    x_mean, x_std = pse.encode(images)
    l_mean, l_std = pse.backend.label_distribution(pse.phrase_vectors(phrases))
    match = labels[:, None] == np.arange(len(phrases))[None, :]  # [N, C]
    out = {"text_to_image": {}, "image_to_text": {}}
    for kind in scores_lib.SCORES:
        s = scores_lib.score(kind, x_mean, x_std, l_mean, l_std)  # [N, C]
        for direction, (sc, rel) in (("text_to_image", (s.T, match.T)),
                                     ("image_to_text", (s, match))):
            rp, mapr = r_precision_and_map(sc, rel)
            out[direction][kind] = {"r_precision": rp, "map_at_r": mapr}
    out["queries"] = {"text_to_image": len(phrases), "image_to_text": int(len(labels)),
                      "class_phrases": phrases}
    out["seconds"] = time.time() - t0
    return out
