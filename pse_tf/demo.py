"""A local demo page (Gradio) for a run directory or an export, built on `pse_tf.inference`.

- Generate: type a phrase or a query (`sandal + boot - trouser`, `pse_tf.inference.query`) and
  see images drawn from q(z | l).
- Annotate: upload or draw an image and see the class names and any words you list ranked by
  softmax of log q(mean of q(z|x) | l) (paper §2), and for a run its reconstruction.
- Both show a 2-d view of the label Gaussians (`plotting.latent_view_figure`).

Every computation goes through a `Predictor` (`pse_tf.inference.load`), as the CLI does. The
page listens on 127.0.0.1 only unless told otherwise, refuses uploads over
`MAX_UPLOAD_BYTES`, texts over `MAX_TEXT` characters and images over `MAX_PIXELS`, and answers a
bad request with a one-line error on the page.
"""

from __future__ import annotations

import numpy as np

from pse_tf.inference import InputError, Predictor, load, parse_query

MAX_TEXT = 200
MAX_IMAGES = 16
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
DISPLAY_SIDE = 112  # generated images are enlarged to this many pixels (nearest neighbour)


class DemoError(InputError):
    """A request the page cannot answer; the message is shown to the user."""


# ----------------------------------------------------------------------------------------------
# Images in and out


def to_model_image(image, shape) -> np.ndarray:
    """An uploaded or drawn image (uint8 [H, W], [H, W, 1], [H, W, 3] or [H, W, 4]; integers
    read as 0..255, floats as 0..1) as the model's input: float32 `shape` in [0, 1], resized
    (bilinear, antialiased); transparent pixels count as background (0), like the folder loader;
    colour becomes grey (ITU-R 601 luma, as the folder loader) for a grey model and grey is
    repeated over the channels of a colour one."""
    import tensorflow as tf

    x = np.asarray(image)
    if x.dtype.kind not in "biuf":
        raise DemoError(f"not an image: array of {x.dtype}")
    if x.ndim not in (2, 3) or x.size == 0 or (x.ndim == 3 and x.shape[-1] not in (1, 3, 4)):
        raise DemoError(f"not an image: array of shape {list(x.shape)}")
    if x.shape[0] * x.shape[1] > MAX_PIXELS:
        raise DemoError(f"image is {x.shape[1]}x{x.shape[0]} pixels; at most {MAX_PIXELS} pixels")
    x = x.astype(np.float32) / (255.0 if x.dtype.kind in "iu" else 1.0)
    if x.ndim == 2:
        x = x[..., None]
    if x.shape[-1] == 4:
        x = x[..., :3] * x[..., 3:]
    if len(shape) == 2 and x.shape[-1] == 3:
        x = x @ np.array([[0.299], [0.587], [0.114]], np.float32)
    elif len(shape) == 3 and x.shape[-1] == 1:
        x = np.repeat(x, shape[2], -1)
    # Antialiased like PIL's resize in the folder loader: a large upload or an 8x-down drawing
    # would otherwise keep only every few pixels and lose thin strokes.
    x = tf.image.resize(x, shape[:2], method="bilinear", antialias=True).numpy()
    return np.clip(x if len(shape) == 3 else x[..., 0], 0, 1).astype(np.float32)


def drawing_ink(value) -> np.ndarray:
    """A Sketchpad value (dark strokes on white paper) as ink: uint8 [H, W], 255 where drawn.

    The training images are light objects on a black background (MNIST's convention, and the
    folder loader's for transparent pixels), so the drawing is inverted; transparent pixels are
    paper.
    """
    x = np.asarray(_drawn(value))
    if x.ndim != 3 or x.shape[-1] not in (3, 4) or x.dtype.kind not in "iu":
        raise DemoError(f"not a drawing: array of {x.dtype} {list(x.shape)}")
    rgb = x[..., :3].astype(np.float32)
    if x.shape[-1] == 4:
        alpha = x[..., 3:].astype(np.float32) / 255.0
        rgb = rgb * alpha + 255.0 * (1 - alpha)
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(255.0 - luma), 0, 255).astype(np.uint8)


