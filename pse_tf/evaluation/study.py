"""The reproduction study's variants: each changes one setting the paper leaves open (or states
and we question) from the literal configuration, and how its results are tabulated."""

from __future__ import annotations

import numpy as np

from pse_tf.config import TrainConfig
from pse_tf.evaluation.readings import READINGS

# name -> (what it changes, {TrainConfig field or "model.<field>" or "option.<key>": value}).
VARIANTS = {
    "baseline": ("the paper's text, literally (grey levels, glorot_uniform, softplus σ, no "
                 "warm-up, constant lr 1e-3, batch 100, label weight 1)", {}),
    "binarize-dynamic": ("a fresh Bernoulli draw of the training pixels each step",
                         {"binarize": "dynamic"}),
    "label-weight-10": ("PSE*'s label term × 10", {"option.label_weight": 10.0}),
    "init-pytorch": ("PyTorch's default Dense init, U(±1/√fan_in)",
                     {"model.kernel_initializer": "pytorch"}),
    "scale-exp": ("σ = exp(raw) instead of softplus(raw)", {"model.scale_function": "exp"}),
    "binarize-static": ("one fixed Bernoulli draw of every image", {"binarize": "static"}),
    "kl-warmup-5k": ("KL weight rising 0 → 1 over the first 5,000 steps",
                     {"model.kl_warmup_steps": 5000}),
    "lr-cosine": ("learning rate decayed to 0 by a cosine over the run", {"lr_schedule": "cosine"}),
    "label-weight-100": ("PSE*'s label term × 100", {"option.label_weight": 100.0}),
    "batch-50": ("minibatch 50 (the paper states 100)", {"batch_size": 50}),
}


def apply_variant(config: TrainConfig, variant: str) -> TrainConfig:
    """`config` with the variant's changes (a new config; `config` is untouched)."""
    values = config.to_dict()
    for key, value in VARIANTS[variant][1].items():
        scope, _, name = key.rpartition(".")
        target = {"": values, "model": values["model"],
                  "option": values["model"]["options"]}[scope]
        target[name] = value
    return TrainConfig.from_dict(values)


def _mean_std(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    return f"{np.mean(values):.1f} ± {np.std(values):.1f}" if len(values) > 1 else f"{values[0]:.1f}"


def render_study(state: dict) -> str:
    """results/reproduction_study.md: per data set and model, a row per variant (mean ± std
    over its seeds) with every metric reading."""
    lines = ["# Reproduction study (issue 11)", "",
             "Each variant changes one setting from the paper's literal configuration; mean ± std "
             "over seeds (accuracies in %; generation: one repeat per reading, "
             "`generation_samples_per_label` images per label). Regenerate: "
             "`python scripts/reproduction_study.py` (`--dataset fashion_mnist`).", ""]
    groups: dict = {}
    for row in state["rows"]:
        groups.setdefault((row["dataset"], row["model"], row["steps"]), {}).setdefault(
            row["variant"], []).append(row)
    for (data, model, steps), variants in groups.items():
        lines += [f"## {data} · {model} 10-d one-hot · {steps:,} steps", "",
                  "| variant | seeds | " + " | ".join(label for _, label in READINGS)
                  + " | σ q(z|x) | σ q(z|l) | train s |",
                  "|---" * (len(READINGS) + 5) + "|"]
        order = [v for v in VARIANTS if v in variants] + sorted(set(variants) - set(VARIANTS))
        for variant in order:
            rows = variants[variant]
            scale = [1.0 if k.startswith("reconstruction") else 100.0 for k, _ in READINGS]
            cells = [_mean_std([r[k] * s if r.get(k) is not None else None for r in rows])
                     for (k, _), s in zip(READINGS, scale)]
            lines.append(f"| `{variant}` | {len(rows)} | " + " | ".join(cells)
                         + f" | {np.mean([r['image_sigma_mean'] for r in rows]):.2f}"
                         + f" | {np.mean([r['label_sigma_mean'] for r in rows]):.2f}"
                         + f" | {np.mean([r['train_seconds'] or 0 for r in rows]):.0f} |")
        lines.append("")
    lines += ["Variants:", ""] + [f"- `{name}`: {text}" for name, (text, _) in VARIANTS.items()]
    return "\n".join(lines) + "\n"
