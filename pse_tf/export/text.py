"""Text inside the SavedModel: phrases in, images out; images in, words out.

A word-vector export carries a vocabulary: by default every word of the word vectors (GloVe 6B
50-d: 400,000 words, an 87 MiB SavedModel that loads in about 2.5 s,
results/text_export_sizes.md), or the `vocabulary_size` most frequent words plus every
class-name word. It is stored as assets/vocabulary.txt (line i is row i of the vectors), a
StaticHashTable word -> row and a [K, L] variable, and serves four more signatures
(`TEXT_SIGNATURES`):

    phrase_vectors   phrases string [N]               -> label_vectors float32 [N, L]
    generate_text    phrases string [N], seed int64   -> images float32 [N, H, W]
    annotate_words   images float32 [N, H, W]         -> words string [N, k], scores float32 [N, k]
    embed_labels     label_vectors float32 [N, L]     -> mean, stddev float32 [N, Z] of q(z|l),
                                                         its K components' weights, means, stddevs

Texts are read by the one query grammar (`pse_tf.inference.query`, in the graph
`pse_tf.export.algebra`); a malformed or non-UTF-8 text fails with an InvalidArgumentError.
Phrases first get `open_vocabulary.DEFAULT`'s normalisation, a finite token map stored as a
second table, so the rule lives in one place; a one-word phrase that the knowledge table or a
taught word maps to a class gets that class's row, as in Python. Tokenisation is
`pse_tf.labels.phrase_tokens` in tf.strings ops (tests/export/test_text.py checks both agree);
the only difference is that an export with a smaller `vocabulary_size` refuses a rarer word.

`annotate_words` ranks the annotation vocabulary (`pse_tf.labels.annotation_vocabulary`) by
log q(mean of q(z|x) | l_word) (paper §2) plus the named-word prior, as `pse_tf.inference` does.
One-hot exports have no word vectors: they omit the three word signatures (listed under
`omitted_signatures` in export_metadata.json) but keep `embed_labels`.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from pse_tf import mixtures
from pse_tf.export import algebra
from pse_tf.export.signatures import ServingFunctions, _function, resolve_spec
from pse_tf.export.vocabulary import ExportVocabulary

VOCABULARY_ASSET = "vocabulary.txt"
# None: every word of the word vectors, so every word the Python encoder accepts works here too
# (GloVe 6B 50-d: 400,000 words; results/text_export_sizes.md has the size and load time).
DEFAULT_VOCABULARY_SIZE = None
ANNOTATION_ASSET = "annotation_vocabulary.txt"
DEFAULT_TOP_K = 10
TEXT_SIGNATURES = {
    "phrase_vectors": {"inputs": {"phrases": ("string", ["N"])},
                       "outputs": {"label_vectors": ("float32", ["N", "L"])}},
    "generate_text": {"inputs": {"phrases": ("string", ["N"]), "seed": ("int64", [])},
                      "outputs": {"images": ("float32", ["N", "H", "W"])}},
    "annotate_words": {"inputs": {"images": ("float32", ["N", "H", "W"])},
                       "outputs": {"words": ("string", ["N", "k"]),
                                   "scores": ("float32", ["N", "k"])}},
    "embed_labels": {"inputs": {"label_vectors": ("float32", ["N", "L"])},
                     "outputs": {"mean": ("float32", ["N", "Z"]),
                                 "stddev": ("float32", ["N", "Z"]),
                                 "weights": ("float32", ["N", "K"]),
                                 "component_mean": ("float32", ["N", "K", "Z"]),
                                 "component_stddev": ("float32", ["N", "K", "Z"])}},
}
# The signatures that need word vectors; a one-hot export omits them.
WORD_SIGNATURES = ("phrase_vectors", "generate_text", "annotate_words")

def phrases_spec() -> str:
    """The start of every phrase-validation error message."""
    return "phrases must be a string vector [N] of non-empty phrases"


class TextFunctions:
    """The text signatures of one word-vector model.

    Args:
        model: LatentModel. Built, label_encoding "word2vec".
        words: list of str. The vocabulary, row order.
        vectors: float32 [K, L]. Row i is the vector of words[i].
        vocabulary_file: str. A file with `words`, one per line (the asset the table reads).
        top_k: int. Words returned per image by annotate_words.
        source: str. Where the vectors came from (for error messages).
        replacements: dict str -> str. The text normalisation (`OpenVocabulary.replacements`);
            empty: none.
        word_classes: int64 [K] or None. The class each word names, -1 for none
            (`OpenVocabulary.word_classes`: taught words, the knowledge table); a one-word phrase
            that names a class gets that class's stored row. None: no such map.
        annotation_words: list of str or None. The words `annotate_words` ranks
            (`pse_tf.labels.annotation_vocabulary`); None: every vocabulary word, raw vectors.
        annotation_file: str or None. A file with `annotation_words`, one per line: stored as
            the asset `ANNOTATION_ASSET` (a client reads the list there).
    """

    def __init__(self, model, words, vectors, vocabulary_file, top_k=DEFAULT_TOP_K, source="",
                 replacements=None, word_classes=None, annotation_words=None,
                 annotation_file=None):
        self.serving = ServingFunctions(model)
        self.model = model
        self.size = len(words)
        self.source = source
        self.asset = tf.saved_model.Asset(vocabulary_file)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                self.asset, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER),
            default_value=-1)
        # A class name gets the model's stored row, as `LabelEncoding.encode` does.
        self.classes = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(list(model.class_names), tf.string),
                tf.range(len(model.class_names), dtype=tf.int64)), default_value=-1)
        self.replacements = None
        if replacements:
            keys, values = zip(*sorted(replacements.items()))
            self.replacements = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(keys, tf.string),
                                                    tf.constant(values, tf.string)),
                default_value="")
        # Variables, not constants: they land in variables/ and keep saved_model.pb small (a
        # graph proto cannot pass 2 GiB, which a large word2vec vocabulary would).
        self.words = tf.Variable(tf.constant(words, tf.string), trainable=False,
                                 name="vocabulary_words")
        self.vectors = tf.Variable(np.asarray(vectors, np.float32), trainable=False,
                                   name="vocabulary_vectors")
        self.word_classes = None if word_classes is None else tf.Variable(
            np.asarray(word_classes, np.int8 if len(model.class_names) < 127 else np.int64),
            trainable=False, name="vocabulary_classes")
        if annotation_words is None:
            self.annotation_words, self.annotation_vectors = self.words, self.vectors
            self.annotation_prior = tf.zeros([len(words)], tf.float32)
        else:
            # each word's vector as `phrase_vectors` gives it (a word that names a class: the
            # class's row), computed once here by the graph's own text path
            vectors = self.phrase_vectors(tf.constant(list(annotation_words), tf.string))
            self.annotation_words = tf.Variable(tf.constant(list(annotation_words), tf.string),
                                                trainable=False, name="annotation_words")
            self.annotation_vectors = tf.Variable(vectors["label_vectors"], trainable=False,
                                                  name="annotation_vectors")
            from pse_tf.labels.annotation_vocabulary import named_prior

            # a table over the asset keeps the file in the SavedModel's assets/
            self.annotation_table = tf.lookup.StaticHashTable(
                tf.lookup.TextFileInitializer(
                    tf.saved_model.Asset(annotation_file), tf.string,
                    tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
                    tf.lookup.TextFileIndex.LINE_NUMBER), default_value=-1)
            self.annotation_prior = tf.Variable(
                named_prior(vectors["label_vectors"].numpy(), model.label_vectors.numpy())
                .astype(np.float32), trainable=False, name="annotation_prior")
        self.top_k = int(min(top_k, int(self.annotation_words.shape[0])))

    def _check(self, ok, parts):
        return tf.debugging.Assert(ok, [tf.strings.join(parts)], summarize=1)

    def phrase_vectors(self, phrases):
        """Label vectors of texts read as queries (`pse_tf.export.algebra`): the signed sum of
        their phrases' vectors."""
        spec = phrases_spec()
        rank_ok = tf.equal(tf.rank(phrases), 1)
        with tf.control_dependencies([self._check(
                rank_ok, [spec + "; got a rank-", tf.strings.as_string(tf.rank(phrases)),
                          " tensor"])]):
            given = tf.reshape(phrases, [-1])
        with tf.control_dependencies(algebra.checks(given, spec)):
            given = tf.identity(given)
        terms, signs, text_index = algebra.terms(given)
        vectors = self._term_vectors(terms)
        return {"label_vectors": tf.math.unsorted_segment_sum(
            signs[:, None] * vectors, text_index, tf.size(given, tf.int64))}

    def _term_vectors(self, given):
        """Vectors [T, L] of checked phrases without operators: a class name's stored row, else
        the mean of its words' vectors."""
        phrases = algebra.normalise_phrases(self.replacements, given)
        rows, words = algebra.phrase_rows(self.table, phrases)
        class_index = self.classes.lookup(phrases)
        is_class = class_index >= 0
        padded_phrases = tf.concat([given, [""]], 0)  # errors name the phrase as given
        missing = tf.logical_and(rows.flat_values < 0,
                                 tf.logical_not(tf.gather(is_class, rows.value_rowids())))
        first = tf.argmax(tf.cast(tf.concat([missing, [True]], 0), tf.int32),
                          output_type=tf.int64)
        word = tf.gather(tf.concat([words.flat_values, [""]], 0), first)
        phrase = tf.gather(padded_phrases,
                           tf.gather(tf.concat([rows.value_rowids(), [tf.size(phrases, tf.int64)]],
                                               0), first))
        oov_check = self._check(
            tf.logical_not(tf.reduce_any(missing)),
            ["word `", word, "` of phrase `", phrase, "` is outside the vocabulary of this export "
             f"(the {self.size} words of {VOCABULARY_ASSET}: the most frequent of "
             f"{self.source or 'the word vectors'}, the class-name words, the WordNet words and the "
             "compound words); "
             "if the word vectors of the run have it, export the run again with a larger "
             "vocabulary: python scripts/export.py RUN_DIR --vocabulary-size 400000"])
        with tf.control_dependencies([oov_check]):
            vectors = tf.gather(tf.cast(self.vectors, tf.float64), tf.maximum(rows, 0))
            # float64 mean, like the Python encoder (`phrase_vector`)
            means = tf.cast(tf.reduce_mean(vectors, axis=1), tf.float32)
            label_rows = tf.convert_to_tensor(self.model.label_vectors)
            if self.word_classes is not None:  # a one-word phrase that names a class
                named = tf.cast(tf.reduce_max(tf.gather(self.word_classes, tf.maximum(rows, 0)),
                                              axis=1), tf.int64)
                one_word = tf.logical_and(tf.equal(rows.row_lengths(), 1), named >= 0)
                means = tf.where(one_word[:, None],
                                 tf.gather(label_rows, tf.maximum(named, 0)), means)
            stored = tf.gather(label_rows, tf.maximum(class_index, 0))
            return tf.where(is_class[:, None], stored, means)

    def generate_text(self, phrases, seed):
        return self.serving.generate(self.phrase_vectors(phrases)["label_vectors"], seed)

    def annotate_words(self, images):
        mean = self.model.encode(self.serving.flat_images(images)).mean()
        log_likelihood = self.model.label_distribution(self.annotation_vectors).log_prob(
            mean[:, None, :]) + self.annotation_prior[None, :]
        # top_k keeps the lower index first among equal scores: the more frequent word, as the
        # Python path's stable sort does
        scores, index = tf.math.top_k(tf.nn.softmax(log_likelihood, axis=-1), k=self.top_k)
        return {"words": tf.gather(self.annotation_words, index), "scores": scores}


