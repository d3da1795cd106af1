"""The frozen open-vocabulary benchmarks: v1 (benchmark_words.json, written by
experiments/open_vocabulary/make_benchmark.py) and v2 (benchmark_words_v2.json, written by
make_benchmark_v2.py after v1's test half had been used to choose rules; scored once, all of it
a test half). Provenance in each file's `_about`.

Per data set: words that stay unseen after the text normalisation, each with its intended class
("several" with the classes it fits), and a "negative" list of words that name no class of
either data set. Each word's half ("development", where rules are chosen; "test", only
reported) is fixed by a hash. Denominators are stored in the file and never recomputed.
"""

from __future__ import annotations

import functools
import importlib.resources
import json

HALVES = ("development", "test")
KEYS = ("fashion_mnist", "mnist", "negative")
FILES = {"v1": "benchmark_words.json", "v2": "benchmark_words_v2.json"}


@functools.lru_cache(maxsize=2)
def _table(version: str = "v1") -> dict:
    if version not in FILES:
        raise ValueError(f"version must be one of {tuple(FILES)}, got {version!r}")
    text = (importlib.resources.files("pse_tf.labels") / FILES[version]).read_text(
        encoding="utf-8")
    return json.loads(text)


def benchmark_words(key: str, half: str | None = None, version: str = "v1") -> list[dict]:
    """Words of benchmark `version` ("v1" or "v2") for `key` ("fashion_mnist", "mnist" or
    "negative"), of `half` ("development", "test" or None: both; v2 is all test):
    [{"word", "half"} (+ "class", "classes")]."""
    if key not in KEYS:
        raise ValueError(f"key must be one of {KEYS}, got {key!r}")
    if half is not None and half not in HALVES:
        raise ValueError(f"half must be one of {HALVES} or None, got {half!r}")
    return [dict(w) for w in _table(version)[key]["words"] if half is None or w["half"] == half]


def denominator(key: str, half: str | None = None, version: str = "v1") -> int:
    """The number of words written in the file for `key` and `half` (never recomputed)."""
    if key not in KEYS:
        raise ValueError(f"key must be one of {KEYS}, got {key!r}")
    return int(_table(version)[key]["denominator"]["all" if half is None else half])


def all_words() -> list[str]:
    """Every benchmark word (positives of both data sets and negatives), in file order."""
    return list(dict.fromkeys(w["word"] for k in KEYS for w in _table()[k]["words"]))
