#!/usr/bin/env python
"""A rejected knowledge-table rule: a word the table leaves unnamed takes the class that most of
its nearest word-vector neighbours are named with (development half only).

For each abstaining word, its `k` nearest neighbours by cosine among the 50,000 most frequent
GloVe words vote with the table's classes; the word is named when one class holds at least
`share` of the k votes. Positives: right / wrong / abstain as in knowledge_rules.py; negatives:
the share that still abstains.

    python -m experiments.open_vocabulary.neighbour_vote

Writes experiments/open_vocabulary/results/neighbour_vote.{json,md}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "results" / "neighbour_vote"
POOL = 50_000


def main() -> int:
    from pse_tf.data.datasets import CLASS_NAMES
    from pse_tf.labels import load_word_vectors
    from pse_tf.labels.benchmark import benchmark_words
    from pse_tf.labels.knowledge import knowledge_table

    kv = load_word_vectors()
    unit = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    pool = unit[:POOL]
    rows = []
    for ds in ("fashion_mnist", "mnist"):
        names = CLASS_NAMES[ds]
        table = knowledge_table(kv, names)
        positives = benchmark_words(ds, "development")
        negatives = [w for w in benchmark_words("negative", "development")
                     if w["word"] in kv.key_to_index]
        neighbours = {}
        for w in {w["word"] for w in positives + negatives if w["word"] in kv.key_to_index}:
            i = kv.key_to_index[w]
            score = pool @ unit[i]
            if i < POOL:
                score[i] = -np.inf
            neighbours[w] = np.argsort(-score)[:20]
        for k in (5, 10, 20):
            for share in (0.3, 0.4, 0.5, 0.6):
                def decide(word):
                    i = kv.key_to_index.get(word)
                    if i is None:
                        return -1
                    if table[i] >= 0:
                        return int(table[i])
                    votes = table[neighbours[word][:k]]
                    votes = votes[votes >= 0]
                    if not len(votes):
                        return -1
                    c = int(np.bincount(votes).argmax())
                    return c if (votes == c).sum() >= share * k else -1

                verdicts, gained = {"right": 0, "wrong": 0, "abstain": 0}, []
                for w in positives:
                    c = decide(w["word"])
                    v = "abstain" if c < 0 else "right" if names[c] in w["classes"] else "wrong"
                    verdicts[v] += 1
                    i = kv.key_to_index.get(w["word"])
                    if c >= 0 and i is not None and table[i] < 0:
                        gained.append(f"{w['word']}->{names[c]}")
                named = [f"{w['word']}->{names[decide(w['word'])]}" for w in negatives
                         if decide(w["word"]) >= 0]
                rows.append({"dataset": ds, "k": k, "share": share, **verdicts,
                             "words": len(positives), "gained": gained,
                             "negative_precision": 1 - len(named) / len(negatives),
                             "negatives_named": named})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    lines = ["# Neighbour vote on the knowledge table (development half; rejected)", "",
             "Written by `experiments/open_vocabulary/neighbour_vote.py` (module docstring). "
             "right / wrong / abstain on the positives with the default table plus the vote; "
             "words gained over the table alone; precision on the development negatives.", "",
             "| data set | k | share | right / wrong / abstain | gained | negatives |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['k']} | {r['share']} | {r['right']} / {r['wrong']}"
                     f" / {r['abstain']} of {r['words']} | {', '.join(r['gained']) or '—'} | "
                     f"{r['negative_precision']:.1%} |")
    OUT.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
