"""The reproduction study's variants and tables (pure functions; the runs are scripts')."""

import pytest

from experiments.study.readings import READINGS
from experiments.study.variants import VARIANTS, apply_variant, render_study
from pse_tf.config import ModelConfig, TrainConfig


def _differences(a: dict, b: dict, prefix="") -> set:
    out = set()
    for key in set(a) | set(b):
        if isinstance(a.get(key), dict):
            out |= _differences(a[key], b[key], f"{prefix}{key}.")
        elif a.get(key) != b.get(key):
            out.add(prefix + key)
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_changes_only_what_it_names(variant):
    base = TrainConfig(dataset="mnist", label_encoding="onehot", model=ModelConfig(name="pse_star"))
    changed = apply_variant(base, variant)
    expected = {k.replace("option.", "model.options.") for k in VARIANTS[variant][1]}
    assert _differences(changed.to_dict(), base.to_dict()) == expected
    assert base.to_dict() == TrainConfig(dataset="mnist", label_encoding="onehot",
                                         model=ModelConfig(name="pse_star")).to_dict()


def _row(variant, seed, recon, annotation):
    row = {"dataset": "mnist", "model": "pse_star", "variant": variant, "seed": seed,
           "steps": 20000, "latent_dim": 10, "label_encoding": "onehot", "train_seconds": 100.0,
           "image_sigma_mean": 0.25, "label_sigma_mean": 1.5}
    row.update({k: 0.5 for k, _ in READINGS})
    row.update(reconstruction_error=recon, annotation_accuracy=annotation,
               annotation_accuracy_classifier=None)
    return row


def test_study_table_is_mean_and_std_over_seeds_in_variant_order():
    text = render_study({"rows": [_row("scale-exp", 0, 80.0, 0.9), _row("baseline", 0, 84.0, 0.95),
                                  _row("baseline", 1, 82.0, 0.93)]})
    readings = text[text.index("### Every metric reading"):]
    lines = [l for l in readings.splitlines() if l.startswith("| `")]
    # sample std (ddof = 1) of 84 and 82: sqrt(2) = 1.4
    assert lines[0].startswith("| `baseline` | 2 | 83.0 ± 1.4 |")
    assert "| 94.0 ± 1.4 | — |" in lines[0]  # accuracies in %, a missing reading as a dash
    assert lines[1].startswith("| `scale-exp` | 1 | 80.0 |")


def test_each_question_puts_the_baseline_beside_its_variants_against_the_paper():
    """MNIST PSE* 10-d: the paper's 82.3 / 96.3 / 94.9. A question with no variant measured has
    no table; the cells carry ✓ or ✗ and the gap; the conclusion names what the baseline meets."""
    rows = [_row("baseline", 0, 83.0, 0.95), _row("scale-exp", 0, 82.0, 0.97)]
    for row in rows:
        row["generation_accuracy"] = 0.90
    text = render_study({"rows": rows})
    assert "### Optimisation details the paper omits" in text
    assert "### Data: grey levels" not in text and "label term" not in text.split("### Every")[0]
    assert "| `baseline` | 1 | 83.0 ✗ 0.7 | 95.0 ✗ 1.3 | 90.0 ✗ 4.9 |" in text
    assert "| `scale-exp` | 1 | 82.0 ✓ | 97.0 ✓ | 90.0 ✗ 4.9 |" in text
    assert "- `scale-exp`: reconstruction error, annotation accuracy" in text
    assert "- `baseline`: none" in text and "At 20,000 steps it meets: no cell" in text
