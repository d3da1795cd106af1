#!/usr/bin/env python
"""Chooses how the default annotation ranks its open vocabulary, on *validation* images and the
benchmark's *development* negatives (the test images and test words are only reported, by
benchmark_report.py):

- `prior m`: score(x, w) = log q(mean of q(z|x) | l_w) + m [w names a class] (the words the
  knowledge table maps to a class have their class's row, hence its score);
- `csls k`: the same with m = 0, minus a hub penalty r(w) = mean of w's k best scores over 1,000
  training images (CSLS, Conneau et al., 2018, on the image side);
- both.

Reported per option: top-1 word's class (through the knowledge table) = the image's class,
closed-set annotation accuracy (the 10 class names) on the same images, the share of images with
a development negative among their top 5, and the most frequent top-1 words.

    python -m experiments.open_vocabulary.annotation_prior RUN_DIR [RUN_DIR ...]

Writes experiments/open_vocabulary/results/annotation_prior.{json,md}.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "results"
PRIORS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0)
CSLS_K = (0, 10)


def word_class(predictor, kv, table, word: str) -> int:
    """The class a vocabulary word names (its label vector is that class's row), else -1."""
    if word in predictor.class_names:
        return predictor.class_names.index(word)
    i = kv.key_to_index.get(word)
    return -1 if i is None else int(table[i])


def measure(run_dir: str, images: int = 1000) -> list[dict]:
    from pse_tf.data.datasets import load_dataset
    from pse_tf.evaluation import scores as scores_lib
    from pse_tf.inference import load
    from pse_tf.labels.annotation_vocabulary import named_prior
    from pse_tf.labels.benchmark import benchmark_words

    predictor = load(run_dir)
    data = load_dataset(predictor.dataset)
    x = data.val_images[:images].astype(np.float32) / 255.0
    y = data.val_labels[:images]
    reference = data.train_images[:1000].astype(np.float32) / 255.0
    words = predictor.vocabulary()
    vectors = predictor.phrase_vectors(words)
    l_mean, l_std = predictor.label_gaussians(vectors)
    loglik = scores_lib.log_likelihood(predictor.encode(x)[0], l_mean, l_std)  # [N, W]
    ref = scores_lib.log_likelihood(predictor.encode(reference)[0], l_mean, l_std)
    named = named_prior(vectors, predictor.backend.class_vectors(), 1.0) > 0
    class_rows = predictor.backend.class_vectors()
    word_cls = np.array([int(np.flatnonzero((class_rows == v).all(axis=1))[0]) if n else -1
                         for v, n in zip(vectors, named)])
    closed = np.argmax(scores_lib.log_likelihood(predictor.encode(x)[0],
                                                 *predictor.label_gaussians(class_rows)), axis=1)
    negatives = {w["word"] for w in benchmark_words("negative", "development")}
    is_negative = np.array([w in negatives for w in words])
    rows = []
    for k in CSLS_K:
        penalty = np.sort(ref, axis=0)[-k:].mean(axis=0) if k else np.zeros(len(words))
        for m in PRIORS:
            score = loglik - penalty[None, :] + m * named[None, :]
            top5 = np.argsort(-score, axis=1, kind="stable")[:, :5]
            top1 = top5[:, 0]
            rows.append({
                "run": str(run_dir), "dataset": predictor.dataset, "images": int(len(x)),
                "vocabulary": len(words), "named_words": int(named.sum()),
                "prior": m, "csls_k": k,
                "top1_class_accuracy": float(np.mean(word_cls[top1] == y)),
                "closed_set_accuracy": float(np.mean(closed == y)),
                "negative_in_top5": float(np.mean(is_negative[top5].any(axis=1))),
                "top1_named": float(np.mean(named[top1])),
                "frequent_top1": collections.Counter(words[i] for i in top1).most_common(12)})
            print({k2: v for k2, v in rows[-1].items() if k2 != "frequent_top1"}, flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+")
    args = p.parse_args(argv)
    rows = [r for run in args.runs for r in measure(run)]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "annotation_prior.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["# Annotation over the open vocabulary: the named-word prior and CSLS",
             "", "Validation images (1,000 per run), development negatives; written by "
             "`experiments/open_vocabulary/annotation_prior.py`.", "",
             "| data set | run | prior m | CSLS k | top-1 class | closed set | negative in top 5 |"
             " top-1 names a class | most frequent top-1 words |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {Path(r['run']).name} | {r['prior']:g} | {r['csls_k']} | "
                     f"{r['top1_class_accuracy']:.1%} | {r['closed_set_accuracy']:.1%} | "
                     f"{r['negative_in_top5']:.1%} | {r['top1_named']:.1%} | "
                     + ", ".join(f"{w} {n}" for w, n in r["frequent_top1"][:6]) + " |")
    (OUT / "annotation_prior.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
