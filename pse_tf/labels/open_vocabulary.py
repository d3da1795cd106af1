"""Open vocabulary: encoding words that are not training labels (paper §5, Fig. 6).

Why a rule is needed: the label encoder q(z|l) = N(W l + b, softplus(V l + c)) trained on C
class vectors only moves W inside their span, so a new word's q(z|word) is mostly set by
untrained weights; and in GloVe 50-d some class vectors are hubs, so even nearest-class is
often wrong. The rule (`DEFAULT`, measured on `pse_tf.labels.benchmark`,
docs/open-vocabulary.md) changes no trained weight and none of the paper's metrics:

1. text normalisation: numerals 0-20 spelt out, plurals of class-name words made singular
   ("sandals" -> "sandal"; only towards class-name words, so "jeans" does not become "jean");
2. a phrase that is (or normalises to) a class name gets the class's stored row;
3. a one-word phrase that names a class gets that class's row: the words a user taught
   (`read_taught_words`, `OpenVocabulary.teach`), else the knowledge table
   (`pse_tf.labels.knowledge`);
4. any other phrase keeps its own vector (the mean of its words' vectors), as in the paper.

`OpenVocabulary.word_classes` is step 3's table over the word vectors; Python (`encode`) and
the export (`pse_tf.export.text`, with the same table and `replacements`) both read it. The
mappings it superseded live in experiments/open_vocabulary/mappings.py.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping, Sequence

import numpy as np

from pse_tf.labels.vectors import phrase_tokens

MAPPINGS = ("raw", "knowledge")
PLURALS = ("off", "labels")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen", "twenty")
# One token that starts with a letter: what a taught word may be (the query grammar reads it as
# one phrase; "anti-" or "7" would not be a word).
TAUGHT_WORD = re.compile(r"[^\W\d_]([\w'.-]*[\w'.])?")


# -- text normalisation ---------------------------------------------------------------------------
def singular(word: str, targets: set[str]) -> str:
    """`word` made singular if that form is in `targets`, else `word` unchanged; rules tried
    most specific first: -ies -> -y, -(s|x|ch|sh)es -> drop -es, -s -> drop -s."""
    lower = word.lower()
    candidates = []
    if lower.endswith("ies"):
        candidates.append(lower[:-3] + "y")
    if lower.endswith("es"):
        candidates.append(lower[:-2])
    if lower.endswith("s") and not lower.endswith("ss"):
        candidates.append(lower[:-1])
    for candidate in candidates:
        if candidate in targets:
            return candidate
    return word


def singular_tokens(phrase: str, targets: set[str]) -> str:
    """`phrase` with each whitespace token made singular by `singular` ("t-shirts" -> "t-shirt"
    when "t-shirt" is a target)."""
    return " ".join(singular(token, targets) for token in phrase.split())


# Written the plain way only ("7", not "07" or other scripts' digits), so the map is finite and
# the SavedModel can hold it as a table (`OpenVocabulary.replacements`).
NUMERALS = {str(i): word for i, word in enumerate(NUMBER_WORDS)}


def spell_numerals(phrase: str) -> str:
    """`phrase` with each token that is a whole number 0..20 spelt out ("7" -> "seven")."""
    return " ".join(NUMERALS.get(t, t) for t in phrase.split())


def plural_forms(target: str) -> set[str]:
    """Every word that `singular` can turn into `target`: target+s, target+es, and
    target[:-1]+ies for a target ending in y."""
    forms = {target + "es"}
    if not target.endswith("s"):  # `singular` leaves -ss alone
        forms.add(target + "s")
    if target.endswith("y"):
        forms.add(target[:-1] + "ies")
    return forms


# -- the rule -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class OpenVocabulary:
    """How a phrase that is not a class name becomes a label vector (module docstring).

    Args:
        plurals: str. "off" or "labels" (`singular_tokens` towards class-name words).
        numerals: bool. Spell out numbers 0..20 first (`spell_numerals`).
        mapping: str. "raw" (phrase vectors, the paper) or "knowledge" (the knowledge table).
        taught: ((word, class name, where), ...). Words a user taught (`teach`), before the
            knowledge table whatever the mapping; `where` ("file:line") is for error messages.
    """

    plurals: str = "off"
    numerals: bool = False
    mapping: str = "raw"
    taught: tuple = ()

    def __post_init__(self):
        for name, allowed in (("plurals", PLURALS), ("mapping", MAPPINGS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")

    @property
    def name(self) -> str:
        parts = [self.mapping]
        if self.plurals != "off":
            parts.append(f"plurals-{self.plurals}")
        if self.numerals:
            parts.append("numerals")
        if self.taught:
            parts.append(f"taught{len(self.taught)}")
        return "+".join(parts)

    @property
    def normalises_text(self) -> bool:
        return self.numerals or self.plurals != "off"

    def teach(self, words) -> OpenVocabulary:
        """This rule with more taught `words`: {word: class name}, or a path to a file of
        `word<TAB>class` lines (`read_taught_words`).

        Raises:
            TaughtWordsError: a bad file line or pair (one line naming the file and line).
        """
        if isinstance(words, (str, os.PathLike)):
            pairs = read_taught_words(words)
        else:
            pairs = tuple(_checked_pair(w, c, f"taught word {i + 1}")
                          for i, (w, c) in enumerate(dict(words).items()))
        return dataclasses.replace(self, taught=self.taught + pairs)

    def replacements(self, class_names: Sequence[str]) -> dict[str, str]:
        """The text normalisation as a finite map, lowercased token -> the token it becomes
        (numerals 0..20, `plural_forms` of class-name words): `normalise` applies it token by
        token, and the SavedModel holds it as a lookup table (pse_tf.export.text)."""
        if not self.normalises_text:
            return {}
        keys = set(NUMERALS) if self.numerals else set()
        if self.plurals != "off":
            targets = set(class_names) | {t for n in class_names for t in n.split()}
            # a whole multi-word class name is a target, but never one whitespace token
            keys |= {form for t in targets if len(t.split()) == 1
                     for form in plural_forms(t.lower())}
        out = {}
        for key in sorted(keys):
            value = NUMERALS.get(key, key) if self.numerals else key
            if self.plurals != "off":
                value = singular(value, targets)
            if value != key:
                out[key] = value
        return out

    def normalise(self, phrase: str, class_names: Sequence[str]) -> str:
        """The phrase after text normalisation (`numerals`, then `plurals`): `replacements`
        applied to each whitespace token (its lowercase form is looked up), tokens joined by
        one space."""
        if not self.normalises_text:
            return phrase
        table = _replacements(self, tuple(class_names))
        return " ".join(table.get(t.lower(), t) for t in phrase.split())

    def word_classes(self, kv, class_names: Sequence[str]) -> np.ndarray:
        """The class each word of the word vectors `kv` names under this rule, -1 for none:
        int64 [V] in row order. Taught words first, then (mapping "knowledge") the knowledge
        table. Python's `encode` and the export's stored table both read this.

        Raises:
            TaughtWordsError: a taught class is not a class name, or a taught word is not one
                word of the word vectors.
        """
        if self.mapping == "knowledge":
            from pse_tf.labels.knowledge import knowledge_table

            table = knowledge_table(kv, class_names)
            table = table.copy() if self.taught else table
        else:
            table = np.full(len(kv.index_to_key), -1, np.int64)
        for word, name, where in self.taught:
            row = _taught_row(kv, class_names, word, name, where)  # checks the class first
            table[row] = list(class_names).index(name)
        return table

    def encode(self, encoding, phrases: Sequence[str]) -> np.ndarray:
        """Label vectors [N, L] for `phrases` under a word-vector `LabelEncoding`: a class name
        or a one-word phrase that names a class (`word_classes`) gets that class's row."""
        if encoding.encoding != "word2vec":
            raise ValueError("open vocabulary needs a word-vector label encoding, "
                             f"got {encoding.encoding!r}")
        names = encoding.class_names
        normalised = [self.normalise(p, names) for p in phrases]
        # taught words are checked on first use, whatever the phrases, before a phrase's own
        # error: a bad taught file is the error a user must see first
        kv = encoding.word_vectors() if self.taught or self.mapping != "raw" else None
        table = self.word_classes(kv, names) if self.taught else None
        vectors = encoding.encode(normalised)
        if kv is None:
            return vectors
        for i, phrase in enumerate(normalised):
            if phrase in names:
                continue
            keys = phrase_tokens(kv, phrase)
            if len(keys) == 1:
                table = self.word_classes(kv, names) if table is None else table
                c = table[kv.key_to_index[keys[0]]]
                if c >= 0:
                    vectors[i] = encoding.vectors[c]
        return vectors


