"""results/unseen_words.md from results/unseen_words.json (`unseen_words.py` writes both): the
table per (data set, training, option), the training phrases, and the per-word table."""

from __future__ import annotations

import numpy as np

from pse_tf.labels.open_vocabulary import DEFAULT


def summarise(state):
    rows = state["rows"]
    lines = ["# Open vocabulary: unseen words (PSE*, GloVe 6B 50-d labels)", "",
             "Words that are not training labels (pse_tf/labels/unseen_words.json), 1,000 images "
             "each from q(z|word), classified by the fixed evaluator. A word *lands* when the "
             "majority class is the intended one; *accuracy* is its fraction of images in the "
             "intended class. *Word vectors alone*: the cosine (or the option's similarity) "
             "nearest class phrase after the option's text normalisation, no model. Every option "
             "is applied only to phrases that are not class names, on the same trained model, so "
             "the paper's three metrics (test set, generation over 3 x 100,000 images) are "
             "those of that model. *Training* says how the model was trained: `paper` (as the "
             "paper), `label_weight_decay=λ` (L2 on the label encoder's kernels) or "
             "`label_neighbours=k` (**adds phrases to training**: each class also trains on the "
             "words it owns among its k nearest, `pse_tf.labels.neighbours`; uniformly with its "
             "name, or with `label_name_share=p` the name on a share p of its examples); "
             "*held-out landed "
             "%* is the landed fraction over the list words that are not among the training "
             "phrases (all of them for the other rows), and in brackets the paper model's landed % "
             "on the same words, same seeds. Mean ± std over seeds.",
             "",
             "| data set | training | option | seeds | steps | landed % | held-out landed % | "
             "mean accuracy % | word vectors alone % | reconstruction | annotation % | "
             "generation % | scoring s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def fmt(values, scale=100, digits=1):
        v = scale * np.asarray(values, float)
        return f"{v.mean():.{digits}f} ± {v.std():.{digits}f}" if len(v) > 1 else \
            f"{v[0]:.{digits}f}"

    for ds in sorted({r["dataset"] for r in rows}):
        groups = dict.fromkeys((training_name(r), r["option"]) for r in rows if r["dataset"] == ds)
        for trained, name in groups:
            mine = [r for r in rows if r["dataset"] == ds and r["option"] == name
                    and training_name(r) == trained]
            tag = " **(default)**" if name == DEFAULT.name and trained == "paper" else ""
            lines.append(
                f"| {ds} | `{trained}` | `{name}`{tag} | {sorted(r['seed'] for r in mine)} | "
                f"{sorted({r['steps'] for r in mine})} | {fmt([r['fraction_landed'] for r in mine])}"
                f" | {fmt([held_out_landed(r) for r in mine])}{paper_on_same_words(rows, mine)}"
                f" | {fmt([r['mean_accuracy'] for r in mine])} | "
                f"{fmt([r['word_vectors_alone'] for r in mine])} | "
                f"{fmt([r['metrics']['reconstruction_error'] for r in mine], 1)} | "
                f"{fmt([r['metrics']['annotation_accuracy'] for r in mine])} | "
                f"{fmt([r['metrics']['generation_accuracy'] for r in mine])} | "
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
        first = [r for r in rows if r["dataset"] == ds and training_name(r) == "paper" and
                 r["seed"] == min(x["seed"] for x in rows if x["dataset"] == ds)]
        by_name = {r["option"]: r for r in first}
        shown = [n for n in ("raw", DEFAULT.name) if n in by_name]
        if not shown:
            continue
        lines += [f"## {ds}: per word (seed {first[0]['seed']}, {first[0]['steps']} steps)", "",
                  "| word | intended | why | " + " | ".join(
                      f"`{n}` majority | `{n}` acc %" for n in shown) + " | nearest class |",
                  "|---|---|---|" + "---|---|" * len(shown) + "---|"]
        for i, w in enumerate(state["words"][ds]):
            cells = []
            for n in shown:
                r = by_name[n]
                mark = "✓" if r["landed"][i] else "✗"
                cells += [f"{r['majority'][i]} {mark}", f"{100 * r['accuracy'][i]:.0f}"]
            nearest = by_name[shown[0]]["nearest"][i]
            lines.append(f"| {w['word']} | {w['class']} | {w['why']} | " + " | ".join(cells)
                         + f" | {nearest} |")
        lines.append("")
    return "\n".join(lines)


def training_name(row) -> str:
    """How a row's model was trained; rows from before `--training` existed are `paper`."""
    return row.get("training", "paper")


def held_out_landed(row) -> float:
    """Landed fraction over the list words that were not training phrases."""
    kept = [hit for hit, seen in zip(row["landed"], row.get("word_in_training", [])
                                     or [False] * len(row["landed"])) if not seen]
    return sum(kept) / len(kept) if kept else float("nan")


def paper_on_same_words(rows, mine) -> str:
    """For rows whose training added phrases: the paper model's landed % (same option, data set,
    steps and seeds) over the same held-out words, so the two numbers compare like for like."""
    if not any(any(r.get("word_in_training", [])) for r in mine):
        return ""
    scores = []
    for r in mine:
        paper = [p for p in rows if training_name(p) == "paper" and p["option"] == r["option"]
                 and p["dataset"] == r["dataset"] and p["steps"] == r["steps"]]
        scores += [held_out_landed({**p, "word_in_training": r["word_in_training"]})
                   for p in paper if p["seed"] == r["seed"]]
    return f" (paper model: {100 * np.mean(scores):.1f})" if scores else ""


def in_training(words, normalised, extra) -> list[bool]:
    """Whether each list word (as written or normalised) is one of the training phrases."""
    taught = {w for phrases in extra.values() for w in phrases}
    return [w["word"] in taught or n in taught for w, n in zip(words, normalised)]
