"""The demo page: words and images in, clear errors out; and the page itself in headless
Chromium (selenium): "t-shirt" typed into the page gives T-shirts (the Fashion-MNIST evaluator
says so)."""

import io
import urllib.request

import numpy as np
import pytest

from pse_tf.demo import MAX_PIXELS, DemoError, drawing_ink, to_model_image
from tests.helpers.browser import demo_page, generate


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


@pytest.mark.parametrize("kind", ["run", pytest.param("export", marks=pytest.mark.slow)])
def test_demo_reads_the_one_query_grammar(tmp_path, kind):
    """"t-shirt" is the class t-shirt, not "t" minus "shirt"; bad text is a one-line DemoError.
    On a hand-written run with random weights, and on its export (a minute: slow)."""
    from pse_tf.demo import Demo
    from pse_tf.inference import load
    from tests.helpers.random_run import write_random_run

    run_dir, export_dir = write_random_run(tmp_path, vocabulary_size=1000,
                                           export=kind == "export")
    demo = Demo(load(run_dir if kind == "run" else export_dir))
    images, note, view = demo.generate("t-shirt", 3, seed=2)
    assert note == "3 images from q(z | l), l = t-shirt"
    assert len(images) == 3 and images[0].shape == (112, 112) and view.ndim == 3
    np.testing.assert_array_equal(
        images[0], demo.generate("T-shirts", 3, seed=2)[0][0])  # plural of the class name
    assert demo.generate("shirt - coat + dress", 1)[1].endswith("l = shirt - coat + dress")
    for text, message in (("+ - +", "must stand between"), ("", "type a word"),
                          ("a" * 201, "at most 200"), ("qqqzzxx", "qqqzzxx")):
        with pytest.raises(DemoError, match=message):
            demo.generate(text, 2)
    ranked, recon, _ = demo.annotate(np.zeros((28, 28), np.uint8), "red, t-shirt")
    assert list(ranked)[-1] == "red" and len(ranked) == 11  # "t-shirt" is a class name
    assert abs(sum(ranked.values()) - 1) < 1e-4
    assert (recon is None) == (demo.predictor.backend.kind == "export")


def _page_images(driver):
    """The gallery's images as the page shows them, fetched from the server: float [N, H, W]."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    out = []
    for img in driver.find_elements(By.CSS_SELECTOR, "#gallery img"):
        with urllib.request.urlopen(img.get_attribute("src"), timeout=30) as response:
            out.append(np.asarray(Image.open(io.BytesIO(response.read())).convert("L")))
    return np.stack(out).astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A PSE* trained 1,200 steps on Fashion-MNIST with word-vector labels (about 90 s)."""
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.runs import train

    config = TrainConfig(dataset="fashion_mnist", label_encoding="word2vec", steps=1200,
                         steps_per_execution=200, checkpoint_every=1200,
                         out=str(tmp_path_factory.mktemp("demo_run")), model=ModelConfig())
    return train(config, verbose=0, run_evaluation=False, export=False).run_dir


@pytest.mark.slow
def test_annotation_on_a_trained_run(trained_run):
    from pse_tf.data import load_dataset
    from pse_tf.demo import Demo
    from pse_tf.inference import load

    test = load_dataset("fashion_mnist")
    sandal = test.test_images[np.flatnonzero(test.test_labels == 5)[0]]
    ranked, recon, view = Demo(load(trained_run)).annotate(sandal, "shoe, sandal")
    assert list(ranked)[-1] == "shoe" and len(ranked) == 11
    assert abs(sum(ranked.values()) - 1) < 1e-4 and recon.shape[:2] == (112, 112)
    assert view.ndim == 3


@pytest.mark.slow
def test_demo_page_in_headless_chromium(trained_run, tmp_path):
    """"t-shirt" typed into the page: the images it shows are T-shirts (class 0) to the committed
    Fashion-MNIST evaluator; the old grammar read "t" minus "shirt" there."""
    pytest.importorskip("gradio")
    pytest.importorskip("selenium")
    from selenium.webdriver.common.by import By

    from pse_tf.evaluation.evaluators import load_evaluator

    with demo_page(trained_run, tmp_path) as (driver, wait):
        box = generate(driver, wait, "t-shirt")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#latent-generate img"))
        assert "l = t-shirt" in driver.find_element(By.ID, "generate-note").text
        # Displayed at 4x (nearest neighbour): every 4th pixel is the 28 x 28 image.
        images = _page_images(driver)[:, ::4, ::4]
        assert images.shape == (8, 28, 28)
        classes = np.argmax(load_evaluator("fashion_mnist").predict(images, verbose=0), axis=1)
        # At 1,200 steps T-shirts are 5 or 6 of 8 (shirts the rest); "t" - "shirt" gives none.
        assert np.bincount(classes, minlength=10).argmax() == 0 and np.mean(classes == 0) >= 0.5, \
            f"evaluator classes of the page's images: {classes}"
        # Painted: every gallery image has loaded (a condition, not a fixed sleep).
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#gallery img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"))
        screenshot = tmp_path / "demo.png"
        assert driver.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 0
        # A word without a word vector is a one-line error on the page, not a crash.
        box.clear()
        box.send_keys("qqqzzxx")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: "not in the word-vector vocabulary" in d.page_source)
