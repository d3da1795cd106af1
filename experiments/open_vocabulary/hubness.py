#!/usr/bin/env python
"""Word vectors alone, no model: how many unseen-list words have the intended class as their
nearest class phrase, under each similarity, hubness corrections included.

    python -m experiments.open_vocabulary.hubness [--commit]

Cheap (seconds): it says which similarity could pick neighbour phrases or map a word to a class
before any training is spent on it. Writes results/word_vector_hubness.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VOCABULARY = 50_000
SIMILARITIES = ("cosine", "centred", "csls", "reverse_rank", "inverted_softmax-b10",
                "inverted_softmax-b30", "inverted_softmax-b100")


def nearest(encoding, vectors, similarity, vocabulary):
    """Index of the best class of each vector under `similarity`, [N]."""
    import numpy as np

    from experiments.open_vocabulary import geometry, mappings as ov

    if similarity in geometry.SIMILARITIES:
        penalty = ov.csls_penalty(encoding) if similarity == "csls" else None
        scores = geometry.class_scores(vectors, encoding.vectors, similarity, penalty)
    elif similarity == "reverse_rank":
        scores = geometry.class_side_scores(vectors, encoding.vectors, vocabulary, "reverse_rank")
    else:
        beta = float(similarity.split("-b")[1])
        scores = geometry.class_side_scores(vectors, encoding.vectors, vocabulary,
                                            "inverted_softmax", beta)
    return np.argmax(scores, axis=1)


def measure(dataset):
    """One row per similarity: which words' best class is the intended one, and the words'
    halves and groups (`vocabulary.word_groups`), so the file re-renders without the vectors."""
    import numpy as np

    from experiments.open_vocabulary.vocabulary import landed_counts, word_groups
    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels import LabelEncoding
    from experiments.open_vocabulary.mappings import unseen_words
    from pse_tf.labels.open_vocabulary import DEFAULT

    names = CLASS_NAMES[dataset]
    encoding = LabelEncoding.build(names, "word2vec")
    words = unseen_words(dataset)
    normalised = [DEFAULT.normalise(w["word"], names) for w in words]
    intended = np.array([names.index(w["class"]) for w in words])
    # A word rewritten into a class name has that class's own vector: counted apart.
    groups = word_groups(normalised, names)
    halves = [w["half"] for w in words]
    vectors = encoding.encode(normalised)
    vocabulary = encoding.word_vectors().vectors[:VOCABULARY]
    rows = []
    for similarity in SIMILARITIES:
        hit = nearest(encoding, vectors, similarity, vocabulary) == intended
        rows.append({"dataset": dataset, "similarity": similarity,
                     "words": [w["word"] for w in words], "half": halves, "groups": groups,
                     "correct": hit.tolist(), "counts": landed_counts(hit, groups, halves)})
    return rows


def render(state) -> str:
    lines = ["# Word vectors alone: nearest class phrase of the unseen words", "",
             "**Headline**: correct % over the words that stay unseen, i.e. whose normalised "
             "phrase is not a class name (`vocabulary.rewritten_into_label`, case- and "
             "punctuation-insensitive); development and held_out halves apart; n = words.", "",
             "GloVe 6B 50-d; each word of pse_tf/labels/unseen_words.json after the default text "
             "normalisation (`open_vocabulary.DEFAULT`); correct when the best-scoring class is "
             "the intended one. *cosine*, *centred*, *csls* (r(c) over the 50,000 most frequent "
             "words, k = 10) score a word against the ten class phrases; *reverse_rank* and "
             "*inverted_softmax* (β) correct for hubs from the class side over the same "
             f"{VOCABULARY:,} words (`geometry.class_side_scores`). A word the "
             "normalisation rewrites into a class name gets that class's own vector (right under "
             "cosine, centred and csls; the class-side corrections can still miss it): its "
             "column counts it apart. No model, no training. "
             f"Wall time {state['seconds']:.0f} s.", "",
             "| data set | similarity | **correct %, stays unseen (n)** | development (n) | "
             "held_out (n) | rewritten into a label: correct k/n |", "|---|---|---|---|---|---|"]

    def cell(c):
        return f"{100 * c['landed'] / c['words']:.1f} ({c['words']})" if c["words"] else "– (0)"

    for r in state["rows"]:
        c = r["counts"]
        lines.append(f"| {r['dataset']} | {r['similarity']} | **{cell(c['all'])}** | "
                     f"{cell(c['development'])} | {cell(c['held_out'])} | "
                     f"{c['rewritten']['landed']}/{c['rewritten']['words']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from experiments.results_file import ResultsFile

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="results")
    p.add_argument("--commit", action="store_true")
    args = p.parse_args(argv)
    t0 = time.time()
    rows = [r for ds in ("fashion_mnist", "mnist") for r in measure(ds)]
    results = ResultsFile(args.out, "word_vector_hubness", {}, render, args.commit)
    results.state.clear()
    results.state.update({"rows": rows, "vocabulary": VOCABULARY, "seconds": time.time() - t0})
    results.save("word_vector_hubness: word vectors alone, hubness corrections")
    print(render(results.state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
