"""The two back ends behind `Predictor`: a run directory (`load_run`) and an export (SavedModel).

Both offer the same primitives, and `pse_tf.inference.predictor` computes everything else:

    phrase_vectors(phrases)       label vectors l [N, L] of plain phrases (no operators)
                                  run: open_vocabulary.encode_default (with any taught words);
                                  export: `phrase_vectors`
    label_distribution(vectors)   mean, stddev of q(z|l)       run: model; export: `embed_labels`
    label_components(vectors)     weights [R, K], means and stddevs [R, K, Z] of q(z|l)'s
                                  components (K = 1: the Gaussian itself)
    encode(images)                mean, stddev of q(z|x)       run: model; export: `encode`
    generate(vectors, seed)       Bernoulli means [N, *shape]  run: model; export: `generate`
    reconstruct(images)           decoder of the q(z|x) mean   run: model; export: None
    vocabulary(size)              frequent words (word vectors, or the export's vocabulary)
    annotation_vocabulary()       the default annotation words (run: computed by
                                  `pse_tf.labels.annotation_vocabulary`; export: its stored list)

`image_shape` is (H, W) or (H, W, C): a run's model's, or an export's recorded one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from pse_tf.inference.query import InputError
from pse_tf.labels.open_vocabulary import DEFAULT, encode_default

# Starts with a letter and does not end with an operator: no punctuation or number tokens, and
# every word reads as one phrase under the query grammar ("anti-" would not).
_WORD = re.compile(r"^[^\W\d_]([\w'.-]*[\w'.])?$")


def frequent_words(words, size: int) -> list[str]:
    """The first `size` entries of a frequency-ordered word list that start with a letter and do
    not end with '-' (punctuation and number tokens are skipped)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"vocabulary size must be a positive int, got {size!r}")
    out = []
    for word in words:
        if isinstance(word, str) and _WORD.match(word):
            out.append(word)
            if len(out) == size:
                break
    return out


class RunBackend:
    """A finished run directory: config.json + weights (`pse_tf.runs.load_run`)."""

    kind = "run"

    def __init__(self, run_dir, taught_words=None):
        from pse_tf.export import image_shape
        from pse_tf.runs import load_run

        self.model, self.config, self.encoding = load_run(run_dir)
        self.path = Path(run_dir)
        self.class_names = tuple(self.encoding.class_names)
        self.label_encoding = self.encoding.encoding
        self.image_shape = image_shape(self.model)
        self.dataset = self.config.dataset
        # the run's rule: the default, plus the words a user taught (a file or {word: class})
        self.rule = DEFAULT if taught_words is None else DEFAULT.teach(taught_words)

    def phrase_vectors(self, phrases):
        return encode_default(self.encoding, phrases, self.rule)

    def class_vectors(self):
        return np.asarray(self.encoding.vectors, np.float32)

    def vocabulary(self, size):
        return frequent_words(self.encoding.word_vectors().index_to_key, size)

    def annotation_vocabulary(self):
        from pse_tf.labels.annotation_vocabulary import annotation_words

        kv = self.encoding.word_vectors()
        words = [w for w in annotation_words(kv, self.class_names)
                 if all(t in kv.key_to_index for t in w.split())]
        return words + taught_extra(words, self.rule)

    def label_distribution(self, vectors):
        q = self.model.label_distribution(np.asarray(vectors, np.float32))
        return q.mean().numpy(), q.stddev().numpy()

    def label_components(self, vectors):
        from pse_tf import mixtures

        q = self.model.label_distribution(np.asarray(vectors, np.float32))
        return tuple(t.numpy() for t in mixtures.components(q))

    def encode(self, images):
        q = self.model.encode(images.reshape(len(images), -1))
        return q.mean().numpy(), q.stddev().numpy()

    def generate(self, vectors, seed):
        from pse_tf.export import seed_pair

        pixels = self.model.generate(np.asarray(vectors, np.float32), seed_pair(seed)).numpy()
        return pixels.reshape(-1, *self.image_shape)

    def reconstruct(self, images):
        import tensorflow as tf

        mean, _ = self.encode(images)
        pixels = tf.sigmoid(self.model.decode_logits(tf.constant(mean))).numpy()
        return pixels.reshape(-1, *self.image_shape)


