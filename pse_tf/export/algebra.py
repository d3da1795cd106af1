"""The query grammar (`pse_tf.inference.query`) in tf.strings ops, for the text signatures.

The same rules, in the graph (tests/export/test_hostile_text.py checks both accept and refuse
the same texts and give the same vectors); texts must also be valid UTF-8. The phrases' words
are read here too: the normalisation (`normalise_phrases`) and `phrase_tokens` (`phrase_rows`).
"""

from __future__ import annotations

import tensorflow as tf

# Python's str.split() separators (str.isspace), for RE2, which knows only ASCII \s.
WHITESPACE = (r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}"
              r"\x{2029}\x{202f}\x{205f}\x{3000}]+")
_GLUED = r"(?s)[+-].*|.*[+-]"  # a token starting or ending with an operator character


def tokens(texts):
    """Whitespace tokens of each text: RaggedTensor string [N, (k)]."""
    return tf.strings.split(tf.strings.regex_replace(texts, WHITESPACE, " "), sep=None)


def _first(flags):
    """Index of the first True of a bool vector; its length when there is none."""
    return tf.argmax(tf.cast(tf.concat([flags, [True]], 0), tf.int32), output_type=tf.int64)


def _pick(values, index, fill=""):
    return tf.gather(tf.concat([values, [fill]], 0), index)


def checks(texts, spec: str) -> list:
    """Asserts that every text of string [N] is UTF-8 and a query of the grammar; their
    messages start with `spec` and name the first bad text by index (and text, when it is
    UTF-8)."""
    def check(ok, parts):
        return tf.debugging.Assert(ok, [tf.strings.join(parts)], summarize=1)

    valid = tf.equal(tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace",
                                                  replacement_char=0xFFFD), texts)
    utf8 = check(tf.reduce_all(valid), [
        spec + "; phrase ", tf.strings.as_string(_first(tf.logical_not(valid))),
        " is not valid UTF-8 text"])
    with tf.control_dependencies([utf8]):
        texts = tf.identity(texts)
    words = tokens(texts)
    flat, row = words.flat_values, words.value_rowids()
    position = tf.range(tf.size(flat, tf.int64), dtype=tf.int64) - tf.gather(words.row_starts(),
                                                                               row)
    lengths = tf.gather(words.row_lengths(), row)
    is_op = tf.logical_or(tf.equal(flat, "+"), tf.equal(flat, "-"))
    after_op = tf.logical_and(tf.concat([[False], is_op[:-1]], 0), position > 0)
    misplaced = tf.logical_and(is_op, tf.reduce_any(
        tf.stack([tf.equal(position, 0), tf.equal(position, lengths - 1), after_op]), 0))
    glued = tf.logical_and(tf.strings.regex_full_match(flat, _GLUED), tf.logical_not(is_op))
    empty = tf.equal(words.row_lengths(), 0)
    first_empty, first_misplaced, first_glued = _first(empty), _first(misplaced), _first(glued)
    bad_row = _pick(row, first_misplaced, tf.size(texts, tf.int64))
    glued_row = _pick(row, first_glued, tf.size(texts, tf.int64))
    return [
        utf8,
        check(tf.logical_not(tf.reduce_any(empty)), [
            spec + "; phrase ", tf.strings.as_string(first_empty), " (",
            _pick(texts, first_empty), ") has no words"]),
        check(tf.logical_not(tf.reduce_any(misplaced)), [
            spec + "; phrase ", tf.strings.as_string(bad_row), " (", _pick(texts, bad_row),
            "): an operator (+ or -) must stand between two phrases (use the Python API or "
            "CLI to check a query)"]),
        check(tf.logical_not(tf.reduce_any(glued)), [
            spec + "; phrase ", tf.strings.as_string(glued_row), " (", _pick(texts, glued_row),
            "): word `", _pick(flat, first_glued), "` starts or ends with an operator; write "
            "operators apart, between spaces (boot - ankle)"]),
    ]


def terms(texts):
    """The phrases of checked texts (`checks`): (phrases string [T], signs float32 [T],
    text index int64 [T]), in text order, as `parse_query` gives them."""
    words = tokens(texts)
    flat, row = words.flat_values, words.value_rowids()
    is_op = tf.logical_or(tf.equal(flat, "+"), tf.equal(flat, "-"))
    ops = tf.cumsum(tf.cast(is_op, tf.int64))
    before_row = tf.gather(tf.concat([[0], ops], 0), words.row_starts())  # ops in earlier texts
    in_row = ops - tf.gather(before_row, row)  # phrase index within its text
    ops_per_row = tf.math.unsorted_segment_sum(tf.cast(is_op, tf.int64), row,
                                               tf.size(texts, tf.int64))
    per_row = tf.where(words.row_lengths() > 0, ops_per_row + 1, 0)
    first_term = tf.cumsum(per_row, exclusive=True)
    index = tf.gather(first_term, row) + in_row  # each token's phrase, over all texts
    count = tf.reduce_sum(per_row)
    word = tf.logical_not(is_op)
    phrases = tf.strings.unsorted_segment_join(tf.boolean_mask(flat, word),
                                               tf.boolean_mask(index, word), count, separator=" ")
    signs = tf.tensor_scatter_nd_update(
        tf.ones([count], tf.float32), tf.boolean_mask(index, is_op)[:, None],
        tf.where(tf.equal(tf.boolean_mask(flat, is_op), "-"), -1.0, 1.0))
    text_index = tf.repeat(tf.range(tf.size(texts, tf.int64)), per_row)
    return phrases, signs, text_index


# -- tokenisation (pse_tf.labels.phrase_tokens and the text normalisation, in the graph) -----
_COMPOUND = r"[-/]+"  # pse_tf.labels.vectors._COMPOUND_SPLIT


def normalise_phrases(replacements, phrases):
    """`OpenVocabulary.normalise` in tf.strings ops: each whitespace token whose lowercase form is
    a key of `replacements` (StaticHashTable string -> string, default ""; None: `phrases`
    unchanged) is replaced; tokens are joined by one space. string [N] -> string [N]."""
    if replacements is None:
        return phrases
    split = tokens(phrases)
    flat = split.flat_values
    found = replacements.lookup(tf.strings.lower(flat, encoding="utf-8"))
    flat = tf.where(tf.strings.length(found) > 0, found, flat)
    return tf.strings.reduce_join(split.with_flat_values(flat), axis=1, separator=" ")


def phrase_rows(table, phrases):
    """`phrase_tokens` in tf.strings ops: the rows in `table` (string -> int64, default -1) of
    the words of each phrase of `phrases` string [N].

    Returns:
        (rows, words): RaggedTensors [N, (T)] of int64 rows (-1 for a word not in the table) and
        of the words looked up (for error messages).
    """
    def lookup(words):
        rows = table.lookup(words)
        return tf.where(rows >= 0, rows, table.lookup(tf.strings.lower(words, encoding="utf-8")))

    split = tokens(phrases)
    flat = split.flat_values
    compound = tf.strings.regex_replace(flat, _COMPOUND, " ")
    has_parts = tf.strings.length(tf.strings.strip(compound)) > 0
    # A found token stays whole; a missing one without parts ("---") stays whole so that the
    # error names it, as the Python encoder does.
    source = tf.where(tf.logical_or(lookup(flat) >= 0, tf.logical_not(has_parts)), flat, compound)
    words = split.with_flat_values(tf.strings.split(source, sep=None)).merge_dims(1, 2)
    return words.with_flat_values(lookup(words.flat_values)), words
