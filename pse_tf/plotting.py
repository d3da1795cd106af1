"""Figures. The only module that imports matplotlib (with the non-interactive Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_sample_grid(model, path: str | Path, per_label: int = 10, seed: int = 0,
                     label_vectors=None, row_names=None):
    """A grid of generated images: one row per label (default: every training label)."""
    plt = _pyplot()
    vectors = np.asarray(model.label_vectors if label_vectors is None else label_vectors)
    names = list(model.class_names if row_names is None else row_names)
    repeated = np.repeat(vectors, per_label, axis=0)
    images = model.generate(tf.constant(repeated, tf.float32), tf.constant([seed, 0], tf.int32))
    images = np.asarray(images).reshape(len(vectors), per_label, 28, 28)
    fig, axes = plt.subplots(len(vectors), per_label, figsize=(per_label * 0.8 + 1.2,
                                                                len(vectors) * 0.8))
    axes = np.atleast_2d(axes)
    for r in range(len(vectors)):
        for c in range(per_label):
            ax = axes[r, c]
            ax.imshow(images[r, c], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(names[r], rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{model.name}: samples from q(z|l), decoded", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