class ExportBackend:
    """An export version folder (export_metadata.json beside the SavedModel); an export's name
    folder opens its newest version, the one TF Serving would serve."""

    kind = "export"

    def __init__(self, path):
        import tensorflow as tf

        from pse_tf.data import CLASS_NAMES
        from pse_tf.export import METADATA_FILE, existing_versions

        path = Path(path)
        if not (path / METADATA_FILE).is_file() and existing_versions(path):
            path = path / str(existing_versions(path)[-1])
        if not (path / METADATA_FILE).is_file():
            raise FileNotFoundError(f"{path} is neither a run directory (config.json) nor an "
                                    f"export (a version directory with {METADATA_FILE})")
        self.path = path
        self.metadata = json.loads((path / METADATA_FILE).read_text())
        self.signatures = tf.saved_model.load(str(path)).signatures
        self.class_names = tuple(self.metadata["class_names"])
        self.label_encoding = self.metadata["label_encoding"]
        self.image_shape = tuple(self.metadata["image_shape"])
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
            raise clean_error(err.message) from None
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
            phrases = [DEFAULT.normalise(p, self.class_names) for p in phrases]
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
            raise self._oov_error(err) from None

    def class_vectors(self):
        if self.label_encoding != "word2vec":
            return self._call("label_distributions")["vectors"]
        return self.phrase_vectors(list(self.class_names))

    def _oov_error(self, err: InputError) -> ValueError:
        """An in-graph out-of-vocabulary error as `OOVError`, with close spellings from the
        export's vocabulary; any other error unchanged."""
        match = re.search(r"word `(.*?)` of phrase `(.*?)` is (?:not in|outside)", str(err))
        if not match:
            return err
        from pse_tf.labels import OOVError
        from pse_tf.labels.vectors import _close_words

        class _Words:  # the export's vocabulary, shaped like KeyedVectors for suggestions
            index_to_key = self.words()

        word, phrase = match.groups()
        error = OOVError(word, phrase, _close_words(_Words, word))
        error.args = (str(error).replace("the word-vector vocabulary",
                                         f"this export's {len(self.words())}-word vocabulary")
                      + "; if the run's word vectors have it, export the run again with a "
                        "larger vocabulary: python scripts/export.py RUN_DIR --vocabulary-size "
                        "400000",)
        return error

    def vocabulary(self, size):
        return frequent_words(self.words(), size)

    def annotation_vocabulary(self):
        """The words `annotate_words` ranks (its stored list); an export made before it held
        one: its 10,000 most frequent words."""
        name = self.metadata.get("text", {}).get("annotation_vocabulary_file")
        path = self.path / name if name else None
        if path is None or not path.is_file():
            return frequent_words(self.words(), 10_000)
        return path.read_text(encoding="utf-8").splitlines()

    def label_distribution(self, vectors):
        out = self._call("embed_labels", label_vectors=np.asarray(vectors, np.float32))
        return out["mean"], out["stddev"]

    def label_components(self, vectors):
        out = self._call("embed_labels", label_vectors=np.asarray(vectors, np.float32))
        if "weights" not in out:  # an export made before q(z|l) could be a mixture
            return np.ones([len(out["mean"]), 1]), out["mean"][:, None], out["stddev"][:, None]
        return out["weights"], out["component_mean"], out["component_stddev"]

    def encode(self, images):
        out = self._call("encode", images=np.asarray(images, np.float32))
        return out["mean"], out["stddev"]

    def generate(self, vectors, seed):
        return self._call("generate", label_vectors=np.asarray(vectors, np.float32),
                          seed=np.int64(seed))["images"]

    def reconstruct(self, images):
        return None  # an export has no decoder-of-the-mean signature


def clean_error(message: str) -> InputError:
    """The text of an in-graph Assert, without TF's framing."""
    match = re.search(r"assertion failed: \[(.*?)\]\s*(\[\[|$)", message, re.S)
    text = match.group(1) if match else message.strip().splitlines()[-1]
    return InputError(text.replace("\\'", "'"))


def taught_extra(words, rule) -> list[str]:
    """The taught words of `rule` not among `words`: annotation ranks them too."""
    have = set(words)
    return [w for w in dict.fromkeys(w for w, _, _ in rule.taught) if w not in have]


def open_backend(path, taught_words=None):
    """A `RunBackend` for a run directory (config.json), else an `ExportBackend`; taught words
    (a `word<TAB>class` file or {word: class}) only for a run: an export holds its own."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if (path / "config.json").is_file():
        return RunBackend(path, taught_words)
    if taught_words is not None:
        raise InputError(f"{path} is an export: its taught words were fixed when it was "
                         "exported; export the run again with them (python scripts/export.py "
                         "RUN_DIR --taught-words FILE)")
    return ExportBackend(path)
