"""Label encodings: one-hot or phrase vectors from pre-trained word vectors (paper §2.1),
optionally retrofitted to WordNet (`lexicon`)."""

from pse_tf.labels.encoding import ENCODINGS, LabelEncoding, label_matrix
from pse_tf.labels.lexicon import LEXICONS
from pse_tf.labels.open_vocabulary import OpenVocabulary, read_taught_words
from pse_tf.labels.vectors import (DEFAULT_SOURCE, OOVError, default_word_vectors_path,
                                   load_word_vectors, phrase_tokens, phrase_vector)

__all__ = ["DEFAULT_SOURCE", "ENCODINGS", "LEXICONS", "LabelEncoding", "OOVError", "OpenVocabulary",
           "default_word_vectors_path", "label_matrix", "load_word_vectors", "phrase_tokens",
           "phrase_vector", "read_taught_words"]
