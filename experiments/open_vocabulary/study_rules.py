"""The knowledge table's options that only the studies vary (knowledge_rules.py,
rejected_rules.py): how a class's senses are chosen, compound first parts, the abstain margin,
and whether the dictionaries read words English uses. The library's `Rule` fixes each at the
value the studies chose (`pse_tf.labels.knowledge`).
"""

from __future__ import annotations

import dataclasses

from pse_tf.labels.knowledge import ClassNamer, Rule
from pse_tf.labels.number_words import ABSTAIN

SENSE_CHOICES = ("first", "coherent", "coherent_ties")
FOREIGN_CHOICES = ("all", "uncounted")


@dataclasses.dataclass(frozen=True)
class StudyRule(Rule):
    """`Rule` with the study-only options.

    Args:
        senses: str. "first" (a class stands for the first noun sense of its name),
            "coherent" (the library's: its most coherent sense, the first in WordNet's order
            among ties, and the other senses of the name with the same direct hypernym) or
            "coherent_ties" (every sense within `sense_tolerance` of the most coherent).
        sense_tolerance: float. See `senses`.
        compounds: bool. A word names c when it is the first part of WordNet compound lemmas
            that all name c ("tee" of "tee_shirt") and names nothing by its own senses.
        max_sense: int. A word names a class only through one of its `max_sense` most frequent
            noun senses (an abstain margin); 0 for no limit.
        foreign: str. Which words the dictionaries read: "uncounted" (the library's: words
            English does not use) or "all" (every word the English rules leave unnamed).
    """

    senses: str = "coherent"
    sense_tolerance: float = 0.0
    compounds: bool = False
    max_sense: int = 0
    foreign: str = "uncounted"

    def __post_init__(self):
        super().__post_init__()
        if self.senses not in SENSE_CHOICES:
            raise ValueError(f"senses must be one of {SENSE_CHOICES}, got {self.senses!r}")
        if self.foreign not in FOREIGN_CHOICES:
            raise ValueError(f"foreign must be one of {FOREIGN_CHOICES}, got {self.foreign!r}")
        if self.max_sense < 0:
            raise ValueError(f"max_sense must be >= 0, got {self.max_sense}")

    def namer(self, reader, class_names) -> StudyNamer:
        return StudyNamer(reader, class_names, self)


class StudyNamer(ClassNamer):
    """`ClassNamer` with `StudyRule`'s options (its `senses` reach `class_senses` through the
    rule)."""

    def __init__(self, reader, class_names, rule: StudyRule):
        super().__init__(reader, class_names, rule)
        self.compound = self._compounds() if rule.compounds else {}

    def _compounds(self) -> dict[str, int]:
        seen: dict[str, set] = {}
        for synset in self.reader.all_synsets("n"):
            owner = self.owner.get(synset.name(), (None,))[0]
            for lemma in synset.lemma_names():
                parts = lemma.lower().split("_")
                if len(parts) == 2 and parts[0]:
                    seen.setdefault(parts[0], set()).add(owner)
        return {w: next(iter(o)) for w, o in seen.items() if len(o) == 1 and None not in o}

    def sense_class(self, word: str, max_sense: int | None = None) -> int:
        limit = self.rule.max_sense if max_sense is None else max_sense
        return super().sense_class(word, limit or None)

    def _meaning_class(self, lower: str, usual: bool = False) -> int:
        if lower not in self.numbers and lower in self.compound and \
                self.sense_class(lower, 1 if usual else None) == ABSTAIN:
            return self.compound[lower]
        return super()._meaning_class(lower, usual)

    def reads_dictionaries(self, lower: str) -> bool:
        return self.rule.foreign == "all" or super().reads_dictionaries(lower)
