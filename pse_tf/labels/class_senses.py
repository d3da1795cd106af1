"""Which WordNet 3.0 senses a class name stands for, for the knowledge table
(`pse_tf.labels.knowledge`).

A class name's noun senses of the whole name ("ankle_boot"), else of its last word ("boot"), are
all read; the class *stands for* the senses whose coherence with the other classes is within
`sense_tolerance` of its best sense's, and that subsume no other class's sense, coherence being
the mean depth of the deepest hypernym it shares with each other class's first sense: "zero"
stands for the digit (zero.n.02), not "nothing" (nothing.n.01).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def name_senses(reader, name: str) -> list:
    """The noun senses of a class name: of the whole name, else of its last word."""
    whole = reader.synsets(name.lower().replace(" ", "_").replace("-", "_"), "n")
    if not whole:
        whole = reader.synsets(name.lower(), "n")
    return whole or reader.synsets(name.lower().split()[-1], "n")


def shared_depth(a, b) -> int:
    """Depth of the deepest hypernym `a` and `b` share (0: none)."""
    return max((h.max_depth() + 1 for h in a.lowest_common_hypernyms(b)), default=0)


def below(synset) -> set:
    """Names of `synset` and every synset under it (hyponyms and instance hyponyms)."""
    out, frontier = {synset.name()}, [synset]
    while frontier:
        frontier = [h for s in frontier for h in s.hyponyms() + s.instance_hyponyms()
                    if h.name() not in out]
        out.update(h.name() for h in frontier)
    return out


def class_senses(reader, class_names: Sequence[str], rule) -> list[list]:
    """The synsets each class stands for (module docstring), in class order, under a
    `pse_tf.labels.knowledge.Rule` (its `senses`, `sense_tolerance` and `parent`)."""
    candidates = [name_senses(reader, c) for c in class_names]
    if rule.senses == "first":
        chosen = [s[:1] for s in candidates]
    else:
        chosen = []
        for c, senses in enumerate(candidates):
            others = [o[0] for k, o in enumerate(candidates) if k != c and o]
            coherence = [np.mean([shared_depth(s, t) for t in others]) if others else 0.0
                         for s in senses]
            best = max(coherence, default=0.0)
            kept = [(h, -i, s) for i, (s, h) in enumerate(zip(senses, coherence))
                    if h >= best - rule.sense_tolerance]
            kept = [s for _, _, s in sorted(kept, key=lambda x: (-x[0], -x[1]))]
            if rule.senses == "coherent" and kept:
                parents = set(kept[0].hypernyms())
                kept = [kept[0]] + [s for s in senses
                                    if s is not kept[0] and parents & set(s.hypernyms())]
            chosen.append(kept)
    # beside its most coherent sense, a class never stands for one that subsumes another
    # class's (dress's apparel.n.01 holds shirt); shirt.n.01 holding the t-shirt sense stays
    main = [s[0] for s in chosen if s]
    under = {s.name(): below(s) for senses in chosen for s in senses}
    out = [[s for i, s in enumerate(senses)
            if i == 0 or not any(m.name() in under[s.name()] for m in main if m is not senses[0])]
           for senses in chosen]
    if rule.parent:
        own = [{s.name() for s in senses} for senses in out]
        for c, senses in enumerate(out):
            if not senses:
                continue
            # only the main sense's: another sense's parent would widen a rare meaning
            for h in senses[0].hypernyms():
                under_h = below(h)
                if len(under_h) <= rule.parent and h not in senses and not any(
                        own[k] & under_h for k in range(len(out)) if k != c):
                    senses.append(h)
    return out
