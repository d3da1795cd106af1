"""Figures hold what they should: panels, grid shapes, image sizes, ellipses, pixel dimensions of
the written PNG; built from tiny models (4x4 images unless a test says otherwise, 3 labels)."""

import matplotlib.image
import numpy as np
import pytest
from matplotlib.patches import Ellipse

from pse_tf import plotting
from pse_tf.config import ModelConfig
from pse_tf.models import get_model_class

NAMES = ("zero", "one", "two")
LABELS = np.repeat(np.arange(3), [5, 7, 9])  # 5 images of label zero, 7 of one, 9 of two


def _model(name, latent_dim=2, image_dim=16):
    config = ModelConfig(name=name, latent_dim=latent_dim, image_dim=image_dim,
                         hidden_units=(8,), classifier_units=(8,))
    return get_model_class(name)(config, np.eye(3), NAMES, "onehot").build_all()


def _images(n, image_dim=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, image_dim), dtype=np.uint8)


def _png_shape(path):
    """(height, width) in pixels of a written figure."""
    return matplotlib.image.imread(path).shape[:2]


def _ellipses(ax):
    return sum(isinstance(patch, Ellipse) for patch in ax.patches)


def test_latent_grid_has_a_panel_per_model_and_an_ellipse_per_label(tmp_path):
    panels = [(_model(name), name) for name in ("vae", "cvae", "pse")]
    fig = plotting.latent_grid_figure(panels, _images(len(LABELS)), LABELS, columns=2)
    # 3 panels in rows of 2: a 2 x 2 grid of 6-inch panels whose fourth place is blank.
    assert tuple(fig.get_size_inches()) == (12, 12) and len(fig.axes) == 4
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in drawn] == ["vae", "cvae", "pse"]
    # VAE and CVAE: one shared N(0, I) drawn once; PSE: one q(z|l) ellipse per label.
    assert [_ellipses(ax) for ax in drawn] == [1, 1, 3]
    for ax in drawn:
        # One scatter per label, holding that label's images.
        assert [len(c.get_offsets()) for c in ax.collections] == [5, 7, 9]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(NAMES)

    grid = plotting.save_latent_grid(panels, _images(len(LABELS)), LABELS, tmp_path / "grid.png",
                                     columns=2)
    assert _png_shape(grid) == (12 * 70, 12 * 70)  # 70 dpi for several panels
    single = plotting.save_latent_space(panels[2][0], _images(len(LABELS)), LABELS,
                                        tmp_path / "one.png")
    assert _png_shape(single) == (6 * 110, 6 * 110)  # 110 dpi for one


def test_latent_plot_needs_two_dimensions(tmp_path):
    with pytest.raises(ValueError, match="latent_dim 2, got 3"):
        plotting.save_latent_space(_model("pse", latent_dim=3), _images(3), LABELS[:3],
                                   tmp_path / "x.png")


@pytest.mark.parametrize("image_dim, side", [(16, 4), (784, 28)])
def test_sample_grid_is_labels_by_samples_of_square_images(tmp_path, image_dim, side):
    model = _model("pse_star", latent_dim=3, image_dim=image_dim)
    fig = plotting.sample_grid_figure(model, per_label=4)
    assert len(fig.axes) == 12
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (3, 4)
    for ax in fig.axes:
        (image,) = ax.get_images()
        pixels = image.get_array()
        assert pixels.shape == (side, side) and 0 <= pixels.min() and pixels.max() <= 1
    assert [ax.get_ylabel() for ax in fig.axes[::4]] == list(NAMES)  # first column names rows
    assert [ax.get_ylabel() for ax in fig.axes[1:4]] == ["", "", ""]
    # 4 * 0.8 + 1.2 = 4.4 by 3 * 0.8 = 2.4 inches at 100 dpi.
    path = plotting.save_sample_grid(model, tmp_path / "s.png", per_label=4)
    assert _png_shape(path) == (240, 440)


def test_image_rows_scale_and_square_every_row_and_leave_short_rows_blank(tmp_path):
    uint8_row = np.tile(np.arange(16, dtype=np.uint8) * 17, (3, 1))  # [3, 16]: 0, 17, ..., 255
    float_row = np.linspace(0, 1, 32).reshape(2, 4, 4)       # [2, 4, 4] float in [0, 1]
    fig = plotting.image_rows_figure([uint8_row, float_row], ["bytes", "floats"], title="t")
    assert len(fig.axes) == 6  # 2 rows x 3 columns
    shown = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(shown) == 5 and not fig.axes[5].axison
    np.testing.assert_allclose(shown[0], np.arange(16).reshape(4, 4) / 15, atol=1e-7)  # 17k/255
    np.testing.assert_allclose(shown[4], float_row[1], atol=1e-7)
    # 3 * 0.8 + 1.6 = 4.0 by 2 * 0.85 + 0.3 = 2.0 inches at 100 dpi.
    path = plotting.save_image_rows([uint8_row, float_row], ["bytes", "floats"], tmp_path / "r.png")
    assert _png_shape(path) == (200, 400)
    with pytest.raises(ValueError, match="square, got 15 pixels"):
        plotting.image_rows_figure([np.zeros((2, 15), np.float32)], ["odd"])


def test_interpolation_decodes_the_line_between_two_label_means():
    model = _model("pse_star", latent_dim=3)
    line = plotting.interpolate(model, 0, 1, steps=5)
    assert line.shape == (5, 16) and np.all((line >= 0) & (line <= 1))
    mu = model.label_distribution().mean().numpy()
    ends = model.decode_logits(mu[[0, 1]]).numpy()
    np.testing.assert_allclose(line[[0, -1]], 1 / (1 + np.exp(-ends)), atol=1e-6)
