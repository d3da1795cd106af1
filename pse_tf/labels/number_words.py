"""Number words for the knowledge table (`pse_tf.labels.knowledge`): the forms of a number-word
class name that `inflect` and WordNet 3.0 give, never a hand table."""

from __future__ import annotations

from collections.abc import Sequence

ABSTAIN = -1  # the knowledge table's "names no class"


def number_forms(class_names: Sequence[str]) -> dict[str, int]:
    """{form: class} for the classes whose name is a cardinal number word (inflect reads it):
    the ordinal word ("fifth"), the ordinal numeral ("5th") and the numeral ("5")."""
    import inflect

    engine = inflect.engine()
    words = {engine.number_to_words(n): n for n in range(0, 1000)}
    out = {}
    for c, name in enumerate(class_names):
        n = words.get(name.lower())
        if n is None:
            continue
        for form in (engine.ordinal(name.lower()), engine.ordinal(n), str(n)):
            out.setdefault(str(form).lower(), c)
    return out


def first_sense_lemmas(reader, word: str) -> list[str]:
    """The lemmas (lower case) of the word's first adjective sense, then of its first adverb
    sense."""
    out = []
    for pos in ("a", "r"):
        first = reader.synsets(word, pos)[:1]
        out += [lemma.lower() for lemma in first[0].lemma_names()] if first else []
    return out


def number_senses(reader, class_names: Sequence[str]) -> dict[str, int]:
    """{word: class}: the lemmas of the first adjective and adverb sense of each number form
    ("secondly" with "second", "half-dozen" with "six"), and adverbs that pertain to one
    ("fifthly")."""
    forms = number_forms(class_names)
    out: dict[str, int] = {}
    for form, c in forms.items():
        for lemma in first_sense_lemmas(reader, form):
            out.setdefault(lemma, c)
    for synset in reader.all_synsets("r"):
        for lemma in synset.lemmas():
            for p in lemma.pertainyms():
                if p.name().lower() in forms:
                    out.setdefault(lemma.name().lower(), forms[p.name().lower()])
    return {w: c for w, c in out.items() if "_" not in w}


def _other_numbers(engine, class_names: Sequence[str]) -> set[str]:
    """inflect's cardinal and ordinal words for 0-999 whose value is no class name's ("fourteen",
    "sixtieth"), hyphens as spaces."""
    own = {name.lower() for name in class_names}
    out = set()
    for n in range(1000):
        word = engine.number_to_words(n)
        if word not in own:
            out.update({word.replace("-", " "), str(engine.ordinal(word)).replace("-", " ")})
    return out


class NumberAffixes:
    """A cardinal class name followed by a suffix that WordNet's lemmas attach to at least
    `min_stems` of the number-word class names ("sevenfold", "five-spot"); called on a word, its
    class or -1, and -1 for a number word of another value ("fourteen", "sixties")."""

    def __init__(self, reader, class_names: Sequence[str], min_stems: int):
        import inflect

        self.engine = inflect.engine()
        numbers = {self.engine.number_to_words(n) for n in range(1000)}
        self.cardinals = {n.lower(): c for c, n in enumerate(class_names) if n.lower() in numbers}
        stems: dict[str, set] = {}
        for lemma in reader.all_lemma_names():
            lemma = lemma.lower()
            for stem in self.cardinals:
                rest = lemma[len(stem):]
                if lemma.startswith(stem) and rest and "_" not in rest:
                    stems.setdefault(rest, set()).add(stem)
        self.suffixes = {s for s, found in stems.items() if len(found) >= min_stems}
        self.others = _other_numbers(self.engine, class_names)

    def senses(self, reader) -> dict[str, int]:
        """{word: class}: the lemmas of the first adjective and adverb sense of each WordNet
        lemma this rule names ("quintuple" with "fivefold", "double" and "dual" with
        "twofold"); a lemma reached from two classes is dropped."""
        out: dict[str, set] = {}
        for lemma in reader.all_lemma_names():
            c = self(lemma.lower())
            if c == ABSTAIN:
                continue
            for name in first_sense_lemmas(reader, lemma):
                out.setdefault(name, set()).add(c)
        return {w: cs.pop() for w, cs in out.items() if len(cs) == 1 and "_" not in w}

    def __call__(self, word: str) -> int:
        for stem, c in self.cardinals.items():
            if word.startswith(stem) and word[len(stem):] in self.suffixes:
                forms = {word, self.engine.singular_noun(word) or word}
                if any(f.replace("-", " ") in self.others for f in forms):
                    return ABSTAIN  # "fourteen", "sixties": another number
                return c
        return ABSTAIN