def embed_labels(serving: ServingFunctions):
    """q(z|l) of any label vectors; the base of every client-side score (`pse_tf.inference`)."""
    def fn(label_vectors):
        q_z_l = serving.model.label_distribution(serving.checked_label_vectors(label_vectors))
        weights, loc, stddev = mixtures.components(q_z_l)  # K = 1 unless label_components
        return {"mean": q_z_l.mean(), "stddev": q_z_l.stddev(), "weights": weights,
                "component_mean": loc, "component_stddev": stddev}
    return fn


def add_text_endpoints(archive, model, staging_dir, word_vectors=None,
                       vocabulary_size: int = DEFAULT_VOCABULARY_SIZE,
                       top_k: int = DEFAULT_TOP_K, normalisation=None, lexicon: str = "none",
                       lexicon_words: bool = True) -> tuple[dict, dict]:
    """Adds `TEXT_SIGNATURES` to a keras ExportArchive.

    Args:
        archive: keras.export.ExportArchive.
        model: LatentModel. Built.
        staging_dir: str. A folder that outlives `archive.write_out`, for the asset files.
        word_vectors: KeyedVectors, path or None (the default GloVe 6B 50-d). word2vec models only.
        vocabulary_size: int. How many of the most frequent words the export knows; 0 exports
            no word signatures.
        top_k: int. Words per image returned by annotate_words.
        normalisation: OpenVocabulary or None (`open_vocabulary.DEFAULT`): the rule the graph
            runs, stored whole (its token map and `word_classes`).
        lexicon: str. The run's `TrainConfig.lexicon`, so the export stores the vectors the run
            encodes phrases with.
        lexicon_words: bool. Also keep every word that is a WordNet lemma, whatever its
            frequency (skipped, and said so in the metadata, when WordNet is not fetched).

    Returns:
        (omitted, info): {signature: reason} for the signatures left out, and the metadata entry
        {"vocabulary_size", "vocabulary_file", "top_k", "word_vectors", ...} ({} when omitted).
    """
    omitted = _add_embed_labels(archive, model)
    if model.label_encoding != "word2vec" or vocabulary_size == 0:
        reason = (f"{model.label_encoding} labels have no word vectors"
                  if model.label_encoding != "word2vec" else "exported with vocabulary_size=0")
        omitted.update({key: reason for key in WORD_SIGNATURES})
        return omitted, {}
    from pse_tf.labels.open_vocabulary import DEFAULT

    normalisation = DEFAULT if normalisation is None else normalisation
    vocabulary = ExportVocabulary(model, word_vectors, vocabulary_size, lexicon, lexicon_words,
                                  [w for w, _, _ in normalisation.taught])
    word_classes = normalisation.word_classes(vocabulary.kv, model.class_names)[vocabulary.rows]
    annotation = vocabulary.annotation_words() if normalisation.mapping == "knowledge" else None
    vocabulary_file = _write_lines(staging_dir, VOCABULARY_ASSET, vocabulary.words)
    annotation_file = (None if annotation is None else
                       _write_lines(staging_dir, ANNOTATION_ASSET, annotation))
    replacements = normalisation.replacements(model.class_names)
    text = TextFunctions(model, vocabulary.words, vocabulary.vectors, vocabulary_file, top_k,
                         vocabulary.source, replacements, word_classes, annotation,
                         annotation_file)
    _add_text_signatures(archive, text)
    info = vocabulary.metadata(vocabulary_size, f"assets/{VOCABULARY_ASSET}")
    info.update(top_k=text.top_k, annotation_vocabulary_file=(
        None if annotation is None else f"assets/{ANNOTATION_ASSET}"),
        annotation_vocabulary_size=len(vocabulary.words if annotation is None else annotation),
        normalisation={"option": normalisation.name, "replacements": len(replacements),
                       "word_classes": _classes_note(normalisation, word_classes),
                       "taught_words": [{"word": w, "class": c, "from": where}
                                        for w, c, where in normalisation.taught]},
        **GRAPH_NOTES)
    return omitted, info


