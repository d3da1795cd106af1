"""The demo page against a run trained on a folder of colour images (32 x 32 x 3) and its
export: words in, colour images out; uploads of any size and mode, and drawings, annotated;
then the page itself in headless Chromium."""

import numpy as np
import pytest

from pse_tf.config import ModelConfig, TrainConfig
from pse_tf.data.catalog import load
from pse_tf.demo import Demo, DemoError
from pse_tf.export.archive import export_model
from pse_tf.inference import load as load_predictor
from pse_tf.runs import load_run, train
from tests.own_data.builders import write_folder

pytestmark = pytest.mark.slow  # trains a run (about 30 s on 2 cores)

NAMES = ("ankle boot", "sandal", "trouser")


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    """(folder, run directory, export folder) of a tiny PSE* run on three tinted classes."""
    root = tmp_path_factory.mktemp("own_demo")
    folder = write_folder(root / "clothes", per_class=30)
    config = TrainConfig(
        dataset=f"folder:{folder}", label_encoding="word2vec", steps=300, batch_size=32,
        steps_per_execution=100, checkpoint_every=300, jit_compile=False, out=str(root / "runs"),
        model=ModelConfig(latent_dim=2, hidden_units=(64, 32), classifier_units=(32, 16)))
    run_dir = train(config, verbose=0, run_evaluation=False, export=False).run_dir
    # No TFLite: the demo serves the SavedModel only, and conversion would double the time.
    export_model(load_run(run_dir)[0], "clothes", root / "exported", tflite=False)
    return folder, run_dir, root / "exported" / "clothes"


def _test_images(folder):
    """One uint8 [32, 32, 3] test-split image per class, in `NAMES` order."""
    data = load(f"folder:{folder}")
    return [data.test_images[np.flatnonzero(data.test_labels == c)[0]] for c in range(3)]


def _redder(image) -> float:
    """Mean red minus mean blue of a displayed image: the tints tell the classes apart."""
    image = np.asarray(image, np.float32)
    return float(image[..., 0].mean() - image[..., 2].mean())


def _check_ranked(ranked, names):
    assert tuple(ranked) == tuple(names)
    probs = np.array(list(ranked.values()))
    assert np.all(probs >= 0) and 0.99 < probs.sum() <= 1 + 1e-5


def test_generate_from_words_in_colour(own_run):
    demo = Demo(load_predictor(own_run[1]))
    assert demo.predictor.class_names == NAMES and demo.predictor.image_shape == (32, 32, 3)
    sandals, note, view = demo.generate("sandal", 4, seed=3)
    assert len(sandals) == 4 and all(im.shape == (96, 96, 3) and im.dtype == np.uint8
                                     for im in sandals)
    assert "sandal" in note and view.ndim == 3 and view.shape[-1] in (3, 4)
    np.testing.assert_array_equal(demo.generate("sandal", 4, seed=3)[0][0], sandals[0])
    trousers = demo.generate("trouser", 4, seed=3)[0]
    # Sandals are tinted blue, trousers red (builders.TINTS): the colour must come through.
    # Relative, since a short run's samples share a dull background of every colour.
    assert _redder(np.stack(trousers)) > _redder(np.stack(sandals)) + 10
    assert len(demo.generate("sandal + ankle boot - trouser", 2)[0]) == 2
    with pytest.raises(DemoError, match="not in the word-vector vocabulary"):
        demo.generate("qqqzzx", 2)


def test_annotate_colour_uploads_of_any_size_and_mode(own_run):
    folder, run_dir, _ = own_run
    demo = Demo(load_predictor(run_dir))
    boot, sandal, trouser = _test_images(folder)
    # A larger RGBA upload (opaque), a float RGB one, and the model's own size.
    big = np.dstack([sandal.repeat(3, 0).repeat(2, 1), np.full((96, 64), 255, np.uint8)])
    for image, name in ((big, "sandal"), (trouser.astype(np.float32) / 255, "trouser"),
                        (boot, "ankle boot")):
        ranked, recon, view = demo.annotate(image)
        _check_ranked(ranked, NAMES)
        assert max(ranked, key=ranked.get) == name
        assert recon.shape == (96, 96, 3) and recon.dtype == np.uint8 and view.ndim == 3
    ranked, recon, _ = demo.annotate(big)
    assert _redder(recon) < 0  # the sandal's reconstruction is blue, not grey
    # A grey upload of another size is repeated over the channels; extra words are ranked too.
    grey = sandal.mean(-1).astype(np.uint8)[::2, ::2]
    ranked, _, _ = demo.annotate(grey, "shoe, boot, sandal")
    _check_ranked(ranked, NAMES + ("shoe", "boot"))
    with pytest.raises(DemoError, match="not an image"):
        demo.annotate(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(DemoError, match="upload or draw an image first"):
        demo.annotate(None)


def test_annotate_a_drawing(own_run):
    demo = Demo(load_predictor(own_run[1]))
    paper = np.full((280, 280, 4), 255, np.uint8)
    paper[40:240, 90:190, :3] = 0  # a filled black block, the Sketchpad's ink
    ranked, recon, _ = demo.annotate({"composite": paper, "layers": []}, drawn=True)
    _check_ranked(ranked, NAMES)
    assert recon.shape == (96, 96, 3)


def test_the_export_serves_the_same_page(own_run):
    folder, _, export = own_run
    demo = Demo(load_predictor(export))  # the newest version
    assert demo.predictor.class_names == NAMES and demo.predictor.image_shape == (32, 32, 3)
    images, _, view = demo.generate("trouser", 2, seed=1)
    assert [im.shape for im in images] == [(96, 96, 3)] * 2 and view.ndim == 3
    assert _redder(np.stack(images)) > _redder(np.stack(demo.generate("sandal", 2, seed=1)[0]))
    ranked, recon, _ = demo.annotate(_test_images(folder)[1])
    _check_ranked(ranked, NAMES)
    assert max(ranked, key=ranked.get) == "sandal" and recon is None
    # Extra words come from the export's own vocabulary (its phrase_vectors signature).
    ranked, _, _ = demo.annotate(_test_images(folder)[1], "shoe")
    _check_ranked(ranked, NAMES + ("shoe",))
    with pytest.raises(DemoError, match="not in this export's.*--vocabulary-size"):
        demo.annotate(_test_images(folder)[1], "qqqzzxx")


def test_page_in_headless_chromium(own_run, tmp_path):
    pytest.importorskip("gradio")
    pytest.importorskip("selenium")
    import keras
    from selenium.webdriver.common.by import By

    from tests.helpers.browser import demo_page, generate

    folder, run_dir, _ = own_run
    upload = tmp_path / "sandal.png"  # 64 x 64 RGB: not the model's size
    keras.utils.array_to_img(_test_images(folder)[1], scale=False).resize((64, 64)).save(upload)
    with demo_page(run_dir, tmp_path) as (driver, wait):
        generate(driver, wait, "sandal")
        tab = [b for b in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]")
               if "Annotate" in b.text][0]
        tab.click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#upload input[type=file]"))
        driver.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(upload))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload img"))
        driver.find_element(By.ID, "annotate-upload").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reconstruction img"))
        top = wait.until(lambda d: d.find_element(
            By.CSS_SELECTOR, "#annotation [data-testid=label-output-value]").text.strip() or None)
        assert top == "sandal"
