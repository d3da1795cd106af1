#!/usr/bin/env python
"""Does the default rule collapse a held-out class name onto a seen class? (No training.)

For each zero-shot split of experiments/open_vocabulary/zero_shot.py (5 splits of 2 held-out
classes per data set), the knowledge table is computed over the *seen* class names only, and
each held-out class name is looked up: a name the table maps to a seen class would be encoded
by that class's row, so its images would be drawn as the seen class (the collapse the previous
Wu-Palmer rule showed: every digit is a sibling of every other). Beside it, the previous rule
(`experiments.open_vocabulary.lexical_classes`, Wu-Palmer >= 0.8) on the same names.

    python -m experiments.open_vocabulary.zero_shot_collapse

Writes experiments/open_vocabulary/results/zero_shot_collapse.{json,md}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "zero_shot_collapse"


def main() -> int:
    from experiments.open_vocabulary import zero_shot_scores as zs

    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels.knowledge import DEFAULT_RULE, word_classes
    from experiments.open_vocabulary.lexical_classes import lexical_classes
    from pse_tf.labels.lexicon import wordnet

    reader = wordnet()
    rows = []
    for dataset, names in CLASS_NAMES.items():
        for split, held_out in enumerate(zs.held_out_splits(len(names))):
            seen = [n for i, n in enumerate(names) if i not in held_out]
            unseen = [names[i] for i in held_out]
            # the table reads one word; a multi-word name is looked up by its head word too
            heads = [n.split()[-1] for n in unseen]
            table = word_classes(reader, unseen, seen, DEFAULT_RULE)
            table_heads = word_classes(reader, heads, seen, DEFAULT_RULE)
            old = lexical_classes(reader, unseen, seen)
            for name, c, h, o in zip(unseen, table, table_heads, old):
                rows.append({"dataset": dataset, "split": split, "held_out": name,
                             "knowledge": seen[c] if c >= 0 else None,
                             "knowledge_head_word": seen[h] if h >= 0 else None,
                             "previous_rule": seen[o] if o >= 0 else None})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    collapsed = [r for r in rows if r["knowledge"] or r["knowledge_head_word"]]
    old = [r for r in rows if r["previous_rule"]]
    lines = ["# Held-out class names under the default rule (no training)", "",
             f"Knowledge table (`{DEFAULT_RULE.name}`) over the seen names only: "
             f"{len(collapsed)} of {len(rows)} held-out names map to a seen class; the previous "
             f"rule (Wu-Palmer >= 0.8): {len(old)} of {len(rows)}.", "",
             "| data set | split | held-out name | knowledge table | (head word) | previous rule |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | {r['split']} | {r['held_out']} | {r['knowledge'] or '-'} | "
              f"{r['knowledge_head_word'] or '-'} | {r['previous_rule'] or '-'} |" for r in rows]
    OUT.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(lines[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
