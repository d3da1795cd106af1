"""Figures; the only module that imports matplotlib. Each builder returns a `Figure` (no pyplot
state, nothing to close) and a `save_*` wrapper writes it at a fixed dpi."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from pse_tf import mixtures
from pse_tf.data import flat_float


def _figure(rows: int, columns: int, figsize: tuple):
    """A pyplot-free Figure and its [rows, columns] array of axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(rows, columns, squeeze=False)


def _save(fig, path: str | Path, dpi: int) -> Path:
    fig.savefig(path, dpi=dpi)
    return Path(path)


def square_images(images, shape=None) -> np.ndarray:
    """Images [N, D], [N, H, W] or [N, H, W, C] (uint8 0..255 or float in [0, 1]) as float
    [N, H, W] or [N, H, W, C] in [0, 1]. Flat images take `shape` ((H, W) or (H, W, C)), else
    a square S x S, S = sqrt(D): 28 for the paper's data sets."""
    x = flat_float(images).numpy()
    if shape is None and np.ndim(images) in (3, 4):
        shape = np.shape(images)[1:]
    if shape is not None:
        return x.reshape(len(x), *shape)
    side = math.isqrt(x.shape[1])
    if side * side != x.shape[1]:
        raise ValueError(f"images must be square, got {x.shape[1]} pixels per image "
                         f"(input shape {list(np.shape(images))}); pass their shape")
    return x.reshape(len(x), side, side)


def show_image(ax, image) -> None:
    """One image on `ax`: grey ones dark on white (as the paper draws them), colour ones as is."""
    if image.ndim == 3:
        ax.imshow(np.clip(image, 0, 1))
    else:
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])


