"""Figures: latent-space panels and image grids are written, and misuse is refused."""

import numpy as np
import pytest

from pse_tf import plotting
from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.data import load_dataset
from pse_tf.labels import LabelEncoding
from pse_tf.training import build_model


def _model(name, latent_dim):
    config = TrainConfig(dataset="mnist", label_encoding="onehot",
                         model=ModelConfig(name=name, latent_dim=latent_dim))
    return build_model(config, LabelEncoding.build(load_dataset("mnist").class_names, "onehot"))


def _is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_latent_grid_draws_every_panel(tmp_path):
    ds = load_dataset("mnist")
    images, labels = ds.test_images[:300], ds.test_labels[:300]
    panels = [(_model(name, 2), name) for name in ("vae", "cvae", "pse")]
    path = plotting.save_latent_grid(panels, images, labels, tmp_path / "grid.png", columns=2)
    assert _is_png(path)
    single = plotting.save_latent_space(panels[2][0], images, labels, tmp_path / "one.png")
    assert _is_png(single)


def test_latent_plot_needs_two_dimensions(tmp_path):
    ds = load_dataset("mnist")
    with pytest.raises(ValueError, match="latent_dim 2"):
        plotting.save_latent_space(_model("pse", 10), ds.test_images[:10], ds.test_labels[:10],
                                   tmp_path / "x.png")


def test_sample_grid_and_interpolation(tmp_path):
    model = _model("pse_star", 10)
    assert _is_png(plotting.save_sample_grid(model, tmp_path / "s.png", per_label=3))
    line = plotting.interpolate(model, 0, 1, steps=5)
    assert line.shape == (5, 784) and np.all((line >= 0) & (line <= 1))
