"""The served-model unseen-word report: its counts per group and half, and its table."""

import json

from experiments.open_vocabulary.unseen_words_export import fractions, render

ROW = {"dataset": "fashion_mnist", "seed": 0, "steps": 20000, "samples": 10,
       "option": "wordnet_wup+plurals-labels+numerals", "vector_difference": 0.0, "refused": ["tee"],
       "words": ["jeans", "gown", "trousers", "tee"],
       "landed": [True, False, True, True],
       "rewritten": [False, False, True, False],
       "halves": ["held_out", "development", "held_out", "development"]}


def test_fractions_count_the_words_that_stay_unseen_apart_from_the_rewritten():
    f = fractions(ROW)
    assert f == {"unseen": (2, 3), "development": (1, 2), "held_out": (1, 1),
                 "rewritten": (1, 1)}


def test_render_compares_with_the_python_rows_and_gives_the_sample_sd(tmp_path):
    python = {**ROW, "training": "paper", "landed": [True, True, True, True]}
    (tmp_path / "unseen_words.json").write_text(json.dumps({"rows": [python]}))
    other = {**ROW, "seed": 1, "landed": [False, False, True, True]}
    text = render([ROW, other], tmp_path)
    assert "| fashion_mnist | 0 |" in text and "**2/3 (66.7%)**" in text
    assert "| 3/4 |" in text  # seed 0: three words land alike in Python and in the export
    assert "| – |" in text  # seed 1 has no Python row
    assert "0.0e+00 | tee |" in text
    # stay unseen: 66.7% and 33.3% -> mean 50.0, sample sd 23.6
    assert "fashion_mnist, unseen: 50.0 ± 23.6% over 2 seed(s)" in text
