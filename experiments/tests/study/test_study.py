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
    assert "- `baseline`: none" in text and "At 20,000 steps `baseline` meets: no cell" in text


def _variants(**annotations):
    """{variant: rows} with the given annotation accuracies per seed (reconstruction 83)."""
    return {name: [_row(name, seed, 83.0, a) for seed, a in enumerate(values)]
            for name, values in annotations.items()}


def test_the_conclusion_is_computed_from_the_rows():
    from experiments.study.variants import conclusion, gains

    # scale-exp (a silent setting) +2 points with a spread of 0.1: a gain beyond noise.
    better = _variants(baseline=[0.90, 0.901], **{"scale-exp": [0.92, 0.921]})
    assert [(n, k) for n, k, _ in gains(better)] == [("scale-exp", "annotation_accuracy")]
    text = conclusion(better, {"annotation_accuracy": 96.3}, 20000)
    assert "`scale-exp` annotation accuracy +2.0" in text and "candidates for the default" in text

    # The same gain inside seed noise (a spread of 3 points) is no gain.
    noisy = _variants(baseline=[0.88, 0.92], **{"scale-exp": [0.90, 0.94]})
    assert gains(noisy) == []
    assert "stays the configuration" in conclusion(noisy, {}, 20000)

    # A gain that contradicts the paper's text is reported as such, never as a candidate.
    stated = _variants(baseline=[0.90, 0.901], **{"batch-50": [0.95, 0.951]})
    text = conclusion(stated, {}, 20000)
    assert "stays the configuration" in text and "`batch-50`: minibatches of 100" in text

    # "No warm-up" is stated for MNIST only (§4): elsewhere warm-up is a silent setting.
    warm = _variants(baseline=[0.90, 0.901], **{"kl-warmup-5k": [0.95, 0.951]})
    assert "stays the configuration" in conclusion(warm, {}, 20000, "mnist")
    assert "candidates for the default" in conclusion(warm, {}, 20000, "fashion_mnist")

    # A binarised variant's reconstruction is of other images: never read as a gain.
    binarised = {"baseline": [_row("baseline", s, 84.0, 0.9) for s in (0, 1)],
                 "binarize-dynamic": [_row("binarize-dynamic", s, 80.0 + s / 10, 0.9)
                                      for s in (0, 1)]}
    assert gains(binarised) == []
