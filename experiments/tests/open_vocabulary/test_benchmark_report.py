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
