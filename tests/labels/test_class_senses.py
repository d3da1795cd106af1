"""Which WordNet senses a class name stands for (`pse_tf.labels.class_senses`), on the real
WordNet 3.0."""

import pytest

from pse_tf.data import CLASS_NAMES
from pse_tf.labels.class_senses import below, class_senses, name_senses, shared_depth
from pse_tf.labels.knowledge import DEFAULT_RULE, Rule
from pse_tf.labels.lexicon import wordnet

FASHION = CLASS_NAMES["fashion_mnist"]
DIGITS = CLASS_NAMES["mnist"]


@pytest.fixture(scope="module")
def reader():
    return wordnet()


def test_every_sense_of_a_class_name_is_read_and_the_coherent_ones_kept(reader):
    senses = [[s.name() for s in ss] for ss in class_senses(reader, FASHION, DEFAULT_RULE)]
    # the digit, not "nothing"
    assert class_senses(reader, DIGITS, DEFAULT_RULE)[0][0].name() == "zero.n.02"
    assert senses[FASHION.index("bag")] == ["bag.n.01", "bag.n.04"]  # container and handbag
    assert senses[FASHION.index("dress")] == ["dress.n.01"]  # not attire, not apparel
    assert senses[FASHION.index("coat")] == ["coat.n.01"]  # not a coat of paint
    # the direct hypernym when it subsumes no other class and few synsets
    assert senses[FASHION.index("pullover")] == ["pullover.n.01", "sweater.n.01"]
    assert [[s.name() for s in ss] for ss in class_senses(reader, FASHION, Rule(parent=0))][
        FASHION.index("pullover")] == ["pullover.n.01"]


def test_a_name_reads_its_whole_compound_else_its_last_word(reader):
    assert [s.name() for s in name_senses(reader, "T-shirt")] == ["jersey.n.03"]  # "t_shirt"
    assert name_senses(reader, "ankle boot")[0].name() == "boot.n.01"  # no "ankle_boot" sense


def test_below_holds_the_synset_and_everything_under_it(reader):
    assert below(reader.synset("sweater.n.01")) == {
        "sweater.n.01", "pullover.n.01", "cardigan.n.01", "sweatshirt.n.01", "turtleneck.n.01"}


def test_shared_depth_counts_from_one_at_the_root(reader):
    # six and seven meet at digit.n.01; a coat and a digit only at entity.n.01
    assert shared_depth(reader.synset("six.n.01"), reader.synset("seven.n.01")) == (
        reader.synset("digit.n.01").max_depth() + 1)
    assert shared_depth(reader.synset("coat.n.01"), reader.synset("digit.n.01")) == 1
