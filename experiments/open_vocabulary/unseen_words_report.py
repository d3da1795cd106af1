"""results/unseen_words.md from results/unseen_words.json (`unseen_words.py` writes both): the
table per (data set, training, option), the training phrases, and the per-word table.

Re-render a results file from its committed per-word rows, no model needed:

    python -m experiments.open_vocabulary.unseen_words_report [--out results] [--name unseen_words]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from experiments.open_vocabulary.vocabulary import landed_counts, word_groups
from pse_tf.labels.open_vocabulary import DEFAULT

HEADLINE = ("**Headline**: landed % over the words that stay unseen: a word whose normalised "
            "phrase is not a training label phrase (`vocabulary.rewritten_into_label`: equal to a "
            "class name, case- and punctuation-insensitively) nor, for `label_neighbours` "
            "training, one of its added phrases; development and held_out halves apart, n = "
            "words; mean ± sample sd (ddof = 1) over seeds.")


def summarise(state):
    rows = [complete_row(r, state["words"][r["dataset"]]) for r in state["rows"]]
    lines = [*(state.get("preamble") or ["# Open vocabulary: unseen words (PSE*, GloVe 6B 50-d "
                                         "labels)"]), "", HEADLINE, "",
             "Words that are not training labels (pse_tf/labels/unseen_words.json; each word's "
             "half drawn once by the rule in its `_about`: options are chosen on the development "
             "half, held_out is only reported), 1,000 images "
             "each from q(z|word), classified by the fixed evaluator. A word *lands* when the "
             "majority class is the intended one; *accuracy* is its fraction of images in the "
             "intended class. *Rewritten into a label*: the words the option's text "
             "normalisation turns into a class name (they get the class's own label vector, so "
             "they measure the text rule, not the model): landed k/n per seed, never in the "
             "headline. *Word vectors alone*: the cosine (or the option's similarity) nearest "
             "class phrase after the option's text normalisation, no model. Every option "
             "is applied only to phrases that are not class names, on the same trained model, so "
             "the paper's three metrics (test set, generation over 3 x 100,000 images) are "
             "those of that model. *Training* says how the model was trained: `paper` (as the "
             "paper), `label_weight_decay=λ` (L2 on the label encoder's kernels) or "
             "`label_neighbours=k` (**adds phrases to training**: each class also trains on the "
             "words it owns among its k nearest, `pse_tf.labels.neighbours`; uniformly with its "
             "name, or with `label_name_share=p` the name on a share p of its examples); its "
             "list words among those phrases are *taught* (landed k/n per seed, not in the "
             "headline), and in brackets beside its headline the paper model's landed % on the "
             "same words, same seeds. An option that normalises less leaves more words unseen, "
             "so compare options by their n too.",
             "",
             "| data set | training | option | seeds | steps | **landed %, stays unseen (n)** | "
             "development (n) | held_out (n) | rewritten into a label: landed k/n | taught: "
             "landed k/n | mean accuracy % (stays unseen) | word vectors alone % (stays unseen) | "
             "reconstruction | annotation % | generation % | scoring s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for ds in sorted({r["dataset"] for r in rows}):
        groups = dict.fromkeys((training_name(r), r["option"]) for r in rows if r["dataset"] == ds)
        for trained, name in groups:
            mine = [r for r in rows if r["dataset"] == ds and r["option"] == name
                    and training_name(r) == trained]
            tag = " **(default)**" if name == DEFAULT.name and trained == "paper" else ""
            lines.append(
                f"| {ds} | `{trained}` | `{name}`{tag} | {sorted(r['seed'] for r in mine)} | "
                f"{sorted({r['steps'] for r in mine})} | "
                f"**{landed_cell(mine, 'all')}**{paper_on_same_words(rows, mine)} | "
                f"{landed_cell(mine, 'development')} | {landed_cell(mine, 'held_out')} | "
                f"{counts_cell(mine, 'rewritten')} | {counts_cell(mine, 'taught')} | "
                f"{spread([r['headline']['mean_accuracy'] for r in mine])} | "
                f"{spread([r['headline']['word_vectors_alone'] for r in mine])} | "
                f"{spread([r['metrics']['reconstruction_error'] for r in mine], 1)} | "
                f"{spread([r['metrics']['annotation_accuracy'] for r in mine])} | "
                f"{spread([r['metrics']['generation_accuracy'] for r in mine])} | "
                f"{sum(r['seconds'] for r in mine):.0f} |")
    train_s = {(r["dataset"], r["seed"], r["steps"], training_name(r)):
               r["metrics"].get("train_seconds") or 0 for r in rows}
    lines += ["", f"Training of the {len(train_s)} model(s): "
              f"{sum(train_s.values()) / 60:.1f} min; scoring of all rows: "
              f"{sum(r['seconds'] for r in rows) / 60:.1f} min; 2 shared CPU cores.", ""]
    phrases = {(r["dataset"], training_name(r)): r["training_phrases"] for r in rows
               if r.get("training_phrases")}
    for (ds, trained), extra in sorted(phrases.items()):
        listed = sorted({w for words in extra.values() for w in words} & {
            x for r in rows if r["dataset"] == ds for x in r.get("in_training", [])})
        lines += [f"### {ds}, `{trained}`: the training phrases (drawn by the rule)", "",
                  *[f"- {c}: {', '.join(words) or '(none)'}" for c, words in extra.items()], "",
                  f"List words among them: {', '.join(listed) or 'none'}.", ""]
    for ds in sorted({r["dataset"] for r in rows}):
        lines += per_word_table(ds, rows, with_halves(ds, state["words"][ds]))
    return "\n".join(lines)


def per_word_table(ds, rows, words) -> list[str]:
    """The first seed's paper model, `raw` and the default option side by side, one line a word."""
    first = [r for r in rows if r["dataset"] == ds and training_name(r) == "paper" and
             r["seed"] == min(x["seed"] for x in rows if x["dataset"] == ds)]
    by_name = {r["option"]: r for r in first}
    shown = [n for n in ("raw", DEFAULT.name) if n in by_name]
    if not shown:
        return []
    lines = [f"## {ds}: per word (seed {first[0]['seed']}, {first[0]['steps']} steps)", "",
             "*rewritten → c*: the option's normalisation turns the word into the label c "
             "(not counted in the headline).", "",
             "| word | intended | why | half | " + " | ".join(
                 f"`{n}` majority | `{n}` acc %" for n in shown) + " | nearest class |",
             "|---|---|---|---|" + "---|---|" * len(shown) + "---|"]
    for i, w in enumerate(words):
        cells = []
        for n in shown:
            r = by_name[n]
            mark = "✓" if r["landed"][i] else "✗"
            rewritten = (f" (rewritten → {r['normalised'][i]})"
                         if r["groups"][i] == "rewritten" else "")
            cells += [f"{r['majority'][i]} {mark}{rewritten}", f"{100 * r['accuracy'][i]:.0f}"]
        nearest = by_name[shown[0]]["nearest"][i]
        lines.append(f"| {w['word']} | {w['class']} | {w['why']} | {w['half']} | "
                     + " | ".join(cells) + f" | {nearest} |")
    return [*lines, ""]


