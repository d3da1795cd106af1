"""The query grammar: the one reading of user text, shared by the Python API, the CLI, the demo
and the SavedModel's text signatures (`pse_tf.export.text` runs the same rules with tf.strings).

A query is phrases joined by `+` and `-`:

    query    := phrase (operator phrase)*
    operator := a token that is exactly "+" or "-"
    phrase   := one or more word tokens, joined by one space

1. Tokens are the text split on whitespace (`str.split()`).
2. A token that is exactly `+` or `-` is an operator; a `-` or `+` inside a word belongs to the
   word: "shirt - sleeve + dress" is three phrases, "t-shirt" and "T-shirt/top" one each.
3. A word may not start or end with `+` or `-` ("-ankle", "c++"): "boot -ankle" most likely
   meant "boot - ankle".
4. The text may not be empty, start or end with an operator, or hold two in a row.

A query's label vector is the signed sum of its phrases' vectors, l = sum_i s_i v(p_i), each
phrase the mean of its words' vectors (paper §2.1). This module only splits; the label encoding
(`pse_tf.labels`) normalises and looks words up. Errors are one-line `InputError`s.
"""

from __future__ import annotations

OPERATORS = {"+": 1.0, "-": -1.0}


class InputError(ValueError):
    """Bad user input: an empty phrase, a malformed query, an unreadable or mis-sized image."""


def parse_query(query: str) -> list[tuple[float, str]]:
    """Splits "a + b - c" into [(1.0, "a"), (1.0, "b"), (-1.0, "c")] (rules: module docstring).

    Raises:
        InputError: not a str, empty, an operator at either end or two in a row, or a word
            glued to an operator.
    """
    if not isinstance(query, str):
        raise InputError(f"a query must be a str, got {type(query).__name__}")
    terms, sign, words = [], 1.0, []
    for token in query.split():
        if token in OPERATORS:
            if not words:
                raise InputError(f"query {query!r}: {token!r} must stand between two phrases")
            terms.append((sign, " ".join(words)))
            sign, words = OPERATORS[token], []
        elif token[0] in OPERATORS or token[-1] in OPERATORS:
            raise InputError(f"query {query!r}: word {token!r} starts or ends with an operator; "
                             f"write operators apart, between spaces (\"boot - ankle\")")
        else:
            words.append(token)
    if not words:
        raise InputError(f"query {query!r} is empty" if not terms else
                         f"query {query!r} ends with an operator")
    terms.append((sign, " ".join(words)))
    return terms

