"""The unseen-words report and the script's option parsing, on hand-made rows: the headline
counts only the words that stay unseen, rewritten words apart, each half apart, sample sd."""

import argparse

import numpy as np
import pytest

from experiments.open_vocabulary.unseen_words import parse_training
from experiments.open_vocabulary.unseen_words_report import (complete_row, in_training,
                                                             paper_on_same_words, spread,
                                                             summarise, with_halves)
from experiments.open_vocabulary.vocabulary import (landed_counts, phrase_key,
                                                    rewritten_into_label, word_groups)
from pse_tf.data import CLASS_NAMES
from pse_tf.labels.open_vocabulary import DEFAULT

FASHION = CLASS_NAMES["fashion_mnist"]
WORDS = [{"word": "trousers", "class": "trouser", "why": "plural", "half": "held_out"},
         {"word": "pants", "class": "trouser", "why": "synonym", "half": "development"},
         {"word": "jeans", "class": "trouser", "why": "kind", "half": "held_out"},
         {"word": "boots", "class": "ankle boot", "why": "plural", "half": "development"}]
NORMALISED = ["trouser", "pants", "jeans", "boot"]  # DEFAULT's; only "trouser" is a label


def _row(option, seed, landed, training="paper", in_training=None, normalised=NORMALISED):
    metrics = {"reconstruction_error": 80.0, "annotation_accuracy": 0.9,
               "generation_accuracy": 0.5, "train_seconds": 60.0}
    return {"dataset": "fashion_mnist", "option": option, "seed": seed, "steps": 100,
            "training": training, "landed": landed, "word_in_training": in_training or [],
            "fraction_landed": sum(landed) / len(landed), "mean_accuracy": 0.25,
            "word_vectors_alone": 0.25, "accuracy": [0.5, 0.25, 0.0, 0.75],
            "majority": ["trouser", "dress", "bag", "ankle boot"],
            "nearest": ["trouser", "trouser", "bag", "bag"], "normalised": list(normalised),
            "metrics": metrics, "seconds": 6.0}


def _cells(md, start):
    line = next(line for line in md.splitlines() if line.startswith(start))
    return [c.strip() for c in line.split("|")[1:-1]]


def test_rewritten_into_label_is_an_exact_label_phrase_up_to_case_and_punctuation():
    assert phrase_key("T-Shirt") == phrase_key("t shirt") == phrase_key("t/shirt") == ("t", "shirt")
    assert phrase_key("Ankle  Boot!") == ("ankle", "boot") and phrase_key("--") == ()
    assert rewritten_into_label("trouser", FASHION)
    assert rewritten_into_label("T-SHIRT", FASHION) and rewritten_into_label("ankle-boot", FASHION)
    # a word of a label, a plural left as it is, a longer phrase, nothing: still unseen
    assert not rewritten_into_label("boot", FASHION)
    assert not rewritten_into_label("trousers", FASHION)
    assert not rewritten_into_label("red dress", FASHION)
    assert not rewritten_into_label("", FASHION)
    assert rewritten_into_label("seven", CLASS_NAMES["mnist"])
    assert not rewritten_into_label("7", CLASS_NAMES["mnist"])  # as written, not normalised


def test_groups_and_counts_keep_rewritten_and_taught_words_out_of_the_headline():
    groups = word_groups(NORMALISED, FASHION, taught=[False, True, False, False])
    assert groups == ["rewritten", "taught", "unseen", "unseen"]
    counts = landed_counts([True, True, False, True], groups, [w["half"] for w in WORDS])
    assert counts == {"all": {"landed": 1, "words": 2},
                      "development": {"landed": 1, "words": 1},  # boots
                      "held_out": {"landed": 0, "words": 1},  # jeans
                      "rewritten": {"landed": 1, "words": 1},  # trousers
                      "taught": {"landed": 1, "words": 1}}  # pants
    with pytest.raises(ValueError, match="one entry per word"):
        landed_counts([True], groups, ["development"])
    with pytest.raises(ValueError, match="halves in"):
        landed_counts([True], ["unseen"], ["test"])