def spread(values, scale=100, digits=1) -> str:
    """Mean ± sample standard deviation (ddof = 1) over seeds; one value alone as it is."""
    v = scale * np.asarray(values, float)
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def landed_cell(rows, name) -> str:
    """Landed % of a `landed_counts` entry over seeds, with its n (the words counted)."""
    counts = [r["headline"]["landed_counts"][name] for r in rows]
    n = sorted({c["words"] for c in counts})
    if n == [0]:
        return "– (0)"
    return (f"{spread([c['landed'] / c['words'] for c in counts])} "
            f"({', '.join(map(str, n))})")


def counts_cell(rows, name) -> str:
    """k/n per seed of a `landed_counts` entry; "–" when no word is in it."""
    counts = [r["headline"]["landed_counts"][name] for r in rows]
    if not any(c["words"] for c in counts):
        return "–"
    return ", ".join(f"{c['landed']}/{c['words']}" for c in counts)


def training_name(row) -> str:
    """How a row's model was trained; rows from before `--training` existed are `paper`."""
    return row.get("training", "paper")


def with_halves(dataset, words) -> list[dict]:
    """`words` (a results file's list) with each word's half, joined by word from the committed
    list when the file predates the split."""
    from experiments.open_vocabulary.mappings import unseen_words

    if all("half" in w for w in words):
        return words
    half = {w["word"]: w["half"] for w in unseen_words(dataset)}
    missing = [w["word"] for w in words if w["word"] not in half]
    if missing:
        raise ValueError(f"{dataset}: words {missing} are not in pse_tf/labels/unseen_words.json,"
                         " so their half is unknown")
    return [{**w, "half": half[w["word"]]} for w in words]


