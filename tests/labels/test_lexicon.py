"""WordNet through nltk, the relation graph rule, and the "wordnet" lexicon option."""

import numpy as np
import pytest

from pse_tf import config
from pse_tf.labels import LEXICONS, LabelEncoding, label_matrix
from pse_tf.labels.lexicon import relation_graph
from pse_tf.labels.vectors import lexicon_vectors
from pse_tf.labels.vectors import keyed_vectors


class FakeSynset:
    def __init__(self, name, lemmas):
        self._name, self.lemmas, self.parents = name, lemmas, []

    def name(self):
        return self._name

    def hypernyms(self):
        return self.parents


class FakeWordNet:
    """garment <- trouser {trouser, pants} <- jean {jean}; rock {rock} unrelated."""

    def __init__(self):
        garment, trouser = FakeSynset("garment", ["garment"]), FakeSynset("trouser", ["trouser", "pants"])
        jean, rock = FakeSynset("jean", ["jean"]), FakeSynset("rock", ["rock"])
        trouser.parents, jean.parents = [garment], [trouser]
        self.synsets_ = [garment, trouser, jean, rock]

    def all_synsets(self):
        return iter(self.synsets_)

    def synsets(self, word):
        base = word[:-1] if word.endswith("s") and word != "pants" else word  # a tiny morphy
        return [s for s in self.synsets_ if base in s.lemmas]


def test_relation_graph_links_synonyms_hypernyms_hyponyms_only():
    words = ["trouser", "pants", "jeans", "garment", "rock", "2005"]
    graph = relation_graph(FakeWordNet(), words).toarray()
    assert (graph == graph.T).all() and not graph.diagonal().any()
    linked = {(words[i], words[j]) for i, j in zip(*np.nonzero(graph))}
    assert ("trouser", "pants") in linked          # same synset
    assert ("jeans", "trouser") in linked          # inflected form -> jean, hyponym of trouser
    assert ("garment", "pants") in linked          # hypernym
    assert ("jeans", "garment") not in linked      # two levels apart: not a direct relation
    assert not graph[words.index("rock")].any() and not graph[words.index("2005")].any()


def test_config_and_labels_name_the_same_lexicons():
    assert config.LEXICONS == LEXICONS


def test_lexicon_none_is_the_vectors_themselves():
    kv = keyed_vectors(["a", "b"], np.eye(2, dtype=np.float32))
    assert lexicon_vectors(kv, "none") is kv
    with pytest.raises(ValueError, match="unknown lexicon"):
        lexicon_vectors(kv, "framenet")


def test_lexicon_needs_word_vector_labels():
    with pytest.raises(ValueError, match="needs word-vector labels"):
        label_matrix(["a", "b"], "onehot", lexicon="wordnet")
    with pytest.raises(config.ConfigError, match="needs word-vector labels"):
        config.TrainConfig(label_encoding="onehot", lexicon="wordnet")
    with pytest.raises(config.ConfigError, match="lexicon must be one of"):
        config.TrainConfig(lexicon="WordNet")


@pytest.fixture(scope="module")
def wn():
    from pse_tf.labels.lexicon import wordnet

    return wordnet()


@pytest.mark.slow
@pytest.mark.parametrize("word, synset", [
    ("jeans", "jean.n.01"), ("gown", "gown.n.01"), ("overcoat", "greatcoat.n.01"),
    ("handbag", "bag.n.04"), ("purse", "bag.n.04"), ("sneakers", "gym_shoe.n.01"),
    ("blouse", "blouse.n.01"), ("trio", "three.n.01"), ("nil", "nothing.n.01"),
])
def test_real_wordnet_senses(wn, word, synset):
    assert synset in [s.name() for s in wn.synsets(word, "n")]


@pytest.mark.slow
def test_real_wordnet_relations(wn):
    assert "trouser.n.01" in [h.name() for h in wn.synset("jean.n.01").hypernyms()]
    assert "dress.n.01" in [h.name() for h in wn.synset("gown.n.01").hypernyms()]
    assert "coat.n.01" in [h.name() for h in wn.synset("greatcoat.n.01").hypernyms()]
    assert "coat.n.01" in [h.name() for h in wn.synset("jacket.n.01").hypernyms()]
    assert "sneaker" in wn.synset("gym_shoe.n.01").lemma_names()
    assert "top.n.10" in [h.name() for h in wn.synset("blouse.n.01").hypernyms()]
    assert "zero" in wn.synset("nothing.n.01").lemma_names()


@pytest.mark.slow
def test_wordnet_option_moves_related_words_only():
    """The real table (about a minute when not cached in the WordNet folder)."""
    from pse_tf.labels import load_word_vectors

    raw, fitted = load_word_vectors(), load_word_vectors(lexicon="wordnet")
    assert fitted.index_to_key == raw.index_to_key and fitted.vectors.shape == raw.vectors.shape

    def cos(kv, a, b):
        x, y = kv[a], kv[b]
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    for word, related in [("jeans", "trouser"), ("nil", "zero"), ("trio", "three")]:
        assert cos(fitted, word, related) > cos(raw, word, related)
    for unrelated in [",", "2005", "the"]:  # no WordNet sense
        np.testing.assert_array_equal(fitted[unrelated], raw[unrelated])
    names = ["trouser", "coat"]
    enc = LabelEncoding.build(names, "word2vec", lexicon="wordnet")
    assert enc.lexicon == "wordnet" and enc != LabelEncoding.build(names, "word2vec")
    np.testing.assert_array_equal(enc.encode(["jeans"])[0], fitted["jeans"])
