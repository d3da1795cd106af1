"""The nearest-class diagnostic on a toy vocabulary: rows, counts kept apart, the table."""

import numpy as np

from experiments.lexicon.nearest_class import render, score_words, summary
from pse_tf.labels import LabelEncoding


def _encoding(vectors, lexicon):
    return LabelEncoding("word2vec", ("coat", "bag"), vectors, "", lexicon)


def test_rows_and_counts(monkeypatch):
    from pse_tf.labels.vectors import keyed_vectors

    words = ["coat", "bag", "coats", "purse"]
    raw = keyed_vectors(words, np.array([[1, 0], [0, 1], [1, 0.1], [1, 0.2]], np.float32))
    fitted = keyed_vectors(words, np.array([[1, 0], [0, 1], [1, 0.1], [0.2, 1]], np.float32))
    tables = {"none": raw, "wordnet": fitted}
    monkeypatch.setattr(LabelEncoding, "word_vectors", lambda self: tables[self.lexicon])
    encodings = {lex: _encoding(tables[lex].vectors[:2], lex) for lex in tables}
    entries = [{"word": "coats", "class": "coat", "why": "plural"},
               {"word": "purse", "class": "bag", "why": "hyponym"}]
    rows = score_words(encodings, entries)
    assert rows[0]["rewritten_to"] == "coat" and rows[1]["rewritten_to"] is None
    assert (rows[1]["nearest_none"], rows[1]["nearest_wordnet"]) == ("coat", "bag")
    counts = summary(rows)
    assert counts["not_rewritten"] == {"words": 1, "right_none": 0, "right_wordnet": 1}
    assert counts["rewritten"]["words"] == 1
    text = render({"method": "m", "datasets": {"toy": {"summary": counts, "rows": rows}}})
    assert "| toy | 1 | 0 | 1 | 1 |" in text and "| purse | bag | hyponym |  | coat ✗ | bag |" in text
