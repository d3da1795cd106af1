"""Words English hardly uses, named by the English synonyms that FreeDict's English-German
dictionary lists for them: the knowledge table's `thesaurus` rule (`pse_tf.labels.knowledge`)."""

from __future__ import annotations

from collections.abc import Callable

from pse_tf.data.wordnet import WORDLIKE
from pse_tf.labels.number_words import ABSTAIN


def counted_lemmas(reader) -> set[str]:
    """The lemmas (lower case, "_" for spaces) with a sense that SemCor counts: words in English
    use.

    Read from WordNet's sense index and count list directly: the same set as asking each of the
    207,000 lemmas for `count()`, which is one binary search of the count file per lemma (a
    minute and a half instead of a fifth of a second).
    """
    with reader.open("cntlist.rev") as counts_file, reader.open("index.sense") as index:
        counts = {line.split(" ", 1)[0]: int(line.rsplit(" ", 1)[1])
                  for line in counts_file.read().splitlines()}
        keys = [line.split(" ", 1)[0] for line in index.read().splitlines()]
    return {key.split("%", 1)[0] for key in keys if counts.get(key, 0) > 0}


def used_in_english(reader, counted: set[str], word: str) -> bool:
    """Whether English uses the word: a function word (gensim's list), or a word one of whose
    forms (WordNet's morphology) has a sense SemCor counts."""
    from gensim.parsing.preprocessing import STOPWORDS

    if word in STOPWORDS or word in counted or not WORDLIKE.fullmatch(word):
        return True
    return any(reader.morphy(word, pos) in counted for pos in "nvar")


def thesaurus_class(word: str, synonym_class: Callable[[str], int]) -> int:
    """The class that, in one of the word's entries, at least half of the listed synonyms name
    while none names another; ABSTAIN when there is none or entries disagree."""
    from pse_tf.data.freedict import synonyms

    named = set()
    for entry in synonyms(word):
        found = [synonym_class(s) for s in entry]
        classes = set(found) - {ABSTAIN}
        if len(classes) > 1:
            return ABSTAIN
        if classes and 2 * found.count(next(iter(classes))) >= len(found):
            named |= classes
    return named.pop() if len(named) == 1 else ABSTAIN


def synonym_class(reader, usual_class: Callable[[str], int], phrase: str) -> int:
    """A listed synonym's class by `usual_class` (the knowledge table's reading of a word in its
    usual meaning); a phrase WordNet does not know by its last word."""
    lemma = phrase.replace(" ", "_")
    if " " in phrase and not reader.synsets(lemma):
        lemma = phrase.split()[-1]
    return usual_class(lemma)
