"""`Predictor`: generation, annotation and scoring over a run directory or an export.

Every method computes from the back-end primitives (`pse_tf.inference.backends`), so a run and
its export give the same answers. Text is always read by the query grammar
(`pse_tf.inference.query`).
"""

from __future__ import annotations

import numpy as np

from pse_tf.evaluation import scores as scores_lib
from pse_tf.inference.files import check_images
from pse_tf.inference.query import InputError, parse_query

# None: the default annotation vocabulary (`pse_tf.labels.annotation_vocabulary`): the words the
# knowledge table maps to a class, the benchmark's words and frequent visual nouns, >= 10,000.
DEFAULT_VOCABULARY_SIZE = None


def _positive_int(name: str, value, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise InputError(f"{name} must be an int >= {least}, got {value!r}")
    return int(value)


class Predictor:
    """Text in, images out; images in, words out (`pse_tf.inference.load` makes one).

    Args:
        backend: `RunBackend` or `ExportBackend`.
    """

    def __init__(self, backend):
        self.backend = backend

    @property
    def class_names(self) -> tuple:
        return self.backend.class_names

    @property
    def image_shape(self) -> tuple:
        """(H, W) for grey images, (H, W, C) for colour ones."""
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
    def query_vectors(self, queries) -> np.ndarray:
        """Label vectors [Q, L] of texts read as queries (`parse_query`): l = sum_i s_i v(p_i);
        a text without operators is one phrase, l = v(p)."""
        if isinstance(queries, str):
            raise InputError("queries must be a list of str, not one str")
        parsed = [parse_query(q) for q in queries]
        if not parsed:
            return np.zeros([0, 0], np.float32)
        phrases = sorted({p for terms in parsed for _, p in terms})
        vectors = dict(zip(phrases, np.asarray(self.backend.phrase_vectors(phrases), np.float32)))
        return np.stack([sum(s * vectors[p] for s, p in terms) for terms in parsed]).astype(
            np.float32)

    # One reading of text everywhere: a phrase is a query without operators.
    phrase_vectors = query_vectors

    def interpolation_vectors(self, a: str, b: str, steps: int) -> np.ndarray:
        """[steps, L]: l_t = (1 - t) l_a + t l_b for t evenly spaced in [0, 1]."""
        steps = _positive_int("steps", steps, least=2)
        la, lb = self.query_vectors([a, b])
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        return (1 - t) * la + t * lb

    def label_gaussians(self, vectors):
        """(mean, stddev) of q(z|l), [R, Z] each, for label vectors [R, L]."""
        return self.backend.label_distribution(np.asarray(vectors, np.float32))

    # -- generation ------------------------------------------------------------------------
    def generate_vectors(self, vectors, samples: int = 8, seed: int = 0) -> np.ndarray:
        """[R, samples, *image_shape] Bernoulli means, z ~ q(z|l) for each row l of `vectors`."""
        samples = _positive_int("samples", samples)
        vectors = np.asarray(vectors, np.float32)
        images = self.backend.generate(np.repeat(vectors, samples, axis=0), seed)
        return np.asarray(images).reshape(len(vectors), samples, *self.image_shape)

    def generate(self, queries, samples: int = 8, seed: int = 0) -> np.ndarray:
        """[Q, samples, *image_shape] images for queries (with algebra)."""
        return self.generate_vectors(self.query_vectors(queries), samples, seed)

    # -- images -> text --------------------------------------------------------------------
    def encode(self, images):
        """(mean, stddev) of q(z|x), [N, Z] each, for float images [N, *image_shape] in [0, 1]."""
        return self.backend.encode(check_images(images, self.image_shape))

    def reconstruct(self, images):
        """[N, *image_shape]: the decoder's Bernoulli means at the q(z|x) mean; None for an
        export (it has no such signature)."""
        return self.backend.reconstruct(check_images(images, self.image_shape))

    def vocabulary(self, size: int | None = DEFAULT_VOCABULARY_SIZE) -> list[str]:
        """The words `annotate` ranks by default (one-hot labels: the class names): with `size`
        None the default annotation vocabulary (`pse_tf.labels.annotation_vocabulary`), else
        the `size` most frequent words of the vectors that start with a letter."""
        if self.backend.label_encoding != "word2vec":
            return list(self.class_names)
        if size is None:
            return self.backend.annotation_vocabulary()
        return self.backend.vocabulary(size)

    def scores(self, images, vectors, kind: str = "log_likelihood") -> np.ndarray:
        """`pse_tf.evaluation.scores.score` of each image against each label vector: [N, C]."""
        x_mean, x_std = self.encode(images)
        weights, l_mean, l_std = self.backend.label_components(np.asarray(vectors, np.float32))
        return scores_lib.score(kind, x_mean, x_std, l_mean, l_std, weights)

    def word_probabilities(self, images, words) -> np.ndarray:
        """[N, W]: for each image, the softmax over `words` of
        log q(mean of q(z|x) | l_w) + prior(w) (paper §2's annotation rule, over any words
        instead of the training labels). prior(w) is `annotation_vocabulary.NAMED_PRIOR` for a
        word whose label vector is a class's stored row (it names that class: the knowledge
        table), else 0, so a word that names no class must fit the image that much better than
        the class does before it is ranked above it."""
        words = list(words)
        if not words:
            raise InputError("the vocabulary is empty")
        vectors = self.phrase_vectors(words)
        return scores_lib.softmax(self.scores(images, vectors)
                                  + self.named_prior(vectors)[None, :])

    def named_prior(self, vectors) -> np.ndarray:
        """[W]: `annotation_vocabulary.NAMED_PRIOR` where a label vector is one of the class rows,
        else 0."""
        from pse_tf.labels.annotation_vocabulary import named_prior

        return named_prior(vectors, self.backend.class_vectors())

    def annotate(self, images, vocabulary=None, top_k: int = 5):
        """The `top_k` words of `vocabulary` (None: `vocabulary()`) for each image of `images`
        float [N, *image_shape] in [0, 1], as N lists of (word, probability), best first
        (`word_probabilities`)."""
        words = self.vocabulary() if vocabulary is None else list(vocabulary)
        probabilities = self.word_probabilities(images, words)
        k = max(1, min(int(top_k), len(words)))
        best = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        return [[(words[j], float(p[j])) for j in row] for row, p in zip(best, probabilities)]