def _add_embed_labels(archive, model) -> dict:
    """Adds `embed_labels` (every label encoding has it); {key: reason} if it cannot be traced."""
    try:
        traced = _function(embed_labels(ServingFunctions(model)),
                           tf.TensorSpec(None, tf.float32, name="label_vectors"))
        traced.get_concrete_function()
        archive.add_endpoint("embed_labels", traced)
    except NotImplementedError as error:
        return {"embed_labels": str(error)}
    return {}


def _write_lines(folder, name: str, lines) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _classes_note(normalisation, word_classes) -> str:
    from pse_tf.labels.knowledge import DEFAULT_RULE

    source = (f"the knowledge table, pse_tf.labels.knowledge, rule {DEFAULT_RULE.name}"
              if normalisation.mapping == "knowledge" else "no knowledge table")
    return (f"{int((word_classes >= 0).sum())} words name a class ({source}; "
            f"{len(normalisation.taught)} taught words); a one-word phrase that names one gets "
            "its class's label vector")


def _add_text_signatures(archive, text: TextFunctions) -> None:
    """Traces the three word signatures and keeps their tables and assets in the SavedModel."""
    for table in (getattr(text, "annotation_table", None), text.table, text.classes,
                  text.replacements):
        if table is not None:
            archive.track(table)
    phrases = tf.TensorSpec(None, tf.string, name="phrases")
    for key, traced in (
            ("phrase_vectors", _function(text.phrase_vectors, phrases)),
            ("generate_text", _function(text.generate_text, phrases,
                                        tf.TensorSpec([], tf.int64, name="seed"))),
            ("annotate_words", _function(text.annotate_words,
                                         tf.TensorSpec(None, tf.float32, name="images")))):
        traced.get_concrete_function()
        archive.add_endpoint(key, traced)
    # keep the asset alive in the SavedModel object graph (the table references it)
    archive._pse_text_asset = text.asset


GRAPH_NOTES = {
    "query_grammar": "pse_tf.inference.query (in the graph: pse_tf.export.algebra): phrases "
                     "joined by + or - standing alone between spaces; label vector = signed sum "
                     "of the phrase vectors",
    "tokenisation": "normalise (a token whose lowercase form is a key of the normalisation map "
                    "is replaced: pse_tf.labels.open_vocabulary); split on whitespace; each token "
                    "looked up as given, then lowercased; a missing token is split on '-' and '/' "
                    "and each part looked up the same way; phrase vector = mean of its words' "
                    "vectors (pse_tf.labels.phrase_tokens)",
    "annotate_words": "scores = softmax over the annotation vocabulary "
                      "(pse_tf.labels.annotation_vocabulary) of log q(mean of q(z|x) | l_word), "
                      "l_word as phrase_vectors gives it (a word that names a class: its class's "
                      "row); the top_k words",
}


def resolved_text_signatures(model, top_k: int) -> dict:
    """`TEXT_SIGNATURES` with the model's sizes, as `signatures.resolved_signatures` does."""
    return resolve_spec(model, TEXT_SIGNATURES, k=int(top_k))

