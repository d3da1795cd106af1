"""The open vocabulary's vector geometry (`experiments.open_vocabulary.geometry`), by hand."""

import numpy as np
import pytest

from experiments.open_vocabulary import geometry


def test_hub_penalty_is_mean_of_top_k_cosines():
    classes = np.array([[1.0, 0.0], [0.0, 1.0]])
    vocabulary = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    r = geometry.hub_penalty(classes, vocabulary, k=2)
    s = 1 / np.sqrt(2)
    np.testing.assert_allclose(r, [(1 + s) / 2, (s + 0) / 2])


def test_class_scores_by_hand():
    classes = np.array([[1.0, 0.0], [0.0, 2.0]])
    word = np.array([[1.0, 1.0]])
    s = 1 / np.sqrt(2)
    np.testing.assert_allclose(geometry.class_scores(word, classes, "cosine"), [[s, s]])
    # centred on the class mean (0.5, 1): word -> (0.5, 0), classes -> (0.5, -1), (-0.5, 1)
    c = 0.5 / np.sqrt(1.25)
    np.testing.assert_allclose(geometry.class_scores(word, classes, "centred"), [[c, -c]])
    np.testing.assert_allclose(geometry.class_scores(word, classes, "csls", np.array([0.9, 0.1])),
                               [[2 * s - 0.9, 2 * s - 0.1]])
    with pytest.raises(ValueError, match="hub penalty"):
        geometry.class_scores(word, classes, "csls")
    with pytest.raises(ValueError, match="similarity"):
        geometry.class_scores(word, classes, "dot")


def test_projection_onto_affine_span():
    classes = np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 1.0]])  # the line z = 1, y = 0
    projected = geometry.project_onto_span(np.array([[1.0, 5.0, 3.0], [2.0, 0.0, 1.0]]), classes)
    np.testing.assert_allclose(projected, [[1.0, 0.0, 1.0], [2.0, 0.0, 1.0]], atol=1e-6)


def test_soft_assign():
    classes = np.array([[1.0, 0.0], [0.0, 1.0]])
    scores = np.array([[0.2, 0.1], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(geometry.soft_assign(scores, classes, 0.0), [[1, 0], [0, 1]])
    np.testing.assert_allclose(geometry.soft_assign(scores, classes, 1.0)[1], [0.25, 0.75],
                               rtol=1e-6)
    with pytest.raises(ValueError):
        geometry.soft_assign(scores, classes, -1.0)


def test_class_side_scores_correct_a_hub():
    # class 0 ("hub") is near every vocabulary word; class 1 is near one word only
    classes = np.array([[1.0, 0.0], [0.0, 1.0]])
    vocabulary = np.array([[1.0, 0.1], [1.0, 0.2], [1.0, -0.1], [0.1, 1.0]])
    word = np.array([[1.0, 0.9]])  # cosine-nearer to the hub
    assert np.argmax(geometry.class_scores(word, classes), axis=1) == [0]
    ranks = geometry.class_side_scores(word, classes, vocabulary, "reverse_rank")
    np.testing.assert_array_equal(ranks, [[-3, -1]])  # 3 words nearer the hub, 1 nearer class 1
    inverted = geometry.class_side_scores(word, classes, vocabulary, "inverted_softmax", beta=10)
    assert np.argmax(inverted, axis=1) == [1]
    with pytest.raises(ValueError, match="kind"):
        geometry.class_side_scores(word, classes, vocabulary, "rank")
