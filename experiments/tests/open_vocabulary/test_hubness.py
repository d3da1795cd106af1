"""The word-vector hubness table, on a hand-made row: rewritten words apart, halves with n."""

from experiments.open_vocabulary.hubness import render
from experiments.open_vocabulary.vocabulary import landed_counts


def test_headline_counts_the_words_that_stay_unseen_by_half():
    groups = ["rewritten", "unseen", "unseen", "unseen"]
    halves = ["held_out", "development", "held_out", "development"]
    correct = [True, True, False, False]
    row = {"dataset": "fashion_mnist", "similarity": "cosine", "groups": groups, "half": halves,
           "correct": correct, "counts": landed_counts(correct, groups, halves)}
    md = render({"rows": [row], "seconds": 1.0})
    assert "**Headline**: correct % over the words that stay unseen" in md
    assert "| fashion_mnist | cosine | **33.3 (3)** | 50.0 (2) | 0.0 (1) | 1/1 |" in md