def for_display(image) -> np.ndarray:
    """float [H, W] or [H, W, C] in [0, 1] -> uint8, enlarged to about `DISPLAY_SIDE` pixels."""
    x = np.clip(np.rint(np.asarray(image) * 255), 0, 255).astype(np.uint8)
    scale = max(1, DISPLAY_SIDE // max(x.shape[:2]))
    return x.repeat(scale, 0).repeat(scale, 1)


def _drawn(value):
    """The pixels of an Image or Sketchpad value: an array, or the composite of an editor dict."""
    if isinstance(value, dict):
        value = value.get("composite")
    if value is None:
        raise DemoError("upload or draw an image first")
    return value


# ----------------------------------------------------------------------------------------------
# The page


def _one_line(error: ValueError) -> DemoError:
    """Any input error (InputError, OOVError, ...) as a DemoError with its first line."""
    return DemoError(str(error).splitlines()[0] if str(error) else type(error).__name__)


class Demo:
    """The page's computations, without Gradio (so they can be tested directly).

    Args:
        predictor: `pse_tf.inference.Predictor` (`pse_tf.inference.load(path)`).
    """

    def __init__(self, predictor: Predictor):
        self.predictor = predictor
        self._labels = None

    def label_gaussians(self):
        """(mean, stddev) of q(z|l) of every class name, or None when the model has none."""
        if self._labels is None:
            try:
                self._labels = self.predictor.label_gaussians(
                    self.predictor.phrase_vectors(self.predictor.class_names))
            except (NotImplementedError, ValueError):  # CVAE has no label encoder
                self._labels = ()
        return self._labels or None

    def latent_view(self, points) -> np.ndarray | None:
        from pse_tf.plotting import figure_array, latent_view_figure

        labels = self.label_gaussians()
        if labels is None:
            return None
        return figure_array(latent_view_figure(*labels, self.predictor.class_names, points))

    def generate(self, text: str, count: int = 8, seed: int = 0):
        """(display images, note, latent view) for a phrase or an algebra of phrases."""
        count = int(count)
        if not 1 <= count <= MAX_IMAGES:
            raise DemoError(f"number of images must be 1..{MAX_IMAGES}, got {count}")
        text = text or ""
        if not text.strip():
            raise DemoError("type a word, a phrase or an algebra of words (e.g. `sandal + boot`)")
        if len(text) > MAX_TEXT:
            raise DemoError(f"text is {len(text)} characters; at most {MAX_TEXT}")
        try:
            terms = parse_query(text)
            vectors = self.predictor.query_vectors([text])
            images = self.predictor.generate_vectors(vectors, count, int(seed))[0]
            gaussian = self.label_gaussians() and self.predictor.label_gaussians(vectors)
        except ValueError as error:  # InputError, OOVError, one-hot refusing a new phrase
            raise _one_line(error) from None
        points = [] if not gaussian else [(text.strip()[:30], gaussian[0][0], gaussian[1][0],
                                           "crimson")]
        algebra = " ".join(f"{'+' if s > 0 else '-'} {p}" for s, p in terms)
        note = f"{count} images from q(z | l), l = {algebra.removeprefix('+ ')}"
        return [for_display(im) for im in images], note, self.latent_view(points)

    def annotate(self, image, extra_words: str = "", drawn: bool = False):
        """({word: probability}, reconstruction or None, latent view) of one image: an upload,
        or with `drawn` a Sketchpad value (`drawing_ink`). The words are the class names, then
        the comma-separated `extra_words`."""
        pixels = drawing_ink(image) if drawn else _drawn(image)
        x = to_model_image(pixels, self.predictor.image_shape)[None]
        names = list(self.predictor.class_names)
        extra = [w.strip() for w in (extra_words or "").split(",") if w.strip()]
        if len(",".join(extra)) > MAX_TEXT:
            raise DemoError(f"extra words: at most {MAX_TEXT} characters")
        names += [w for w in dict.fromkeys(extra) if w not in names]
        try:
            probs = self.predictor.word_probabilities(x, names)[0]
            recon = self.predictor.reconstruct(x)
            encoded = self.predictor.encode(x)
        except ValueError as error:
            raise _one_line(error) from None
        ranked = {name: float(p) for name, p in zip(names, probs)}
        points = [("image", encoded[0][0], encoded[1][0], "black")]
        return (ranked, None if recon is None else for_display(recon[0]),
                self.latent_view(points))


def build_app(predictor: Predictor):
    """The Gradio Blocks page for a `Predictor`."""
    import gradio as gr

    demo = Demo(predictor)

    def guarded(fn):
        def run(*args):
            try:
                return fn(*args)
            except ValueError as e:  # DemoError, InputError, OOVError
                raise gr.Error(_one_line(e).args[0]) from None
        return run

    names = ", ".join(predictor.class_names)
    shape = "×".join(map(str, predictor.image_shape))
    with gr.Blocks(title="PSE demo", analytics_enabled=False) as app:
        gr.Markdown(f"## Probabilistic Semantic Embedding: {predictor.describe()}\n"
                    f"Classes: {names}. Images {shape}.")
        with gr.Tab("Generate"):
            with gr.Row():
                words = gr.Textbox(label="Words (e.g. `sandal`, `sandal + boot - trouser`)",
                                   max_length=MAX_TEXT, elem_id="words",
                                   value="", placeholder=predictor.class_names[0])
                count = gr.Slider(1, MAX_IMAGES, value=8, step=1, label="Images")
                seed = gr.Number(value=0, precision=0, label="Seed")
            go = gr.Button("Generate", variant="primary", elem_id="generate")
            note = gr.Markdown(elem_id="generate-note")
            with gr.Row():
                gallery = gr.Gallery(label="Generated", columns=4, height=460, elem_id="gallery")
                view = gr.Image(label="Latent space", elem_id="latent-generate")
            inputs, outputs = [words, count, seed], [gallery, note, view]
            go.click(guarded(demo.generate), inputs, outputs)
            words.submit(guarded(demo.generate), inputs, outputs)
        with gr.Tab("Annotate"):
            with gr.Row():
                with gr.Column():
                    upload = gr.Image(label="Upload an image", type="numpy", image_mode="RGBA",
                                      sources=["upload", "clipboard"], elem_id="upload")
                    # Strokes about as wide, relative to the image, as Fashion-MNIST's edges.
                    sketch = gr.Sketchpad(label="…or draw one (read as light on black)",
                                          type="numpy", image_mode="RGBA",
                                          canvas_size=(280, 280),
                                          brush=gr.Brush(colors=["#000000"], color_mode="fixed",
                                                         default_size=12))
                    extra = gr.Textbox(label="Extra words to rank (comma-separated; word-vector "
                                       "labels)", max_length=MAX_TEXT)
                    with gr.Row():
                        annotate_upload = gr.Button("Annotate upload", variant="primary",
                                                    elem_id="annotate-upload")
                        annotate_sketch = gr.Button("Annotate drawing")
                ranked = gr.Label(label="Annotation", num_top_classes=10, elem_id="annotation")
                recon = gr.Image(label="Reconstruction (decoder of the q(z|x) mean)",
                                 elem_id="reconstruction")
                aview = gr.Image(label="Latent space")
            annotate_upload.click(guarded(demo.annotate), [upload, extra], [ranked, recon, aview])
            annotate_sketch.click(guarded(lambda drawing, words: demo.annotate(drawing, words,
                                                                              drawn=True)),
                                  [sketch, extra], [ranked, recon, aview])
    return app


def serve(path, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Opens `path` (`pse_tf.inference.load`: a run directory or an export) and serves its page;
    returns the Gradio app."""
    app = build_app(load(path))
    app.queue(default_concurrency_limit=2, max_size=16)
    app.launch(server_name=host, server_port=port, share=False, inbrowser=False,
               max_file_size=MAX_UPLOAD_BYTES, prevent_thread_lock=not block, show_error=True,
               quiet=True)
    return app
