"""The knowledge table: which training class, if any, each word of the word vectors names.

One decision per vocabulary word, computed once and read wherever a word meets a class:
encoding (`OpenVocabulary(mapping="knowledge")`), annotation (`pse_tf.inference`) and the export
(`pse_tf.export.text`). A rule over the whole vocabulary, never a list of chosen words; `Rule`
holds its options, `DEFAULT_RULE` those chosen on the benchmark's development half
(docs/open-vocabulary.md, experiments/open_vocabulary/knowledge_rules.py).

A class stands for some of the WordNet 3.0 senses of its name (`pse_tf.labels.class_senses`:
"zero" for the digit, zero.n.02, not "nothing"). A word names class c when

- it is a number form of c's name given by `inflect` (a class named "five": "fifth", "5th"), or
- one of its noun senses is one of c's senses (a synonym: "nought", "ace") or lies below one in
  WordNet's hypernym (and instance) hierarchy (a hyponym: "cardigan" below sweater), never beside
  it: siblings ("six" and "seven" under digit) name nothing. With `parent`, a class also stands
  for the direct hypernym of its sense when that hypernym subsumes no other class (pullover's
  sweater.n.01, so "sweater" and "cardigan" name it); or
- with `number_senses`, it shares the first adjective or adverb sense of a number form of c's
  name ("secondly" with "second", "half-dozen" with "six") or is an adverb that pertains to one
  ("fifthly"); with `number_affixes`, it is a cardinal class name followed by a suffix that
  WordNet's lemmas attach to at least `number_affixes` of the number-word class names
  ("sevenfold", "fivefold", "five-spot"), and no number word of another value ("fourteen",
  "sixties"); with `affix_senses`, it shares the first adjective or adverb sense of such a word
  ("quintuple" with "fivefold", "double" and "dual" with "twofold");
- with `other_senses`, one of its noun senses is its *first* noun sense and is another sense of
  c's name that holds no other class ("nil", "zilch": nothing.n.01, a sense of "zero");
- with `heads`, WordNet does not know it and it splits into a known word and a head of at least
  4 letters that names c ("trenchcoat", "gumboots": English compounds are head-final);
- with `thesaurus`, none of the rules above names it, English hardly uses it (no form of it has a
  sense SemCor counts, and it is no function word), and in one entry of FreeDict's
  English-German dictionary at least half of the listed English synonyms name c and none names
  another class ("hoodie": "hooded sweatshirt", "hoody"); a synonym names a class through its
  first noun sense or the number-word rules, and a phrase WordNet does not know through its
  last word.

When a word's senses name several classes, the earliest sense (WordNet orders a word's senses by
frequency) decides, then the more specific class (t-shirt below shirt).

`-1` is "abstain": the word keeps its own word vector.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from pse_tf.labels.class_senses import below, class_senses, name_senses
from pse_tf.labels.number_words import ABSTAIN, NumberAffixes, number_forms, number_senses
from pse_tf.data.wordnet import WORDLIKE
from pse_tf.labels.synonyms import (counted_lemmas, synonym_class, thesaurus_class,
                                    used_in_english)
from pse_tf.labels.table_cache import cached_table, table_path, wordnet_root

# Bump when any rule changes: cached tables of the old rule are then unused.
RULE_VERSION = "knowledge-v5"


@dataclasses.dataclass(frozen=True)
class Rule:
    """Which of the knowledge table's rules (module docstring) decide a word's class;
    `DEFAULT_RULE` has every one on (the study variants: `StudyRule` in experiments/).

    Args:
        parent: int. Also the direct hypernym of a class sense when it subsumes no other class
            and at most this many synsets (sweater.n.01 for "pullover": 5); 0 for never.
        numbers: bool. `inflect`'s ordinal forms of number-word class names.
        dictionaries: bool. A word the English rules leave unnamed and English does not use (no
            sense of it in SemCor's counts, so "man" and "due" stay English) names class c when
            its FreeDict translations (`pse_tf.data.freedict`) that name a class all name c
            ("cinq" -> five, "manteau" -> coat).
        number_senses: bool. Adjective and adverb senses of number forms (module docstring).
        number_affixes: int. Cardinal name + a suffix productive on at least this many
            number-word class names in WordNet; 0 for never.
        affix_senses: bool. Adjective and adverb senses of the words `number_affixes` names.
        other_senses: bool. The lemmas of the class name's other noun senses, for words whose
            first noun sense it is.
        heads: bool. Compounds unknown to WordNet named by their head.
        thesaurus: bool. Words English hardly uses, named by the English synonyms that
            FreeDict's English-German dictionary lists (module docstring).
    """

    parent: int = 10
    numbers: bool = True
    dictionaries: bool = True
    number_senses: bool = True
    number_affixes: int = 5
    affix_senses: bool = True
    other_senses: bool = True
    heads: bool = True
    thesaurus: bool = True
    # What the library's rule always does; `StudyRule` (experiments) makes them options.
    senses = "coherent"  # a class stands for its name's most coherent sense (class_senses)
    sense_tolerance = 0.0
    compounds = False
    max_sense = 0
    foreign = "uncounted"

    def __post_init__(self):
        for field in ("parent", "number_affixes"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must be >= 0, got {getattr(self, field)}")

    def namer(self, reader, class_names) -> ClassNamer:
        """The `ClassNamer` that decides words under this rule."""
        return ClassNamer(reader, class_names, self)

    @property
    def name(self) -> str:
        """The options as one string, in export metadata and result files."""
        parts = [self.senses + (f"{self.sense_tolerance:g}" if self.senses == "coherent_ties"
                                else "")]
        parts += [f"parent{self.parent}"] if self.parent else []
        parts += [k for k in ("compounds", "numbers") if getattr(self, k)]
        if self.max_sense:
            parts.append(f"max_sense{self.max_sense}")
        if self.dictionaries:
            parts.append("freedict" + ("" if self.foreign == "all" else "_" + self.foreign))
        parts += ["number_senses"] if self.number_senses else []
        parts += [f"affixes{self.number_affixes}"] if self.number_affixes else []
        parts += ["affix_senses"] if self.affix_senses and self.number_affixes else []
        parts += [k for k in ("other_senses", "heads", "thesaurus") if getattr(self, k)]
        return "+".join(parts)


DEFAULT_RULE = Rule()


# -- the table ------------------------------------------------------------------------------------
class ClassNamer:
    """Decides which training class, if any, a word names under a `Rule` (module docstring):
    `namer(word)` is the class index or ABSTAIN. Builds the tables every word is checked
    against once per (WordNet, class names, rule)."""

    def __init__(self, reader, class_names, rule):
        self.reader = reader
        self.rule = rule
        self.senses = class_senses(reader, class_names, rule)
        # synset name -> (class, depth of the class sense); the deepest (most specific) wins
        self.owner: dict[str, tuple[int, int]] = {}
        for c, senses in enumerate(self.senses):
            for s in senses:
                depth = s.min_depth()
                for name in below(s):
                    if name not in self.owner or self.owner[name][1] < depth:
                        self.owner[name] = (c, depth)
        self.numbers = number_forms(class_names) if rule.numbers else {}
        self.derived: dict[str, int] = {}
        if rule.number_senses:
            self.derived.update(number_senses(reader, class_names))
        self.other_words: set[str] = set()
        if rule.other_senses:
            for word, c in self._other_senses(class_names).items():
                if word not in self.derived:
                    self.derived[word] = c
                    self.other_words.add(word)
        self.affixes = (NumberAffixes(reader, class_names, rule.number_affixes)
                        if rule.number_affixes else None)
        if self.affixes is not None and rule.affix_senses:
            for word, c in self.affixes.senses(reader).items():
                self.derived.setdefault(word, c)
        self.lemmas = ({lemma.lower() for lemma in reader.all_lemma_names()}
                       if rule.heads else set())
        self.counted_words = (counted_lemmas(reader) if rule.thesaurus or rule.dictionaries
                              else set())
        self._meanings: dict[str, int] = {}

    def _other_senses(self, class_names) -> dict[str, int]:
        names = {n.lower().replace(" ", "_") for n in class_names}
        out: dict[str, set] = {}
        for c, name in enumerate(class_names):
            others = names - {name.lower().replace(" ", "_"), name.lower().split()[-1]}
            for synset in name_senses(self.reader, name):
                lemmas = {lemma.lower() for lemma in synset.lemma_names()}
                # a sense the table already reads, or one that holds another class's name
                if synset.name() in self.owner or lemmas & others:
                    continue
                for lemma in lemmas:
                    first = self.reader.synsets(lemma, "n")[:1]
                    if "_" not in lemma and first and first[0] == synset:
                        out.setdefault(lemma, set()).add(c)
        return {w: next(iter(cs)) for w, cs in out.items() if len(cs) == 1}

    def head_class(self, word: str) -> int:
        """The class the head of a compound WordNet does not know names ("trenchcoat")."""
        # a bound on the splits tried: a word this long is no compound of two words
        if not word.isalpha() or len(word) > 40 or self.reader.synsets(word):
            return ABSTAIN
        named = {self.meaning_class(word[i:]) for i in range(3, len(word) - 3)
                 if word[:i] in self.lemmas}
        named.discard(ABSTAIN)
        return named.pop() if len(named) == 1 else ABSTAIN

    def sense_class(self, word: str, max_sense: int | None = None) -> int:
        """The class of the word's earliest noun sense (of its first `max_sense`; None: all)
        that is or lies below a class sense."""
        if not WORDLIKE.fullmatch(word):
            return ABSTAIN
        senses = self.reader.synsets(word, "n")[:max_sense]
        for s in senses:
            hit = self.owner.get(s.name())
            if hit is not None:
                return hit[0]
        return ABSTAIN

    def __call__(self, word) -> int:
        """The class `word` names: English first, then the dictionaries, then the thesaurus."""
        if not isinstance(word, str) or not word:
            return ABSTAIN
        lower = word.lower()
        c = self.english_class(lower)
        if c == ABSTAIN and self.rule.dictionaries and self.reads_dictionaries(lower):
            from pse_tf.data.freedict import translations

            named = {self.english_class(t.replace(" ", "_")) for t in translations(lower)} - {ABSTAIN}
            if len(named) == 1:
                return named.pop()
        if c == ABSTAIN and self.rule.thesaurus and not used_in_english(
                self.reader, self.counted_words, lower):
            return thesaurus_class(lower, functools.partial(
                synonym_class, self.reader, self.usual_class))
        return c

    def reads_dictionaries(self, lower: str) -> bool:
        """Whether the dictionaries may name the word: English does not use it."""
        return lower not in self.counted_words

    def meaning_class(self, lower: str) -> int:
        """The word's class by its English meaning: the class senses, number forms and derived
        words, no compound heads or dictionaries (cached: heads look up the same endings again
        and again)."""
        if lower not in self._meanings:
            self._meanings[lower] = self._meaning_class(lower)
        return self._meanings[lower]

    def usual_class(self, lower: str) -> int:
        """The class of the word in its usual meaning, as a synonym is read: only its first noun
        sense, and not another sense of a class name ("club" is no nine)."""
        return self._meaning_class(lower, usual=True)

    def _meaning_class(self, lower: str, usual: bool = False) -> int:
        if lower in self.numbers:
            return self.numbers[lower]
        c = self.sense_class(lower, 1 if usual else None)
        if c == ABSTAIN and lower in self.derived and not (usual and lower in self.other_words):
            return self.derived[lower]
        if c == ABSTAIN and self.affixes is not None:
            return self.affixes(lower)
        return c

    def english_class(self, lower: str) -> int:
        """`meaning_class`, else (with `heads`) the class a compound's head names."""
        c = self.meaning_class(lower)
        if c == ABSTAIN and self.rule.heads:
            return self.head_class(lower)
        return c


def word_classes(reader, words: Sequence[str], class_names: Sequence[str],
                 rule: Rule = DEFAULT_RULE) -> np.ndarray:
    """The class each word names, or -1 (abstain): int64 [N], for any words (uncached)."""
    namer = rule.namer(reader, tuple(class_names))
    return np.array([namer(w) for w in words], np.int64)


def knowledge_table(kv, class_names: Sequence[str], rule: Rule = DEFAULT_RULE) -> np.ndarray:
    """`word_classes` of every word of the word vectors `kv`, in row order: int64 [V]; cached
    per process and on disk (`table_cache`), since GloVe's 400,000 words take about a minute."""
    from pse_tf.labels.lexicon import wordnet

    return _table(wordnet(), tuple(kv.index_to_key), tuple(class_names), rule)


@functools.lru_cache(maxsize=8)
def _table(reader, words: tuple, class_names: tuple, rule: Rule) -> np.ndarray:
    parts = [RULE_VERSION, rule]
    if rule.dictionaries or rule.thesaurus:
        from pse_tf.data import freedict

        parts.append(f"freedict {freedict.VERSION}")
    parts += ["\n".join(class_names), "\n".join(w if isinstance(w, str) else repr(w)
                                                 for w in words)]
    path = table_path(wordnet_root(reader), "knowledge", parts)
    return cached_table(path, (len(words),), lambda: word_classes(reader, words, class_names, rule),
                        np.int8 if len(class_names) < 127 else np.int64).astype(np.int64)
