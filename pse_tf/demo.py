"""A local demo page (Gradio) for a run directory or an export.

- Generate: type words, or an algebra of words (`sandal + boot - trouser`), and see images
  drawn from q(z | l) of that label vector.
- Annotate: upload or draw an image and see its annotation, a ranked list of the class names
  (and, for a word-vector run directory, any extra words you list) with probabilities, softmax of
  log q(mean of q(z|x) | l) over the candidates (paper §2), and its reconstruction.
- Both show a 2-d view of the label Gaussians and where the phrase or image sits
  (`plotting.latent_view_figure`: the latent dims themselves when Z = 2, else a PCA of the label
  means, with 1-sigma ellipses).

The page listens on 127.0.0.1 only unless told otherwise, refuses uploads over
`MAX_UPLOAD_BYTES`, texts over `MAX_TEXT` characters and images over `MAX_PIXELS`, and answers a
bad request with a one-line error on the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from pse_tf.labels.open_vocabulary import encode_default

MAX_TEXT = 200
MAX_IMAGES = 16
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
DISPLAY_SIDE = 112  # generated images are enlarged to this many pixels (nearest neighbour)


class DemoError(ValueError):
    """A request the page cannot answer; the message is shown to the user."""


# ----------------------------------------------------------------------------------------------
# Words -> label vectors


def parse_algebra(text: str) -> list[tuple[float, str]]:
    """`sandal + ankle boot - trouser` -> [(1, "sandal"), (1, "ankle boot"), (-1, "trouser")].

    Terms are separated by `+` or `-`; a term may start with a weight (`0.5 sandal`).
    """
    text = (text or "").strip()
    if not text:
        raise DemoError("type a word, a phrase or an algebra of words (e.g. `sandal + boot`)")
    if len(text) > MAX_TEXT:
        raise DemoError(f"text is {len(text)} characters; at most {MAX_TEXT}")
    terms = []
    for sign, term in re.findall(r"([+-]?)\s*([^+-]+)", text):
        term = " ".join(term.split())
        weight = 1.0
        match = re.match(r"^(\d+(?:\.\d*)?|\.\d+)\s*\*?\s*(.+)$", term)
        if match:
            weight, term = float(match.group(1)), match.group(2)
        if term:
            terms.append((-weight if sign == "-" else weight, term))
    if not terms:
        raise DemoError(f"no words in {text!r}")
    return terms


def label_vector(encoding, text: str) -> np.ndarray:
    """The label vector of a phrase or an algebra of phrases: float32 [L].

    Each term is encoded by `open_vocabulary.encode_default` (the default text normalisation,
    then word vectors: any in-vocabulary phrase; one-hot: a class name), as `pse_tf.inference`
    does, and the terms are added with their signs and weights. This is the one
    place that turns text into a label vector, so a richer text module can replace it.
    """
    terms = parse_algebra(text)
    try:
        vectors = encode_default(encoding, [phrase for _, phrase in terms])
    except ValueError as e:  # OOVError is a ValueError; one-hot refuses non-class phrases
        raise DemoError(str(e).splitlines()[0]) from None
    weights = np.array([w for w, _ in terms], np.float32)
    return (weights[:, None] * vectors).sum(0).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Models


class RunBackend:
    """A finished run directory (`pse_tf.runs.load_run`): every feature, extra words included."""

    def __init__(self, run_dir):
        import tensorflow as tf

        from pse_tf.plotting import model_image_shape
        from pse_tf.runs import load_run

        self._tf = tf
        self.model, self.config, self.encoding = load_run(run_dir)
        self.class_names = tuple(self.model.class_names)
        self.image_shape = tuple(model_image_shape(self.model))
        self.title = f"{Path(run_dir).name} ({self.config.model.name}, {self.config.dataset})"
        self.supports_vocabulary = self.encoding.encoding == "word2vec"

    def generate(self, vectors, seed: int):
        tf = self._tf
        pixels = self.model.generate(tf.constant(vectors, tf.float32),
                                     tf.constant([seed, 0], tf.int32))
        return pixels.numpy().reshape(-1, *self.image_shape)

    def annotate(self, images, vectors=None):
        tf = self._tf
        flat = tf.constant(images.reshape(len(images), -1), tf.float32)
        log_likelihood = self.model.annotation_log_likelihood(
            flat, None if vectors is None else tf.constant(vectors, tf.float32))
        return tf.nn.softmax(log_likelihood, axis=-1).numpy()

    def encode(self, images):
        q = self.model.encode(self._tf.constant(images.reshape(len(images), -1), np.float32))
        return q.mean().numpy(), q.stddev().numpy()

    def reconstruct(self, images):
        mean, _ = self.encode(images)
        logits = self.model.decode_logits(self._tf.constant(mean))
        return self._tf.sigmoid(logits).numpy().reshape(-1, *self.image_shape)

    def label_gaussians(self, vectors=None):
        q = self.model.label_distribution(
            None if vectors is None else self._tf.constant(vectors, self._tf.float32))
        return q.mean().numpy(), q.stddev().numpy()


class ExportBackend:
    """An exported SavedModel version folder (`export_metadata.json` beside it): generate,
    annotate over the class names and the latent view; no reconstruction (no decoder signature)
    and no extra words (the annotate signature ranks the class names only)."""

    supports_vocabulary = False

    def __init__(self, path, word_vectors=None):
        import tensorflow as tf

        from pse_tf.labels import LabelEncoding

        self._tf = tf
        meta = json.loads((Path(path) / "export_metadata.json").read_text())
        self.signatures = tf.saved_model.load(str(path)).signatures
        self.class_names = tuple(meta["class_names"])
        self.image_shape = tuple(meta["image_shape"])
        self.title = f"{meta['name']} v{meta['version']} ({meta['model']}, export)"
        self.encoding = LabelEncoding.build(self.class_names, meta["label_encoding"], word_vectors)
        self._labels = self.signatures.get("label_distributions")

    def generate(self, vectors, seed: int):
        out = self.signatures["generate"](label_vectors=self._tf.constant(vectors, np.float32),
                                          seed=self._tf.constant(seed, self._tf.int64))
        return out["images"].numpy()

    def annotate(self, images, vectors=None):
        return self.signatures["annotate"](images=self._tf.constant(images))["label_probs"].numpy()

    def encode(self, images):
        if "encode" not in self.signatures:
            return None
        out = self.signatures["encode"](images=self._tf.constant(images))
        return out["mean"].numpy(), out["stddev"].numpy()

    def reconstruct(self, images):
        return None

    def label_gaussians(self, vectors=None):
        if self._labels is None:
            return None
        out = self._labels()
        return out["mean"].numpy(), out["stddev"].numpy()


def open_backend(path, word_vectors=None):
    """A run directory (config.json) or an export version folder (export_metadata.json; an
    export's name folder opens its newest version)."""
    path = Path(path)
    if (path / "config.json").is_file():
        return RunBackend(path)
    if not (path / "export_metadata.json").is_file() and path.is_dir():
        versions = sorted((p for p in path.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        if versions:
            path = versions[-1]
    if (path / "export_metadata.json").is_file():
        return ExportBackend(path, word_vectors)
    raise FileNotFoundError(f"{path} is neither a run directory (config.json) nor an export "
                            "(export_metadata.json)")


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


class Demo:
    """The page's computations, without Gradio (so they can be tested directly)."""

    def __init__(self, backend):
        self.backend = backend

    def latent_view(self, points) -> np.ndarray | None:
        from pse_tf.plotting import figure_array, latent_view_figure

        labels = self.backend.label_gaussians()
        if labels is None:
            return None
        return figure_array(latent_view_figure(*labels, self.backend.class_names, points))

    def generate(self, text: str, count: int = 8, seed: int = 0):
        """(display images, note, latent view) for a phrase or an algebra of phrases."""
        count = int(count)
        if not 1 <= count <= MAX_IMAGES:
            raise DemoError(f"number of images must be 1..{MAX_IMAGES}, got {count}")
        vector = label_vector(self.backend.encoding, text)
        images = self.backend.generate(np.repeat(vector[None], count, 0), int(seed))
        terms = " ".join(f"{'+' if w > 0 else '-'} {'' if abs(w) == 1 else f'{abs(w):g}·'}{p}"
                         for w, p in parse_algebra(text))
        points = []
        gaussian = (self.backend.label_gaussians(vector[None])
                    if isinstance(self.backend, RunBackend) else None)
        if gaussian is not None:
            points = [(text.strip()[:30], gaussian[0][0], gaussian[1][0], "crimson")]
        note = f"{count} images from q(z | l), l = {terms.lstrip('+ ')}"
        return [for_display(im) for im in images], note, self.latent_view(points)

    def annotate(self, image, extra_words: str = "", drawn: bool = False):
        """({word: probability}, reconstruction or None, latent view) of one image: an upload,
        or with `drawn` a Sketchpad value (`drawing_ink`)."""
        pixels = drawing_ink(image) if drawn else _drawn(image)
        x = to_model_image(pixels, self.backend.image_shape)[None]
        names, vectors = list(self.backend.class_names), None
        extra = [w.strip() for w in (extra_words or "").split(",") if w.strip()]
        if extra:
            if not self.backend.supports_vocabulary:
                raise DemoError("extra words need a run directory with word-vector labels")
            if len(",".join(extra)) > MAX_TEXT:
                raise DemoError(f"extra words: at most {MAX_TEXT} characters")
            extra = [w for w in dict.fromkeys(extra) if w not in names]
            try:
                vectors = np.concatenate([self.backend.encoding.vectors,
                                          self.backend.encoding.encode(extra)])
            except ValueError as e:
                raise DemoError(str(e).splitlines()[0]) from None
            names += extra
        probs = self.backend.annotate(x, vectors)[0]
        ranked = {name: float(p) for name, p in zip(names, probs)}
        recon = self.backend.reconstruct(x)
        encoded = self.backend.encode(x)
        points = [] if encoded is None else [("image", encoded[0][0], encoded[1][0], "black")]
        return (ranked, None if recon is None else for_display(recon[0]),
                self.latent_view(points))


def build_app(backend):
    """The Gradio Blocks page for `backend` (`open_backend`)."""
    import gradio as gr

    demo = Demo(backend)

    def guarded(fn):
        def run(*args):
            try:
                return fn(*args)
            except DemoError as e:
                raise gr.Error(str(e)) from None
        return run

    names = ", ".join(backend.class_names)
    shape = "×".join(map(str, backend.image_shape))
    with gr.Blocks(title="PSE demo", analytics_enabled=False) as app:
        gr.Markdown(f"## Probabilistic Semantic Embedding: {backend.title}\n"
                    f"Classes: {names}. Images {shape}.")
        with gr.Tab("Generate"):
            with gr.Row():
                words = gr.Textbox(label="Words (e.g. `sandal`, `sandal + boot - trouser`)",
                                   max_length=MAX_TEXT, elem_id="words",
                                   value="", placeholder=backend.class_names[0])
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
                    extra = gr.Textbox(label="Extra words to rank (comma-separated, word-vector "
                                       "runs only)", max_length=MAX_TEXT)
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


def serve(path, host: str = "127.0.0.1", port: int = 7860, word_vectors=None,
          block: bool = True):
    """Opens `path` (`open_backend`) and serves its page; returns the Gradio app."""
    app = build_app(open_backend(path, word_vectors))
    app.queue(default_concurrency_limit=2, max_size=16)
    app.launch(server_name=host, server_port=port, share=False, inbrowser=False,
               max_file_size=MAX_UPLOAD_BYTES, prevent_thread_lock=not block, show_error=True,
               quiet=True)
    return app