def sample_grid_figure(model, per_label: int = 10, seed: int = 0, label_vectors=None,
                       row_names=None):
    """A grid of generated images: one row per label (default: every training label), one
    column per sample; each image is S x S, S = sqrt of the model's image size."""
    vectors = np.asarray(model.label_vectors if label_vectors is None else label_vectors)
    names = list(model.class_names if row_names is None else row_names)
    repeated = np.repeat(vectors, per_label, axis=0)
    images = square_images(
        model.generate(tf.constant(repeated, tf.float32), tf.constant([seed, 0], tf.int32)),
        model.model_config.image_shape)
    images = images.reshape(len(vectors), per_label, *images.shape[1:])
    fig, axes = _figure(len(vectors), per_label, (per_label * 0.8 + 1.2, len(vectors) * 0.8))
    for r in range(len(vectors)):
        for c in range(per_label):
            ax = axes[r, c]
            show_image(ax, images[r, c])
            if c == 0:
                ax.set_ylabel(names[r], rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{model.name}: images generated per label (Bernoulli means)", fontsize=9)
    fig.tight_layout()
    return fig


def save_sample_grid(model, path: str | Path, per_label: int = 10, seed: int = 0,
                     label_vectors=None, row_names=None) -> Path:
    """`sample_grid_figure` as a file (100 dpi)."""
    return _save(sample_grid_figure(model, per_label, seed, label_vectors, row_names), path, 100)


def _encoded_means(model, images, labels):
    """2-d embedding of each image, where the model puts it (`LatentModel.embed`)."""
    return model.embed(flat_float(images), tf.gather(model.label_vectors, labels)).numpy()


def plot_latent_space(ax, model, images, labels, title: str | None = None):
    """Fig. 2 / 7-10 on one axis: test embeddings coloured by label, label-distribution means
    and 1-sigma ellipses. Needs a 2-d latent space."""
    from matplotlib import colormaps
    from matplotlib.patches import Ellipse

    if model.model_config.latent_dim != 2:
        raise ValueError(f"latent-space plots need latent_dim 2, got {model.model_config.latent_dim}")
    means = _encoded_means(model, images, labels)
    q_l = model.label_distribution()
    centres, scales = q_l.mean().numpy(), q_l.stddev().numpy()
    # A mixture q(z|l) draws each component, its line as heavy as its weight.
    weights, locs, stds = (t.numpy() for t in mixtures.components(q_l))
    colours = colormaps["tab10"]
    # VAE/CVAE give every label the same N(0, I): draw it once, as the prior.
    shared = np.allclose(centres, centres[0]) and np.allclose(scales, scales[0])
    for c, name in enumerate(model.class_names):
        pts = means[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.4, color=colours(c % 10), label=name)
        if not shared:
            for w, loc, std in zip(weights[c], locs[c], stds[c]):
                ax.add_patch(Ellipse(loc, 2 * std[0], 2 * std[1], fill=False,
                                     lw=0.5 + 2.5 * w if len(weights[c]) > 1 else 1.5,
                                     color=colours(c % 10)))
            ax.annotate(name, locs[c][np.argmax(weights[c])], fontsize=8, weight="bold",
                        ha="center")
    if shared:
        ax.add_patch(Ellipse(centres[0], 2 * scales[0, 0], 2 * scales[0, 1], fill=False, lw=1.5,
                             color="black", ls="--"))
        ax.annotate("every label: N(0, I)", centres[0], fontsize=8, ha="center")
    ax.set_title(title or f"{model.name}: 2-d latent space (test set)", fontsize=10)
    ax.legend(markerscale=5, fontsize=7, loc="upper right")


def save_latent_space(model, images, labels, path: str | Path, title: str | None = None) -> Path:
    """One model's latent space (`plot_latent_space`) as a figure file."""
    return save_latent_grid([(model, title)], images, labels, path, columns=1)


def latent_grid_figure(models: list, images, labels, columns: int = 4, title: str = ""):
    """Several latent spaces side by side (Fig. 2): `models` is [(model, panel title)]; 6 x 6
    inches a panel, `columns` panels a row, the unused places of the last row blank."""
    rows = -(-len(models) // columns)
    cols = min(columns, len(models))
    fig, axes = _figure(rows, cols, (6 * cols, 6 * rows))
    for ax, (model, panel) in zip(axes.flat, models):
        plot_latent_space(ax, model, images, labels, panel)
    for ax in list(axes.flat)[len(models):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def save_latent_grid(models: list, images, labels, path: str | Path, columns: int = 4,
                     title: str = "") -> Path:
    """`latent_grid_figure` as a file (110 dpi for one panel, 70 for several)."""
    fig = latent_grid_figure(models, images, labels, columns, title)
    return _save(fig, path, 110 if len(models) == 1 else 70)


def image_rows_figure(rows: list, row_names: list[str], title: str = "", shape=None):
    """Rows of square images (each row [K, D] or [K, S, S], uint8 or float in [0, 1]) with a
    name per row; a shorter row leaves its last places blank."""
    cols = max(len(r) for r in rows)
    fig, axes = _figure(len(rows), cols, (cols * 0.8 + 1.6, len(rows) * 0.85 + 0.3))
    for r, images in enumerate(rows):
        images = square_images(images, shape)
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            if c < len(images):
                show_image(ax, images[c])
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(row_names[r], rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def save_image_rows(rows: list, row_names: list[str], path: str | Path, title: str = "") -> Path:
    """`image_rows_figure` as a file (100 dpi)."""
    return _save(image_rows_figure(rows, row_names, title), path, 100)


def interpolate(model, label_a: int, label_b: int, steps: int = 10) -> np.ndarray:
    """Fig. 4b: decode points on the line through two label means (Bernoulli means, [steps, D])."""
    mu = model.label_distribution().mean().numpy()
    t = np.linspace(0.0, 1.0, steps)[:, None].astype(np.float32)
    z = mu[label_a] + t * (mu[label_b] - mu[label_a])
    return tf.sigmoid(model.decode_logits(tf.constant(z))).numpy()


def project_2d(means, stddevs):
    """Label Gaussians (diagonal) in 2-d: the first two latent dims when Z <= 2, else the top two
    principal axes of the label means. Returns (projection [Z, 2] or None, means [C, 2],
    stddevs [C, 2]); a projected stddev is the root of the projected variance's diagonal (the
    ellipse ignores the covariance between the two axes)."""
    means, stddevs = np.asarray(means, np.float64), np.asarray(stddevs, np.float64)
    if means.shape[1] <= 2:
        pad = 2 - means.shape[1]
        return (None, np.pad(means, ((0, 0), (0, pad))),
                np.pad(stddevs, ((0, 0), (0, pad)), constant_values=0.05))
    _, _, vt = np.linalg.svd(means - means.mean(0), full_matrices=False)
    projection = vt[:2].T
    return projection, means @ projection, np.sqrt(stddevs ** 2 @ projection ** 2)


def latent_view_figure(means, stddevs, names, points=(), size=(5.0, 4.2)):
    """The demo's 2-d view: each label Gaussian as its mean and 1-sigma ellipse, and `points`
    [(name, mean [Z], stddev [Z], colour)] (an image's q(z|x), a phrase's q(z|l)) drawn the same
    way, all through `project_2d`."""
    from matplotlib import colormaps
    from matplotlib.patches import Ellipse

    projection, centres, scales = project_2d(means, stddevs)
    fig, axes = _figure(1, 1, size)
    ax = axes[0, 0]
    colours = colormaps["tab10"]
    everything = [centres - 1.5 * scales, centres + 1.5 * scales]
    for c, name in enumerate(names):
        ax.add_patch(Ellipse(centres[c], 2 * scales[c, 0], 2 * scales[c, 1], fill=False, lw=1.2,
                             color=colours(c % 10)))
        ax.plot(*centres[c], "o", ms=3, color=colours(c % 10))
        ax.annotate(name, centres[c], fontsize=7, ha="center", va="bottom")
    for name, mean, stddev, colour in points:
        mean, stddev = np.asarray(mean)[None], np.asarray(stddev)[None]
        if projection is None:
            pad = 2 - mean.shape[1]
            mean = np.pad(mean, ((0, 0), (0, pad)))
            stddev = np.pad(stddev, ((0, 0), (0, pad)), constant_values=0.05)
        else:
            mean, stddev = mean @ projection, np.sqrt(stddev ** 2 @ projection ** 2)
        ax.add_patch(Ellipse(mean[0], 2 * stddev[0, 0], 2 * stddev[0, 1], color=colour,
                             alpha=0.3))
        ax.plot(*mean[0], "*", ms=12, color=colour)
        ax.annotate(name, mean[0], fontsize=8, weight="bold", ha="left", va="top", color=colour)
        everything += [mean - 1.5 * stddev, mean + 1.5 * stddev]
    low, high = np.min(np.concatenate(everything), 0), np.max(np.concatenate(everything), 0)
    ax.set_xlim(low[0], high[0]), ax.set_ylim(low[1], high[1])
    axis = "z" if projection is None else "PC"
    ax.set_xlabel(f"{axis}1"), ax.set_ylabel(f"{axis}2")
    ax.set_title("label Gaussians (1-σ)" + ("" if projection is None
                                             else ": PCA of the label means"), fontsize=9)
    fig.tight_layout()
    return fig


def zero_shot_figure(rows: list[dict], devise: dict, metrics=("zsl_top1", "H", "generation_unseen"),
                     mappings=("raw", "project")):
    """Bars per held-out split of `experiments/open_vocabulary/zero_shot.py`'s rows: one row of
    panels per data set, one panel per metric; PSE* (one bar per mapping of the unseen names,
    mean ± sample sd over seeds), the DeViSE-style baseline and chance (dashed)."""
    datasets = sorted({r["dataset"] for r in rows})
    titles = {"zsl_top1": "ZSL top-1 (%)", "H": "GZSL H (%)", "S": "GZSL S (%)", "U": "GZSL U (%)",
              "generation_unseen": "generation, unseen (%)"}
    chance = {"zsl_top1": 50.0, "H": 10.0, "S": 10.0, "U": 10.0, "generation_unseen": 10.0}
    fig, axes = _figure(len(datasets), len(metrics), (4.2 * len(metrics), 3.0 * len(datasets)))
    methods = tuple((f"PSE* {m}", m) for m in mappings) + (("DeViSE-style", None),)
    width = 0.8 / len(methods)
    for i, ds in enumerate(datasets):
        splits = sorted({r["split"] for r in rows if r["dataset"] == ds})
        names = {r["split"]: "\n".join(r["held_out_names"]) for r in rows if r["dataset"] == ds}
        for j, metric in enumerate(metrics):
            ax = axes[i, j]
            for m, (label, key) in enumerate(methods):
                means, stds = [], []
                for k in splits:
                    if key is None:
                        value = devise.get(f"{ds}/{k}", {}).get(metric)
                        values = [] if value is None else [value]
                    else:
                        values = [r[key][metric] for r in rows
                                  if r["dataset"] == ds and r["split"] == k]
                    means.append(100 * np.mean(values) if values else np.nan)
                    stds.append(100 * np.std(values, ddof=1) if len(values) > 1 else 0.0)
                ax.bar(np.arange(len(splits)) + (m - (len(methods) - 1) / 2) * width, means,
                       width, yerr=stds,
                       label=label, capsize=2)
            ax.axhline(chance[metric], color="k", linestyle="--", linewidth=0.8, label="chance")
            ax.set_xticks(np.arange(len(splits)), [names[k] for k in splits], fontsize=7)
            ax.set_title(f"{ds}: {titles.get(metric, metric)}", fontsize=9)
            ax.set_ylim(0, 100)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def uncertainty_figure(reports: dict):
    """One row per data set ({name: `experiments.uncertainty.calibration.uncertainty_report`}):
    accuracy per decile of sigma(x), the reliability diagram, and sigma(x) on clean, occluded
    and noised test images."""
    fig, axes = _figure(len(reports), 3, (12, 3.3 * len(reports)))
    for row, (name, report) in zip(axes, reports.items()):
        deciles = report["by_decile"]
        row[0].bar([d["decile"] for d in deciles], [100 * d["accuracy"] for d in deciles])
        row[0].set_xlabel("decile of sigma(x) (1 = most certain)")
        row[0].set_ylabel("annotation accuracy (%)")
        row[0].set_title(f"{name}: accuracy by sigma(x)", fontsize=9)
        bins = [b for b in report["reliability"] if b["count"]]
        row[1].plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        row[1].plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o")
        row[1].set_xlabel("confidence (max softmax)")
        row[1].set_ylabel("accuracy")
        row[1].set_title(f"{name}: reliability, ECE {report['ece']:.3f}", fontsize=9)
        for kind, sigma in report["sigma"].items():
            row[2].hist(sigma, bins=60, histtype="step", density=True,
                        label=f"{kind} (mean {np.mean(sigma):.3f})")
        row[2].set_xlabel("sigma(x) = mean stddev of q(z|x)")
        row[2].set_title(f"{name}: sigma(x) under corruption", fontsize=9)
        row[2].legend(fontsize=7)
    fig.tight_layout()
    return fig


def figure_array(fig, dpi: int = 100) -> np.ndarray:
    """A figure rendered to uint8 RGB [H, W, 3] (for web pages)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_uncertainty_figure(reports: dict, path: str | Path) -> Path:
    """`uncertainty_figure` as a file (100 dpi)."""
    return _save(uncertainty_figure(reports), path, 100)


def save_zero_shot_figure(rows: list[dict], devise: dict, path: str | Path,
                          mappings=("raw", "project")) -> Path:
    """`zero_shot_figure` as a file (100 dpi)."""
    return _save(zero_shot_figure(rows, devise, mappings=mappings), path, 100)
