"""Text in, text out: one Python API over a run directory or an export directory.

    from pse_tf.inference import load
    pse = load("runs/fashion_mnist-pse_star-word2vec-z10-seed0")   # or exported/<name>[/<version>]
    images = pse.generate(["sneaker + sandal", "boot - ankle"], samples=8, seed=0)  # [Q, 8, 28, 28]
    pse.annotate(images[0], top_k=5)               # [[(word, probability), ...] per image]

Both back ends offer the same four primitives, and everything else is computed from them here:

    phrase_vectors(phrases)       label vectors l [N, L]      run: open_vocabulary.encode_default
                                                              export: `phrase_vectors` signature
    label_distribution(vectors)   mean, stddev of q(z|l)      run: model; export: `embed_labels`
    encode(images)                mean, stddev of q(z|x)      run: model; export: `encode`
    generate(vectors, seed)       Bernoulli means [N, H, W]   run: model; export: `generate`

Every phrase first gets the measured default text normalisation, `open_vocabulary.DEFAULT`
(numerals 0..20 spelt out; a plural of a class-name word made singular: "trousers" -> "trouser",
"7" -> "seven"), the treatment results/unseen_words.md scores. Its rule is one token map
(`OpenVocabulary.replacements`): a run applies it in Python, an export in its graph from a table
built from the same map, so both give the same vectors and images.

Query algebra (`parse_query`): a query is phrases joined by `+` and `-` standing alone between
spaces ("sneaker + sandal", "boot - ankle", "ankle boot - ankle + high heel"); a hyphen inside
a word is part of the word ("t-shirt"). Its label vector is the signed sum of the phrases'
vectors (each phrase = the mean of its words' vectors, paper §2.1), l = sum_i s_i v(p_i), and
images come from z ~ q(z|l) of that vector, exactly as for a single phrase. Interpolation between
two queries A and B uses l_t = (1 - t) l_A + t l_B, t = 0, 1/(K-1), ..., 1.

Errors for bad input are ValueError subclasses with one-line messages: `OOVError` (unknown word,
with close spellings), `InputError` (empty phrase, bad query, bad image file or array).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from pse_tf.evaluation import scores as scores_lib
from pse_tf.labels.open_vocabulary import DEFAULT, encode_default

DEFAULT_VOCABULARY_SIZE = 10_000
_WORD = re.compile(r"^[^\W\d_][\w'.-]*$")  # starts with a letter: no punctuation or number tokens


class InputError(ValueError):
    """Bad user input: an empty phrase, a malformed query, an unreadable or mis-sized image."""


def parse_query(query: str) -> list[tuple[float, str]]:
    """Splits "a + b - c" into [(+1, "a"), (+1, "b"), (-1, "c")] (see the module docstring).

    Raises:
        InputError: empty query, a query starting or ending with an operator, two operators in
            a row.
    """
    if not isinstance(query, str):
        raise InputError(f"a query must be a str, got {type(query).__name__}")
    terms, sign, words = [], 1.0, []
    for token in query.split():
        if token in ("+", "-"):
            if not words:
                raise InputError(f"query {query!r}: {token!r} must stand between two phrases")
            terms.append((sign, " ".join(words)))
            sign, words = (1.0 if token == "+" else -1.0), []
        else:
            words.append(token)
    if not words:
        raise InputError(f"query {query!r} is empty" if not terms else
                         f"query {query!r} ends with an operator")
    terms.append((sign, " ".join(words)))
    return terms


def normalise(phrases, class_names) -> list[str]:
    """`open_vocabulary.DEFAULT`'s text normalisation of each phrase."""
    return [DEFAULT.normalise(p, class_names) for p in phrases]


def frequent_words(words, size: int) -> list[str]:
    """The first `size` entries of a frequency-ordered word list that start with a letter
    (punctuation and number tokens are skipped)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"vocabulary size must be a positive int, got {size!r}")
    out = []
    for word in words:
        if isinstance(word, str) and _WORD.match(word):
            out.append(word)
            if len(out) == size:
                break
    return out


def read_word_file(path) -> list[str]:
    """Words or phrases, one per line; blank lines and lines starting with # are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"vocabulary file {str(path)!r} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise InputError(f"vocabulary file {str(path)!r} is not UTF-8 text ({err})") from None
    words = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not words:
        raise InputError(f"vocabulary file {str(path)!r} has no words")
    return list(dict.fromkeys(words))