# The measured default (docs/open-vocabulary.md): text normalisation, then a one-word phrase that
# the knowledge table maps to a class gets its row.
DEFAULT = OpenVocabulary(plurals="labels", numerals=True, mapping="knowledge")


@functools.lru_cache(maxsize=32)
def _replacements(vocabulary: OpenVocabulary, class_names: tuple) -> dict[str, str]:
    return vocabulary.replacements(class_names)


def encode_default(encoding, phrases: Sequence[str], vocabulary: OpenVocabulary = DEFAULT
                   ) -> np.ndarray:
    """Label vectors [N, L] of a user's phrases under `vocabulary` (default `DEFAULT`): its
    normalisation, then the encoding (word vectors: `vocabulary.encode`; one-hot: the class rows
    of the normalised phrases)."""
    if encoding.encoding != "word2vec":
        return encoding.encode([vocabulary.normalise(p, encoding.class_names) for p in phrases])
    return vocabulary.encode(encoding, phrases)


# -- words a user teaches -------------------------------------------------------------------------
class TaughtWordsError(ValueError):
    """A taught word, its class or its file line is not what was expected."""


def _checked_pair(word, name, where: str) -> tuple[str, str, str]:
    if not isinstance(word, str) or not TAUGHT_WORD.fullmatch(word):
        raise TaughtWordsError(f"{where}: {word!r} is not a word (one token that starts with a "
                               "letter, e.g. 'skorts')")
    if not isinstance(name, str) or not name.strip():
        raise TaughtWordsError(f"{where}: the class of {word!r} is empty; expected a class name")
    return word, name.strip(), where


