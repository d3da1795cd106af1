"""The benchmark report's interval, and the rules table, on hand-made rows."""

import pytest

from experiments.open_vocabulary.benchmark_report import wilson
from experiments.open_vocabulary.knowledge_rules import summary


@pytest.mark.parametrize("k, n, low, high", [(11, 14, 0.52, 0.92), (7, 10, 0.40, 0.89),
                                             (0, 10, 0.0, 0.28), (10, 10, 0.72, 1.0)])
def test_wilson_interval(k, n, low, high):
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=0.006) and hi == pytest.approx(high, abs=0.006)
    assert wilson(0, 0) == (0.0, 1.0)


def test_rules_table_has_one_row_per_rule():
    side = {"right": 3, "wrong": 1, "abstain": 6, "words": 10, "negative_precision": 0.95,
            "frequent_10000_named": 12}
    md = summary([{"rule": "coherent+numbers", "fashion_mnist": side, "mnist": side}])
    assert "| `coherent+numbers` | 3/1/6 of 10 | 3/1/6 of 10 | 95.0% / 95.0% | 12 / 12 |" in md


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["fashion_mnist", "mnist"])
def test_the_default_rule_names_every_v1_word_as_the_committed_results_say(dataset):
    """The rule's decision on every v1 word (positives and negatives, both halves) is the one
    results/open_vocabulary_benchmark.json recorded (python path, seed 0): a refactor of the
    rule changed no result."""
    import json
    from pathlib import Path

    from pse_tf.data import CLASS_NAMES
    from pse_tf.labels import LabelEncoding
    from pse_tf.labels.open_vocabulary import DEFAULT

    results = json.loads((Path(__file__).resolve().parents[3] / "results" /
                          "open_vocabulary_benchmark.json").read_text())
    row = next(r for r in results if r["dataset"] == dataset)["paths"]["python"]
    encoding = LabelEncoding.build(CLASS_NAMES[dataset], "word2vec")
    names = encoding.class_names
    words = [w["word"] for w in row["per_word"]] + [n["word"] for n in row["negatives"]]
    vectors = DEFAULT.encode(encoding, words)
    eq = (vectors[:, None, :] == encoding.vectors[None]).all(-1)
    got = [names[int(e.argmax())] if e.any() else None for e in eq]
    recorded = [w["named_by_table"] for w in row["per_word"]]
    recorded += [n["got"].removeprefix("the class row of ") if n["got"].startswith("the class")
                 else None for n in row["negatives"]]
    assert len(words) > 300
    assert got == recorded


def test_a_v2_path_is_scored_on_its_test_half_only():
    """score_path and markdown on hand-made draws: v2 has no development half, a negative
    abstains when its vector is not a class row."""
    import numpy as np

    from experiments.open_vocabulary.benchmark_report import markdown, score_path
    from pse_tf.labels.benchmark import benchmark_words, denominator

    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    positives = benchmark_words("mnist", version="v2")
    negatives = benchmark_words("negative", version="v2")
    intended = [names.index(w["classes"][0]) for w in positives]
    got = np.array(intended[:10] + [(c + 1) % 10 for c in intended[10:]] + [3] * len(negatives))
    mapped = np.array([-1] * len(positives) + [5] + [-1] * (len(negatives) - 1))
    row = score_path("python", {"python": got}, {"python": mapped}, positives, negatives, names,
                     len(positives), None, "mnist", "v2")
    test = row["summary"]["test"]
    assert set(row["summary"]) == {"test"}
    assert (test["landed"], test["words"]) == (10, denominator("mnist", "test", "v2"))
    assert test["negatives_abstained"] == len(negatives) - 1
    assert row["negatives"][0]["got"] == "the class row of five"
    md = markdown([{"dataset": "mnist", "run": "runs/mnist-s0", "paths": {"python": row}}], "v2")
    assert "benchmark_words_v2.json" in md and "## Development half" not in md
    assert f"| mnist | mnist-s0 | python | 10/{test['words']} |" in md