class _RunBackend:
    def __init__(self, run_dir):
        from pse_tf.runs import load_run

        self.model, self.config, self.encoding = load_run(run_dir)
        self.kind, self.path = "run", Path(run_dir)
        self.class_names = tuple(self.encoding.class_names)
        self.label_encoding = self.encoding.encoding
        side = math.isqrt(int(self.config.model.image_dim))
        self.image_shape = (side, side)
        self.dataset = self.config.dataset

    def phrase_vectors(self, phrases):
        return encode_default(self.encoding, phrases)

    def vocabulary(self, size):
        return frequent_words(self.encoding.word_vectors().index_to_key, size)

    def label_distribution(self, vectors):
        q = self.model.label_distribution(np.asarray(vectors, np.float32))
        return q.mean().numpy(), q.stddev().numpy()

    def encode(self, images):
        q = self.model.encode(images.reshape(len(images), -1))
        return q.mean().numpy(), q.stddev().numpy()

    def generate(self, vectors, seed):
        from pse_tf.export import seed_pair

        pixels = self.model.generate(np.asarray(vectors, np.float32), seed_pair(seed)).numpy()
        return pixels.reshape(-1, *self.image_shape)


class _ExportBackend:
    def __init__(self, path):
        import tensorflow as tf

        from pse_tf.export import METADATA_FILE, existing_versions

        path = Path(path)
        if not (path / METADATA_FILE).is_file() and existing_versions(path):
            path = path / str(existing_versions(path)[-1])  # the version TF Serving would serve
        if not (path / METADATA_FILE).is_file():
            raise FileNotFoundError(f"{path} is neither a run directory (config.json) nor an "
                                    f"export (a version directory with {METADATA_FILE})")
        self.kind, self.path = "export", path
        self.metadata = json.loads((path / METADATA_FILE).read_text())
        self.loaded = tf.saved_model.load(str(path))
        self.signatures = self.loaded.signatures
        self.class_names = tuple(self.metadata["class_names"])
        self.label_encoding = self.metadata["label_encoding"]
        self.image_shape = tuple(self.metadata["image_shape"])
        from pse_tf.data import CLASS_NAMES

        self.dataset = next((k for k, v in CLASS_NAMES.items() if tuple(v) == self.class_names),
                            None)
        self._words = None

    def _call(self, key, **inputs):
        import tensorflow as tf

        if key not in self.signatures:
            reason = self.metadata.get("omitted_signatures", {}).get(key, "not in this export")
            raise InputError(f"{self.path}: no {key!r} signature ({reason})")
        try:
            out = self.signatures[key](**{k: tf.constant(v) for k, v in inputs.items()})
        except tf.errors.InvalidArgumentError as err:
            raise _clean_error(err.message) from None
        return {k: v.numpy() for k, v in out.items()}

    def words(self):
        if self._words is None:
            vocabulary = self.path / self.metadata.get("text", {}).get("vocabulary_file", "-")
            self._words = vocabulary.read_text(encoding="utf-8").splitlines() \
                if vocabulary.is_file() else []
        return self._words

    def phrase_vectors(self, phrases):
        phrases = list(phrases)
        normalised_in_graph = "normalisation" in self.metadata.get("text", {})
        if self.label_encoding != "word2vec" or not normalised_in_graph:
            # one-hot, or an export made before its graph held the normalisation table
            phrases = normalise(phrases, self.class_names)
        if self.label_encoding != "word2vec":
            rows = {n: i for i, n in enumerate(self.class_names)}
            unknown = [p for p in phrases if p not in rows]
            if unknown:
                raise InputError(f"onehot labels can only encode the class names "
                                 f"{self.class_names}; got {unknown!r}")
            return self._call("label_distributions")["vectors"][[rows[p] for p in phrases]]
        try:
            return self._call("phrase_vectors", phrases=np.array(phrases, dtype=object))[
                "label_vectors"]
        except InputError as err:
            match = re.search(r"word `(.*?)` of phrase `(.*?)` is not in", str(err))
            if not match:
                raise
            from pse_tf.labels import OOVError
            from pse_tf.labels.vectors import _close_words

            class _Words:  # the export's vocabulary, shaped like KeyedVectors for suggestions
                index_to_key = self.words()

            word, phrase = match.groups()
            error = OOVError(word, phrase, _close_words(_Words, word))
            error.args = (str(error).replace("the word-vector vocabulary",
                                             f"this export's {len(self.words())}-word vocabulary"),)
            raise error from None

    def vocabulary(self, size):
        return frequent_words(self.words(), size)

    def label_distribution(self, vectors):
        out = self._call("embed_labels", label_vectors=np.asarray(vectors, np.float32))
        return out["mean"], out["stddev"]

    def encode(self, images):
        out = self._call("encode", images=np.asarray(images, np.float32))
        return out["mean"], out["stddev"]

    def generate(self, vectors, seed):
        return self._call("generate", label_vectors=np.asarray(vectors, np.float32),
                          seed=np.int64(seed))["images"]


