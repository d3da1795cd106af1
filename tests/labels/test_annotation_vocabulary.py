"""The default annotation vocabulary and its named-word prior."""

import numpy as np

from pse_tf.data import CLASS_NAMES
from pse_tf.labels import load_word_vectors
from pse_tf.labels.annotation_vocabulary import (NAMED_PRIOR, SIZE, annotation_words,
                                                 named_prior)
from pse_tf.labels.benchmark import all_words
from pse_tf.labels.knowledge import knowledge_table


def test_the_list_is_open_holds_the_benchmark_and_leaves_out_non_visual_words():
    kv = load_word_vectors()
    names = CLASS_NAMES["fashion_mnist"]
    words = annotation_words(kv, names)
    assert len(words) >= SIZE and len(set(words)) == len(words)
    assert words[:len(names)] == list(names)  # the class names first
    assert set(all_words()) <= set(words)
    table = knowledge_table(kv, names)
    named = {w for i, w in enumerate(kv.index_to_key) if table[i] >= 0}
    assert {"sweater", "handbag", "jeans"} <= named <= set(words)
    # the hub words that won the old default list name nothing one can see
    assert not {"enriched", "ballistic", "stock", "the", "player"} & set(words)


def test_named_prior_marks_exactly_the_class_rows():
    rows = np.eye(3, 4, dtype=np.float32)
    vectors = np.stack([rows[1], rows[1] + 1e-6, np.zeros(4, np.float32), rows[2]])
    assert named_prior(vectors, rows).tolist() == [NAMED_PRIOR, 0.0, 0.0, NAMED_PRIOR]
    assert named_prior(vectors, rows, 2.5).tolist() == [2.5, 0.0, 0.0, 2.5]
