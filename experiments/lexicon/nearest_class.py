#!/usr/bin/env python
"""Is an unseen word's nearest class name the intended class, with raw GloVe or with GloVe
retrofitted to WordNet? A diagnostic of the word vectors alone: no model, no training.

    python -m experiments.lexicon.nearest_class        # writes results/lexicon_nearest_class.{json,md}

For each word of the committed list (pse_tf/labels/unseen_words.json): the class whose name's
vector has the highest cosine with the word's vector (`geometry.class_scores`, as
`nearest_class` does), under the label encoding built with lexicon "none" and with lexicon
"wordnet" (class names and word both from the same table). A word that the default text
normalisation (`open_vocabulary.DEFAULT`: plurals towards class-name words, numerals spelt out)
rewrites into a class name is counted apart: it gets that class's own row whichever the vectors.
"""

from __future__ import annotations

import argparse
import sys
import time

from experiments.results_file import ResultsFile

LEXICONS = ("none", "wordnet")


def score_words(encodings: dict, entries: list[dict]) -> list[dict]:
    """One row per word: whether normalisation rewrites it into a class name, and the nearest
    class under each encoding.

    Args:
        encodings: {lexicon: word-vector LabelEncoding}, all over the same class names.
        entries: [{"word", "class", "why"}] (`pse_tf.labels.unseen_words`).
    """
    from experiments.open_vocabulary.mappings import nearest_class
    from pse_tf.labels.open_vocabulary import DEFAULT

    first = next(iter(encodings.values()))
    names = first.class_names
    words = [e["word"] for e in entries]
    nearest = {lexicon: nearest_class(enc, words) for lexicon, enc in encodings.items()}
    rows = []
    for i, entry in enumerate(entries):
        rewritten = DEFAULT.normalise(entry["word"], names)
        rows.append({
            "word": entry["word"], "class": entry["class"], "why": entry["why"],
            "rewritten_to": rewritten if rewritten in names else None,
            **{f"nearest_{lexicon}": names[int(nearest[lexicon][i])] for lexicon in encodings},
        })
    return rows


def summary(rows: list[dict], lexicons=LEXICONS) -> dict:
    """Counts of words whose nearest class is right, apart for rewritten and other words."""
    out = {}
    for group, keep in (("not_rewritten", lambda r: r["rewritten_to"] is None),
                        ("rewritten", lambda r: r["rewritten_to"] is not None)):
        chosen = [r for r in rows if keep(r)]
        out[group] = {"words": len(chosen), **{
            f"right_{lexicon}": sum(r[f"nearest_{lexicon}"] == r["class"] for r in chosen)
            for lexicon in lexicons}}
    return out


def render(state: dict) -> str:
    lines = ["# Nearest class name of unseen words: raw GloVe vs GloVe retrofitted to WordNet", "",
             state.get("method", ""), "",
             "| data set | words | right, raw GloVe | right, retrofitted | rewritten into a "
             "label (apart) | of those right, raw / retrofitted |",
             "|---|---|---|---|---|---|"]
    for dataset, entry in state.get("datasets", {}).items():
        s, r = entry["summary"]["not_rewritten"], entry["summary"]["rewritten"]
        lines.append(f"| {dataset} | {s['words']} | {s['right_none']} | {s['right_wordnet']} | "
                     f"{r['words']} | {r['right_none']} / {r['right_wordnet']} |")
    for dataset, entry in state.get("datasets", {}).items():
        lines += ["", f"## {dataset}", "",
                  "| word | class | why | rewritten to | nearest, raw | nearest, retrofitted |",
                  "|---|---|---|---|---|---|"]
        for row in entry["rows"]:
            marks = {lex: ("" if row[f"nearest_{lex}"] == row["class"] else " ✗")
                     for lex in LEXICONS}
            lines.append(f"| {row['word']} | {row['class']} | {row['why']} | "
                         f"{row['rewritten_to'] or ''} | {row['nearest_none']}{marks['none']} | "
                         f"{row['nearest_wordnet']}{marks['wordnet']} |")
    return "\n".join(lines) + "\n"


METHOD = (
    "Method: for each word of pse_tf/labels/unseen_words.json, the class whose name vector has "
    "the highest cosine with the word vector (geometry.class_scores / mappings.nearest_class). "
    "'raw': GloVe 6B 50-d; 'retrofitted': the same vectors retrofitted to WordNet 3.0 "
    "(Faruqui et al., 2015; synonyms, direct hypernyms and hyponyms; 10 steps, alpha = 1, "
    "beta = 1/degree; pse_tf.labels.lexicon), class names and words from the same table. Words "
    "that the default text normalisation (plural -> class-name word, numeral -> number word) "
    "rewrites into a class name are counted apart: they get the class's own row. A diagnostic of "
    "the word vectors, not of a trained model."
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="results", help="folder of the results files")
    args = parser.parse_args(argv)

    from pse_tf.data import CLASS_NAMES
    from experiments.open_vocabulary.mappings import unseen_words
    from pse_tf.labels import LabelEncoding

    results = ResultsFile(args.out, "lexicon_nearest_class", {}, render)
    results.state = {"method": METHOD, "datasets": {}}
    for dataset in ("fashion_mnist", "mnist"):
        t0 = time.perf_counter()
        encodings = {lexicon: LabelEncoding.build(CLASS_NAMES[dataset], "word2vec",
                                                  lexicon=lexicon) for lexicon in LEXICONS}
        rows = score_words(encodings, unseen_words(dataset))
        results.state["datasets"][dataset] = {"summary": summary(rows), "rows": rows}
        print(f"{dataset}: {summary(rows)} ({time.perf_counter() - t0:.1f} s)")
    results.save("lexicon nearest class")
    print(results.md_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