def complete_row(row, words) -> dict:
    """A results row with its per-word `half` and `groups` and its `headline` (the scores over
    the words that stay unseen), added when missing; the all-word averages keep `_all_words`
    names so they cannot be read as the headline."""
    from pse_tf.data import CLASS_NAMES

    words = with_halves(row["dataset"], words)
    if len(words) != len(row["landed"]):
        raise ValueError(f"{row['dataset']} row {row['option']!r} seed {row['seed']} has "
                         f"{len(row['landed'])} words, the list has {len(words)}")
    row = dict(row)
    for old in ("fraction_landed", "mean_accuracy", "word_vectors_alone"):
        if old in row:
            row[f"{old}_all_words"] = row.pop(old)
    row["half"] = [w["half"] for w in words]
    row["groups"] = word_groups(row["normalised"], CLASS_NAMES[row["dataset"]],
                                row.get("word_in_training"))
    unseen = np.array([g == "unseen" for g in row["groups"]])
    intended = np.array([w["class"] for w in words])
    row["headline"] = {
        "landed_counts": landed_counts(row["landed"], row["groups"], row["half"]),
        "mean_accuracy": float(np.mean(np.asarray(row["accuracy"])[unseen])) if unseen.any()
        else float("nan"),
        "word_vectors_alone": float(np.mean((np.asarray(row["nearest"]) == intended)[unseen]))
        if unseen.any() else float("nan")}
    return row


def paper_on_same_words(rows, mine) -> str:
    """For rows whose training added phrases: the paper model's landed % (same option, data set,
    steps and seeds) over the same words that stay unseen, so the two compare like for like."""
    if not any("taught" in r["groups"] for r in mine):
        return ""
    scores = []
    for r in mine:
        keep = [g == "unseen" for g in r["groups"]]
        scores += [np.mean([hit for hit, k in zip(p["landed"], keep) if k]) for p in rows
                   if training_name(p) == "paper" and p["option"] == r["option"]
                   and p["dataset"] == r["dataset"] and p["steps"] == r["steps"]
                   and p["seed"] == r["seed"]]
    return f" (paper model: {100 * np.mean(scores):.1f})" if scores else ""


def in_training(words, normalised, extra) -> list[bool]:
    """Whether each list word (as written or normalised) is one of the training phrases."""
    taught = {w for phrases in extra.values() for w in phrases}
    return [w["word"] in taught or n in taught for w, n in zip(words, normalised)]


def rerender(out, name) -> dict:
    """Completes every row of results/<name>.json (`complete_row`), joins the words' halves,
    and rewrites the .json and its .md; returns the state."""
    from experiments.results_file import ResultsFile

    results = ResultsFile(out, name, {"rows": [], "words": {}}, summarise)
    state = results.state
    state["words"] = {ds: with_halves(ds, words) for ds, words in state["words"].items()}
    state["rows"] = [complete_row(r, state["words"][r["dataset"]]) for r in state["rows"]]
    results.save(f"{name}: re-rendered")
    return state


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    p.add_argument("--out", default="results")
    p.add_argument("--name", default="unseen_words", help="file stem, e.g. unseen_words_recheck")
    args = p.parse_args(argv)
    state = rerender(args.out, args.name)
    print(f"{args.name}: {len(state['rows'])} rows re-rendered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