def read_taught_words(path) -> tuple[tuple[str, str, str], ...]:
    """The (word, class name, "file:line") pairs of a file of `word<TAB>class` lines; blank and
    "#" lines are skipped, class names are checked when used (`OpenVocabulary.word_classes`).

    Raises:
        TaughtWordsError: a line without exactly two tab-separated columns, a word that is not a
            word, or one word taught two classes; the message names the file and line.
        FileNotFoundError: no such file.
    """
    out, seen = [], {}
    text = open(path, encoding="utf-8").read()
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{os.fspath(path)}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 2:
            raise TaughtWordsError(f"{where}: expected 'word<TAB>class', got {len(columns)} "
                                   f"tab-separated column(s): {line!r}")
        word, name, _ = _checked_pair(columns[0].strip(), columns[1], where)
        if seen.get(word.lower(), name) != name:
            raise TaughtWordsError(f"{where}: {word!r} is taught both {seen[word.lower()]!r} "
                                   f"and {name!r}")
        seen[word.lower()] = name
        out.append((word, name, where))
    return tuple(out)


def _taught_row(kv, class_names: Sequence[str], word: str, name: str, where: str) -> int:
    if name not in class_names:
        raise TaughtWordsError(f"{where}: unknown class {name!r} for {word!r}; expected one of "
                               f"{list(class_names)}")
    try:
        keys = phrase_tokens(kv, word)
    except ValueError:
        keys = []
    if len(keys) != 1:
        raise TaughtWordsError(f"{where}: {word!r} is not one word of the word vectors, so no "
                               "phrase can reach it")
    return kv.key_to_index[keys[0]]
