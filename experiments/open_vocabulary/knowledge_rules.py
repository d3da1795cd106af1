#!/usr/bin/env python
"""Chooses the knowledge table's rule (`pse_tf.labels.knowledge.Rule`) on the benchmark's
development half only, by the table's own decisions (no model):

- positives: a word is *right* when the table names one of its intended classes, *wrong* when it
  names another class, *abstains* otherwise (it then keeps its word vector);
- negatives (every negative word, against each data set's class names): *precision* is the
  share that abstains;
- load: how many of the 10,000 most frequent GloVe words name some class (a rule that maps
  "state" or "one" of "in one piece" everywhere shows here first).

One result file per rule tried, kept or rejected:
experiments/open_vocabulary/results/knowledge_rules/<rule name>.json, and a summary table
results.md beside them.

    python -m experiments.open_vocabulary.knowledge_rules            # every rule in RULES
    python -m experiments.open_vocabulary.knowledge_rules --half test  # only after choosing
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "knowledge_rules"
DATASETS = ("fashion_mnist", "mnist")


def rules():
    from experiments.open_vocabulary.study_rules import StudyRule as Rule

    # the rules of the first round, without the later additions (now on by default)
    before = {"number_senses": False, "number_affixes": 0, "other_senses": False, "heads": False,
              "foreign": "all", "affix_senses": False, "thesaurus": False}
    first_round = [
        Rule(senses="first", parent=0, compounds=False, numbers=False, dictionaries=False),
        Rule(senses="coherent_ties", parent=0, compounds=False, numbers=False,
             dictionaries=False),
        Rule(senses="coherent", parent=0, compounds=False, numbers=False, dictionaries=False),
        Rule(senses="coherent", parent=0, compounds=False, numbers=True, dictionaries=False),
        Rule(senses="coherent", parent=0, compounds=True, numbers=True, dictionaries=False),
        Rule(senses="coherent", parent=40, compounds=False, numbers=True, dictionaries=False),
        Rule(senses="coherent", parent=20, compounds=False, numbers=True, dictionaries=False),
        Rule(senses="coherent", parent=20, compounds=False, numbers=True, max_sense=1,
             dictionaries=False),
        Rule(senses="coherent", parent=20, compounds=False, numbers=True, max_sense=3,
             dictionaries=False),
        Rule(senses="coherent", parent=20, compounds=False, numbers=True, dictionaries=True),
        # the first round's choice: the same table on both data sets (pullover's sweater.n.01 has 5
        # synsets), but a held-out "shirt" no longer widens onto a seen "t-shirt" (11 synsets):
        # zero_shot_collapse.py
        Rule(senses="coherent", parent=10, compounds=False, numbers=True, dictionaries=True),
    ]
    first_round = [dataclasses.replace(r, **before) for r in first_round]
    return first_round + [
        # number words beyond inflect's ordinals, other senses' synonyms, compound heads
        Rule(**{**before, "number_senses": True}),
        Rule(**{**before, "number_senses": True, "number_affixes": 5}),
        Rule(**{**before, "number_senses": True, "number_affixes": 3}),
        Rule(**{**before, "number_senses": True, "number_affixes": 5, "other_senses": True}),
        Rule(foreign="all", affix_senses=False, thesaurus=False),  # all four
        # the dictionaries read only words English does not use ("man", "on", "film")
        Rule(affix_senses=False, thesaurus=False),
        # the senses of the affixed number words ("quintuple" with "fivefold")
        Rule(thesaurus=False),
        # English synonyms from the English-German dictionary ("hoodie": "hooded sweatshirt")
        Rule(),  # the default
    ]


def benchmark(half: str | None):
    from pse_tf.labels.benchmark import benchmark_words

    return ({ds: benchmark_words(ds, half) for ds in DATASETS},
            benchmark_words("negative", half))


def verdicts(words: list[dict], named, names) -> list[dict]:
    """Per benchmark word: the class the table names and whether that is right, wrong or an
    abstention."""
    rows = []
    for w, c in zip(words, named):
        got = names[c] if c >= 0 else None
        rows.append({"word": w["word"], "intended": w["classes"], "named": got,
                     "verdict": ("abstain" if got is None else
                                 "right" if got in w["classes"] else "wrong")})
    return rows


def evaluate(rule, half: str | None = "development", frequent: int = 10_000) -> dict:
    from pse_tf.data.datasets import CLASS_NAMES
    from pse_tf.labels import load_word_vectors
    from pse_tf.labels.knowledge import word_classes
    from pse_tf.labels.lexicon import wordnet
    from pse_tf.labels.vectors import phrase_tokens

    reader, kv = wordnet(), load_word_vectors()
    positives, negatives = benchmark(half)
    out = {"rule": rule.name, "options": rule.__dict__, "half": half or "all"}
    for ds in DATASETS:
        names = CLASS_NAMES[ds]
        words = positives[ds]
        rows = verdicts(words, word_classes(reader, [w["word"] for w in words], names, rule), names)
        counts = {v: sum(r["verdict"] == v for r in rows) for v in ("right", "wrong", "abstain")}
        single = [n["word"] for n in negatives if len(phrase_tokens(kv, n["word"])) == 1]
        neg = word_classes(reader, single, names, rule)
        wrong_neg = [{"word": w, "named": names[c]} for w, c in zip(single, neg) if c >= 0]
        load = word_classes(reader, kv.index_to_key[:frequent], names, rule)
        out[ds] = {"words": len(rows), **counts,
                   "negatives": len(negatives),
                   "negative_precision": 1 - len(wrong_neg) / len(negatives),
                   "negatives_named": wrong_neg,
                   f"frequent_{frequent}_named": int((load >= 0).sum()),
                   "frequent_named_examples": [kv.index_to_key[i] + "->" + names[load[i]]
                                               for i in range(frequent) if load[i] >= 0][:60],
                   "class_senses": None, "per_word": rows}
    return out


def summary(results: list[dict]) -> str:
    lines = ["# Knowledge-table rules on the benchmark's development half",
             "", "Written by `experiments/open_vocabulary/knowledge_rules.py`; one JSON per rule "
             "beside this file. right / wrong / abstain: the table's decision on the positive "
             "words; negatives: share of negative words that abstain; frequent: words of the "
             "10,000 most frequent GloVe words that name some class.", "",
             "| rule | Fashion right / wrong / abstain | MNIST right / wrong / abstain | "
             "negatives F / M | frequent named F / M |", "|---|---|---|---|---|"]
    for r in results:
        f, m = r["fashion_mnist"], r["mnist"]
        lines.append(f"| `{r['rule']}` | {f['right']}/{f['wrong']}/{f['abstain']} of {f['words']}"
                     f" | {m['right']}/{m['wrong']}/{m['abstain']} of {m['words']} | "
                     f"{f['negative_precision']:.1%} / {m['negative_precision']:.1%} | "
                     f"{f['frequent_10000_named']} / {m['frequent_10000_named']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--half", default="development", choices=("development", "test", "all"))
    p.add_argument("--only", help="one rule by name (the summary reads every file present)")
    args = p.parse_args(argv)
    half = None if args.half == "all" else args.half
    out = OUT if half == "development" else OUT / args.half
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for rule in rules():
        if args.only and rule.name != args.only:
            continue
        result = evaluate(rule, half)
        (out / f"{rule.name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False)
                                               + "\n")
        results.append(result)
        f, m = result["fashion_mnist"], result["mnist"]
        print(rule.name, {k: f[k] for k in ("right", "wrong", "abstain", "negative_precision")},
              {k: m[k] for k in ("right", "wrong", "abstain", "negative_precision")},
              f["frequent_10000_named"], m["frequent_10000_named"], flush=True)
    order = [r.name for r in rules()]
    results = [json.loads((out / f"{name}.json").read_text()) for name in order
               if (out / f"{name}.json").is_file()]
    (out / "results.md").write_text(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