def _clean_error(message: str) -> InputError:
    """The text of an in-graph Assert, without TF's framing."""
    match = re.search(r"assertion failed: \[(.*?)\]\s*(\[\[|$)", message, re.S)
    text = match.group(1) if match else message.strip().splitlines()[-1]
    return InputError(text.replace("\\'", "'"))


def load(path) -> "PSE":
    """A `PSE` over a run directory (config.json + model.weights.h5) or an export directory
    (exported/<name> or exported/<name>/<version>)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if (path / "config.json").is_file():
        return PSE(_RunBackend(path))
    return PSE(_ExportBackend(path))


class PSE:
    """Generation, annotation and scoring over either back end (`load`)."""

    def __init__(self, backend):
        self.backend = backend

    @property
    def class_names(self):
        return self.backend.class_names

    @property
    def image_shape(self):
        return self.backend.image_shape

    @property
    def dataset(self):
        return self.backend.dataset

    def training(self) -> dict:
        """{"model_name", "latent_dim", "steps", "seed"} of a run directory; {} for an export."""
        config = getattr(self.backend, "config", None)
        if config is None:
            return {}
        return {"model_name": config.model.name, "latent_dim": config.model.latent_dim,
                "steps": config.steps, "seed": config.seed}

    def describe(self) -> str:
        return f"{self.backend.kind} {self.backend.path} ({self.backend.label_encoding} labels)"

    # -- text -> label vectors -------------------------------------------------------------
    def phrase_vectors(self, phrases) -> np.ndarray:
        """Label vectors [N, L] of plain phrases (no algebra)."""
        if isinstance(phrases, str):
            raise InputError("phrases must be a list of str, not one str")
        phrases = list(phrases)
        for p in phrases:
            if not isinstance(p, str):
                raise InputError(f"a phrase must be a str, got {type(p).__name__}: {p!r}")
            if not p.split():
                raise InputError(f"phrase {p!r} is empty")
        if not phrases:
            return np.zeros([0, 0], np.float32)
        return np.asarray(self.backend.phrase_vectors(phrases), np.float32)

    def query_vectors(self, queries) -> np.ndarray:
        """Label vectors [Q, L] of queries with `+`/`-` algebra (`parse_query`)."""
        if isinstance(queries, str):
            raise InputError("queries must be a list of str, not one str")
        parsed = [parse_query(q) for q in queries]
        phrases = sorted({p for terms in parsed for _, p in terms})
        vectors = dict(zip(phrases, self.phrase_vectors(phrases)))
        return np.stack([sum(s * vectors[p] for s, p in terms) for terms in parsed]).astype(
            np.float32)

    def interpolation_vectors(self, a: str, b: str, steps: int) -> np.ndarray:
        """[steps, L]: l_t = (1 - t) l_a + t l_b for t evenly spaced in [0, 1]."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
            raise InputError(f"steps must be an int >= 2, got {steps!r}")
        la, lb = self.query_vectors([a, b])
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        return (1 - t) * la + t * lb

    # -- generation ------------------------------------------------------------------------
    def generate_vectors(self, vectors, samples: int = 8, seed: int = 0) -> np.ndarray:
        """[R, samples, H, W] Bernoulli means, z ~ q(z|l) for each row l of `vectors`."""
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise InputError(f"samples must be a positive int, got {samples!r}")
        vectors = np.asarray(vectors, np.float32)
        images = self.backend.generate(np.repeat(vectors, samples, axis=0), seed)
        return images.reshape(len(vectors), samples, *self.image_shape)

    def generate(self, queries, samples: int = 8, seed: int = 0) -> np.ndarray:
        """[Q, samples, H, W] images for queries (with algebra)."""
        return self.generate_vectors(self.query_vectors(queries), samples, seed)

    # -- images -> text --------------------------------------------------------------------
    def encode(self, images):
        """(mean, stddev) of q(z|x), [N, Z] each, for float images [N, H, W] in [0, 1]."""
        return self.backend.encode(check_images(images, self.image_shape))

    def vocabulary(self, size: int = DEFAULT_VOCABULARY_SIZE) -> list[str]:
        """The `size` most frequent words of the vectors (of the export's vocabulary for an
        export) that start with a letter; for one-hot labels, the class names."""
        if self.backend.label_encoding != "word2vec":
            return list(self.class_names)
        return self.backend.vocabulary(size)

    def scores(self, images, vectors, kind: str = "log_likelihood") -> np.ndarray:
        """`pse_tf.evaluation.scores.score` of each image against each label vector: [N, C]."""
        x_mean, x_std = self.encode(images)
        l_mean, l_std = self.backend.label_distribution(vectors)
        return scores_lib.score(kind, x_mean, x_std, l_mean, l_std)

    def annotate(self, images, vocabulary=None, top_k: int = 5):
        """The `top_k` words for each image, with probabilities.

        The probability of word w is the softmax over the vocabulary of log q(mean of q(z|x) | l_w)
        (paper §2's annotation rule, over any words instead of the training labels).

        Args:
            images: float [N, H, W] in [0, 1].
            vocabulary: list of str (words or phrases) or None (`vocabulary()`).
            top_k: int.

        Returns:
            list of N lists of (word, probability), best first.
        """
        words = self.vocabulary() if vocabulary is None else list(vocabulary)
        if not words:
            raise InputError("the vocabulary is empty")
        probabilities = scores_lib.softmax(self.scores(images, self.phrase_vectors(words)))
        k = max(1, min(int(top_k), len(words)))
        best = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        return [[(words[j], float(p[j])) for j in row] for row, p in zip(best, probabilities)]


