"""End to end on real MNIST with a tiny budget: scripts/unseen_words.py and scripts/zero_shot.py
write their rows, resume without redoing them, and draw their figures."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load(name):
    spec = importlib.util.spec_from_file_location(f"{name}_script", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_unseen_words_and_zero_shot_end_to_end(tmp_path):
    common = ["--datasets", "mnist", "--seeds", "0", "--steps", "30", "--out", str(tmp_path)]
    assert load("unseen_words").main([*common, "--samples", "20",
                                      "--runs", str(tmp_path / "runs")]) == 0
    state = json.loads((tmp_path / "unseen_words.json").read_text())
    options = load("unseen_words").options()
    assert [r["option"] for r in state["rows"]] == [o.name for o in options]
    for row in state["rows"]:
        assert len(row["landed"]) == len(state["words"]["mnist"])
        assert 0 <= row["fraction_landed"] <= 1 and 0 <= row["word_vectors_alone"] <= 1
    assert (tmp_path / "figures" / "unseen_words_mnist.png").is_file()
    assert "(default)" in (tmp_path / "unseen_words.md").read_text()

    zs = load("zero_shot")
    args = [*common, "--splits", "0", "--samples", "20", "--runs", str(tmp_path / "zs")]
    assert zs.main(args) == 0
    state = json.loads((tmp_path / "zero_shot.json").read_text())
    (row,) = state["rows"]
    for mapping in zs.MAPPINGS:
        assert set(row[mapping]) >= {"zsl_top1", "S", "U", "H", "generation_unseen"}
    assert "mnist/0" in state["devise"]
    assert zs.main(args) == 0  # resumed: nothing to redo
    assert len(json.loads((tmp_path / "zero_shot.json").read_text())["rows"]) == 1
    assert (tmp_path / "figures" / "zero_shot.png").is_file()
