"""The demo page: words and images in, clear errors out; and the page itself in headless
Chromium (selenium), which also writes results/figures/demo.png."""

import time
from pathlib import Path

import numpy as np
import pytest

from pse_tf.demo import (MAX_PIXELS, MAX_TEXT, DemoError, drawing_ink, label_vector,
                         parse_algebra, to_model_image)
from pse_tf.labels import LabelEncoding
from tests.helpers.browser import demo_page, generate

SCREENSHOT = Path(__file__).resolve().parents[1] / "results" / "figures" / "demo.png"


def test_algebra_of_words():
    assert parse_algebra(" sandal + 0.5 ankle  boot - trouser") == [
        (1.0, "sandal"), (0.5, "ankle boot"), (-1.0, "trouser")]
    encoding = LabelEncoding.build(["a", "b", "c"], "onehot")
    np.testing.assert_array_equal(label_vector(encoding, "a + 2 c - b"), [1, -1, 2])
    with pytest.raises(DemoError, match="type a word"):
        parse_algebra("  ")
    with pytest.raises(DemoError, match=f"at most {MAX_TEXT}"):
        parse_algebra("a" * (MAX_TEXT + 1))
    with pytest.raises(DemoError, match="'d'"):
        label_vector(encoding, "a + d")
    # the default normalisation, as pse_tf.inference: a plural of a class name is that class
    garments = LabelEncoding.build(["sandal", "bag"], "onehot")
    np.testing.assert_array_equal(label_vector(garments, "Sandals + 2 bags"), [1, 2])


def test_uploads_become_model_inputs():
    rgba = np.zeros((40, 50, 4), np.uint8)
    rgba[..., :3], rgba[10:20, 10:20, 3] = 255, 255  # white ink where opaque
    grey = to_model_image(rgba, (28, 28))
    assert grey.shape == (28, 28) and grey.max() > 0.9 and grey[0, 0] == 0
    assert to_model_image(rgba[..., 0], (32, 32, 3)).shape == (32, 32, 3)
    with pytest.raises(DemoError, match="not an image"):
        to_model_image(np.zeros((4, 4, 5), np.uint8), (28, 28))
    with pytest.raises(DemoError, match="pixels; at most"):
        to_model_image(np.broadcast_to(np.uint8(0), (MAX_PIXELS // 100 + 1, 100)), (28, 28))
    with pytest.raises(DemoError, match="not an image: array of <U"):
        to_model_image(np.array([["a"]]), (28, 28))
    # Integers are 0..255 whatever their type; a grey model sees colour as luma.
    grey = to_model_image(np.full((8, 8), 51, np.int64), (4, 4))
    np.testing.assert_allclose(grey, 0.2, atol=1e-6)
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    np.testing.assert_allclose(to_model_image(red, (4, 4)), 0.299, atol=1e-6)


def test_drawings_are_light_ink_on_black():
    # The Sketchpad's composite: black strokes on opaque white paper (transparent = paper too).
    paper = np.full((280, 280, 4), 255, np.uint8)
    paper[100:180, 130:150, :3] = 0
    paper[:10, :, 3] = 0
    ink = drawing_ink({"composite": paper, "layers": [], "background": None})
    assert ink.shape == (280, 280) and ink[0, 0] == 0 and ink[140, 140] == 255
    assert ink.sum() == 80 * 20 * 255
    x = to_model_image(ink, (32, 32, 3))
    assert x.shape == (32, 32, 3) and x[16, 16].min() > 0.5 and x[0, 0].max() == 0
    with pytest.raises(DemoError, match="upload or draw an image first"):
        drawing_ink({"composite": None})


@pytest.mark.slow
def test_demo_page_in_headless_chromium(tmp_path):
    pytest.importorskip("gradio")
    pytest.importorskip("selenium")
    from selenium.webdriver.common.by import By

    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.runs import train

    config = TrainConfig(dataset="fashion_mnist", label_encoding="word2vec", steps=600,
                         steps_per_execution=100, checkpoint_every=600, out=str(tmp_path),
                         model=ModelConfig(latent_dim=2))
    run_dir = train(config, verbose=0, run_evaluation=False, export=False).run_dir
    # Annotation of an uploaded image: class names plus an extra word, ranked, and a reconstruction.
    from pse_tf.data import load_dataset
    from pse_tf.demo import Demo, open_backend

    sandal = load_dataset("fashion_mnist").test_images[np.flatnonzero(
        load_dataset("fashion_mnist").test_labels == 5)[0]]
    ranked, recon, view = Demo(open_backend(run_dir)).annotate(sandal, "shoe, sandal")
    assert list(ranked)[-1] == "shoe" and len(ranked) == 11
    assert abs(sum(ranked.values()) - 1) < 1e-4 and recon.shape[:2] == (112, 112)
    assert view.ndim == 3
    with demo_page(run_dir, tmp_path) as (driver, wait):
        box = generate(driver, wait, "sneaker")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#latent-generate img"))
        assert "sneaker" in driver.find_element(By.ID, "generate-note").text
        time.sleep(1)  # let the images finish painting
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))
        # A word without a word vector is a one-line error on the page, not a crash.
        box.clear()
        box.send_keys("qqqzzxx")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: "not in the word-vector vocabulary" in d.page_source)