def check_images(images, image_shape) -> np.ndarray:
    """Images as float32 [N, H, W] in [0, 1]; uint8 0..255 is divided by 255.

    Accepts [N, H, W], [N, H*W] or one [H, W] image.

    Raises:
        InputError: wrong size or dtype, or values outside [0, 1] / non-finite.
    """
    height, width = image_shape
    x = np.asarray(images)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    elif not np.issubdtype(x.dtype, np.floating):
        raise InputError(f"images must be uint8 (0..255) or float in [0, 1], got {x.dtype}")
    x = x.astype(np.float32)
    if x.shape == (height, width):
        x = x[None]
    elif x.ndim == 2 and x.shape[1] == height * width:
        x = x.reshape(-1, height, width)
    if x.ndim != 3 or x.shape[1:] != (height, width):
        raise InputError(f"images must be [N, {height}, {width}] (or [N, {height * width}]), "
                         f"got shape {list(np.shape(images))}")
    if not np.all(np.isfinite(x)) or x.size and (x.min() < 0 or x.max() > 1):
        raise InputError("float images must hold finite values in [0, 1]")
    return x


def read_images(paths, image_shape, resize: bool = False, invert: bool = False) -> tuple:
    """Images from PNG/JPEG files and .npy batches: (float32 [N, H, W] in [0, 1], names).

    A picture file is read as greyscale (keras.utils.load_img). It must be H x W unless `resize`,
    which scales it to H x W with bilinear filtering (aspect ratio not kept). `invert` maps
    v -> 1 - v (the data sets draw light strokes on a black background). A .npy file holds one
    image [H, W] or a batch [N, H, W] / [N, H*W], uint8 0..255 or float in [0, 1]; it is never
    resized.
    """
    import keras

    batches, names = [], []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"image file {str(path)!r} does not exist")
        if path.suffix.lower() == ".npy":
            try:
                array = np.load(path, allow_pickle=False)
            except (ValueError, OSError) as err:
                raise InputError(f"{path}: not a readable .npy array ({err})") from None
            try:
                x = check_images(array, image_shape)
            except InputError as err:
                raise InputError(f"{path}: {err}") from None
            names += [f"{path.name}[{i}]" for i in range(len(x))]
        else:
            try:
                img = keras.utils.load_img(path, color_mode="grayscale")
            except Exception:  # PIL raises UnidentifiedImageError, OSError, ...
                raise InputError(f"{path}: not a readable image file (PNG, JPEG, BMP or GIF "
                                 "expected; or a .npy array)") from None
            if img.size != (image_shape[1], image_shape[0]):
                if not resize:
                    raise InputError(f"{path}: image is {img.size[0]}x{img.size[1]} pixels; the "
                                     f"model reads {image_shape[1]}x{image_shape[0]} greyscale "
                                     f"(pass --resize to scale it, aspect ratio not kept)")
                img = img.resize((image_shape[1], image_shape[0]), resample=2)  # PIL BILINEAR
            x = (keras.utils.img_to_array(img, dtype="float32")[None, :, :, 0] / 255.0)
            names.append(path.name)
        batches.append(1.0 - x if invert else x)
    if not batches:
        raise InputError("no image files given")
    return np.concatenate(batches).astype(np.float32), names
