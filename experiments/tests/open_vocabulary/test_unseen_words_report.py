"""The unseen-words report and the script's option parsing, on hand-made rows."""

import argparse

import pytest

from experiments.open_vocabulary.unseen_words import parse_training
from experiments.open_vocabulary.unseen_words_report import (held_out_landed, in_training,
                                                             paper_on_same_words, summarise)
from pse_tf.labels.open_vocabulary import DEFAULT

WORDS = [{"word": "trousers", "class": "trouser", "why": "plural"},
         {"word": "pants", "class": "trouser", "why": "synonym"},
         {"word": "jeans", "class": "trouser", "why": "kind"}]


def _row(option, seed, landed, training="paper", in_training=None, **extra):
    metrics = {"reconstruction_error": 80.0, "annotation_accuracy": 0.9,
               "generation_accuracy": 0.5, "train_seconds": 60.0}
    return {"dataset": "fashion_mnist", "option": option, "seed": seed, "steps": 100,
            "training": training, "landed": landed, "word_in_training": in_training or [],
            "fraction_landed": sum(landed) / len(landed), "mean_accuracy": 0.25,
            "word_vectors_alone": 1 / 3, "accuracy": [0.5, 0.25, 0.0],
            "majority": ["trouser", "dress", "bag"], "nearest": ["trouser"] * 3,
            "metrics": metrics, "seconds": 6.0, **extra}


def test_training_options_parse_and_bad_ones_are_refused():
    assert parse_training("paper") == {}
    assert parse_training("label_neighbours=10") == {"label_neighbours": 10}
    assert parse_training("label_weight_decay=0.01") == {"label_weight_decay": 0.01}
    assert parse_training("label_neighbours=5,label_name_share=0.5") == \
        {"label_neighbours": 5, "label_name_share": 0.5}
    with pytest.raises(argparse.ArgumentTypeError, match="--training takes"):
        parse_training("weight_decay=1")


def test_held_out_scores_count_only_words_outside_training():
    seen = in_training(WORDS, ["trouser", "pants", "jeans"], {"trouser": ["pants"]})
    assert seen == [False, True, False]
    paper = _row("raw", 0, [True, True, False])
    added = _row("raw", 0, [True, True, True], training="label_neighbours=10", in_training=seen)
    assert held_out_landed(added) == 1.0 and held_out_landed(paper) == 2 / 3
    # the paper model on the same two held-out words (trousers, jeans): 1 of 2
    assert paper_on_same_words([paper, added], [added]) == " (paper model: 50.0)"
    assert paper_on_same_words([paper], [paper]) == ""


def test_summary_rows_are_mean_and_std_over_seeds_and_the_default_is_marked():
    rows = [_row("raw", 0, [True, False, False]), _row("raw", 1, [True, True, False]),
            _row(DEFAULT.name, 0, [True, True, True])]
    md = summarise({"rows": rows, "words": {"fashion_mnist": WORDS}})
    lines = md.splitlines()
    raw = next(line for line in lines if line.startswith("| fashion_mnist | `paper` | `raw`"))
    cells = [c.strip() for c in raw.split("|")[1:-1]]
    # seeds, steps, landed % (1/3 and 2/3: mean 50.0, population std 16.7), 2 x 6 s scoring
    assert cells[3:6] == ["[0, 1]", "[100]", "50.0 ± 16.7"] and cells[-1] == "12"
    default = next(line for line in lines if f"`{DEFAULT.name}` **(default)**" in line)
    assert "| 100.0 |" in default
    # the per-word table of the first seed: raw's majority and accuracy, marked
    assert "| trousers | trouser | plural | trouser ✓ | 50 |" in md
    assert "| pants | trouser | synonym | dress ✗ | 25 |" in md
    assert "Training of the 2 model(s): 2.0 min" in md
