"""Figures. The only module that imports matplotlib (with the non-interactive Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from pse_tf.data import flat_float


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
    fig.suptitle(f"{model.name}: images generated per label (Bernoulli means)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def _encoded_means(model, images, labels):
    """2-d embedding of each image: the mean of q(z|x) (CVAE: of q(z|x,l) with its own label)."""
    x = flat_float(images)
    if model.registry_name == "cvae":
        return model.encode_with_label(x, tf.gather(model.label_vectors, labels)).mean().numpy()
    return model.encode(x).mean().numpy()


def plot_latent_space(ax, model, images, labels, title: str | None = None):
    """Fig. 2 / 7-10 on one axis: test embeddings coloured by label, label-distribution means
    and 1-sigma ellipses. Needs a 2-d latent space."""
    plt = _pyplot()
    from matplotlib.patches import Ellipse

    if model.model_config.latent_dim != 2:
        raise ValueError(f"latent-space plots need latent_dim 2, got {model.model_config.latent_dim}")
    means = _encoded_means(model, images, labels)
    q_l = model.label_distribution()
    centres, scales = q_l.mean().numpy(), q_l.stddev().numpy()
    colours = plt.get_cmap("tab10")
    # VAE/CVAE give every label the same N(0, I): draw it once, as the prior.
    shared = np.allclose(centres, centres[0]) and np.allclose(scales, scales[0])
    for c, name in enumerate(model.class_names):
        pts = means[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.4, color=colours(c), label=name)
        if not shared:
            ax.add_patch(Ellipse(centres[c], 2 * scales[c, 0], 2 * scales[c, 1], fill=False,
                                 lw=1.5, color=colours(c)))
            ax.annotate(name, centres[c], fontsize=8, weight="bold", ha="center")
    if shared:
        ax.add_patch(Ellipse(centres[0], 2 * scales[0, 0], 2 * scales[0, 1], fill=False, lw=1.5,
                             color="black", ls="--"))
        ax.annotate("every label: N(0, I)", centres[0], fontsize=8, ha="center")
    ax.set_title(title or f"{model.name}: 2-d latent space (test set)", fontsize=10)
    ax.legend(markerscale=5, fontsize=7, loc="upper right")


def save_latent_space(model, images, labels, path: str | Path, title: str | None = None):
    """One model's latent space (`plot_latent_space`) as a figure file."""
    return save_latent_grid([(model, title)], images, labels, path, columns=1)


def save_latent_grid(models: list, images, labels, path: str | Path, columns: int = 4,
                     title: str = ""):
    """Several latent spaces side by side (Fig. 2): `models` is [(model, panel title)]."""
    plt = _pyplot()
    rows = -(-len(models) // columns)
    cols = min(columns, len(models))
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 6 * rows), squeeze=False)
    for ax, (model, panel) in zip(axes.flat, models):
        plot_latent_space(ax, model, images, labels, panel)
    for ax in list(axes.flat)[len(models):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110 if len(models) == 1 else 70)
    plt.close(fig)
    return Path(path)


def save_image_rows(rows: list[np.ndarray], row_names: list[str], path: str | Path,
                    title: str = ""):
    """Rows of 28x28 images (each row [K, 784] or [K, 28, 28]) with a name per row."""
    plt = _pyplot()
    cols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(cols * 0.8 + 1.6, len(rows) * 0.85 + 0.3))
    axes = np.atleast_2d(axes)
    for r, images in enumerate(rows):
        images = np.asarray(images).reshape(len(images), 28, 28)
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            if c < len(images):
                ax.imshow(images[c], cmap="gray_r", vmin=0, vmax=1)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(row_names[r], rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def interpolate(model, label_a: int, label_b: int, steps: int = 10) -> np.ndarray:
    """Fig. 4b: decode points on the line through two label means (Bernoulli means, [steps, 784])."""
    mu = model.label_distribution().mean().numpy()
    t = np.linspace(0.0, 1.0, steps)[:, None].astype(np.float32)
    z = mu[label_a] + t * (mu[label_b] - mu[label_a])
    return tf.sigmoid(model.decode_logits(tf.constant(z))).numpy()