def test_spread_is_the_sample_standard_deviation():
    assert spread([0.2, 0.4]) == f"30.0 ± {100 * np.std([0.2, 0.4], ddof=1):.1f}" == "30.0 ± 14.1"
    assert spread([0.25]) == "25.0"


def test_summary_headline_is_the_words_that_stay_unseen_by_half_with_n():
    rows = [_row(DEFAULT.name, 0, [True, True, False, False]),
            _row(DEFAULT.name, 1, [True, True, True, True]),
            _row("raw", 0, [False, True, False, False], normalised=[w["word"] for w in WORDS])]
    md = summarise({"rows": rows, "words": {"fashion_mnist": WORDS}})
    assert "**Headline**: landed % over the words that stay unseen" in md
    cells = _cells(md, f"| fashion_mnist | `paper` | `{DEFAULT.name}` **(default)**")
    # pants, jeans, boots: 1/3 and 3/3 -> 66.7 ± 47.1 (sample sd; the population sd is 33.3)
    assert cells[5] == "**66.7 ± 47.1 (3)**"
    assert cells[6] == "75.0 ± 35.4 (2)"  # development: pants, boots: 1/2, 2/2
    assert cells[7] == "50.0 ± 70.7 (1)"  # held_out: jeans: 0/1, 1/1
    assert cells[8] == "1/1, 1/1" and cells[9] == "–"  # trousers, rewritten, landed both seeds
    # raw rewrites nothing: all four words are its headline
    raw = _cells(md, "| fashion_mnist | `paper` | `raw`")
    assert raw[5] == "**25.0 (4)**" and raw[8] == "–"
    assert "| trousers | trouser | plural | held_out | trouser ✗ | 50 | trouser ✓ (rewritten → " \
           "trouser) | 50 | trouser |" in md
    assert "Training of the 2 model(s): 2.0 min" in md


def test_taught_words_are_apart_and_the_paper_model_is_compared_on_the_same_words():
    seen = in_training(WORDS, NORMALISED, {"trouser": ["pants"]})
    assert seen == [False, True, False, False]
    paper = complete_row(_row("raw", 0, [True, True, False, True]), WORDS)
    added = complete_row(_row("raw", 0, [True, True, True, False], training="label_neighbours=10",
                              in_training=seen), WORDS)
    assert added["headline"]["landed_counts"]["taught"] == {"landed": 1, "words": 1}
    assert added["headline"]["landed_counts"]["rewritten"] == {"landed": 1, "words": 1}
    # the paper model on the same two words (jeans, boots): 1 of 2
    assert paper_on_same_words([paper, added], [added]) == " (paper model: 50.0)"
    assert paper_on_same_words([paper], [paper]) == ""


def test_complete_row_renames_all_word_averages_and_joins_halves_from_the_list():
    old = [{k: v for k, v in w.items() if k != "half"} for w in WORDS]
    assert [w["half"] for w in with_halves("fashion_mnist", old)] == \
        [w["half"] for w in with_halves("fashion_mnist", WORDS)]
    row = complete_row(_row(DEFAULT.name, 0, [True, False, False, True]), old)
    assert "fraction_landed" not in row and row["fraction_landed_all_words"] == 0.5
    assert row["groups"] == ["rewritten", "unseen", "unseen", "unseen"]
    assert row["headline"]["mean_accuracy"] == pytest.approx((0.25 + 0.0 + 0.75) / 3)
    assert row["headline"]["word_vectors_alone"] == pytest.approx(1 / 3)  # pants -> trouser
    assert complete_row(row, old) == row  # idempotent
    with pytest.raises(ValueError, match="not in pse_tf/labels/unseen_words.json"):
        with_halves("fashion_mnist", [{"word": "spaceship", "class": "bag"}])


def test_training_options_parse_and_bad_ones_are_refused():
    assert parse_training("paper") == {}
    assert parse_training("label_neighbours=10") == {"label_neighbours": 10}
    assert parse_training("label_weight_decay=0.01") == {"label_weight_decay": 0.01}
    assert parse_training("label_neighbours=5,label_name_share=0.5") == \
        {"label_neighbours": 5, "label_name_share": 0.5}
    with pytest.raises(argparse.ArgumentTypeError, match="--training takes"):
        parse_training("weight_decay=1")
