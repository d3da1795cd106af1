"""End to end on real MNIST with a tiny budget: experiments/open_vocabulary/unseen_words.py and experiments/open_vocabulary/zero_shot.py
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


def test_unseen_words_training_options_and_held_out_scores():
    script = load("unseen_words")
    assert script.parse_training("paper") == {}
    assert script.parse_training("label_neighbours=10") == {"label_neighbours": 10}
    assert script.parse_training("label_weight_decay=0.01") == {"label_weight_decay": 0.01}
    assert script.parse_training("label_neighbours=5,label_name_share=0.5") == \
        {"label_neighbours": 5, "label_name_share": 0.5}
    with pytest.raises(Exception, match="--training takes"):
        script.parse_training("weight_decay=1")
    words = [{"word": "trousers"}, {"word": "pants"}, {"word": "jeans"}]
    seen = script.in_training(words, ["trouser", "pants", "jeans"], {"trouser": ["pants"]})
    assert seen == [False, True, False]
    paper = {"dataset": "d", "option": "raw", "steps": 1, "seed": 0, "landed": [True, True, False]}
    added = {**paper, "training": "label_neighbours=10", "landed": [True, True, True],
             "word_in_training": seen}
    assert script.held_out_landed(added) == 1.0 and script.held_out_landed(paper) == 2 / 3
    assert script.paper_on_same_words([paper, added], [added]) == " (paper model: 50.0)"
    assert script.paper_on_same_words([paper], [paper]) == ""
