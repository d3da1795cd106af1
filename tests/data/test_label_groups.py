"""pse_tf.data.label_groups: a data set's classes mapped onto fewer labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pse_tf.config import ConfigError, TrainConfig
from pse_tf.data import CLASS_NAMES
from pse_tf.data.label_groups import LabelGroups, LabelGroupsError, parse

FASHION = CLASS_NAMES["fashion_mnist"]


def test_parse_reads_the_argument_form():
    groups = parse("footwear = sandal, sneaker,ankle  boot ; tops=t-shirt,shirt;")
    assert groups == {"footwear": ["sandal", "sneaker", "ankle boot"], "tops": ["t-shirt", "shirt"]}


def test_parse_reads_a_file_and_names_the_bad_line(tmp_path):
    path = tmp_path / "groups.txt"
    path.write_text("# coarse Fashion-MNIST\nfootwear=sandal,sneaker\n\ntops t-shirt,shirt\n")
    with pytest.raises(LabelGroupsError, match=r"groups.txt:4: a group is NAME=CLASS"):
        parse(str(path))
    path.write_text("footwear=sandal,sneaker  # shoes\ntops=t-shirt,shirt\n")
    assert parse(str(path)) == {"footwear": ["sandal", "sneaker"], "tops": ["t-shirt", "shirt"]}


@pytest.mark.parametrize("text, message", [
    ("footwear=", "no empty part"), ("=sandal", "no empty part"), ("a=sandal,,bag", "no empty"),
    ("a=sandal;a=bag", "given twice"), (";", "no group given"),
])
def test_parse_refuses_malformed_groups(text, message):
    with pytest.raises(LabelGroupsError, match=message):
        parse(text)


def test_build_numbers_labels_in_class_order_and_keeps_ungrouped_classes():
    groups = LabelGroups.build({"footwear": ["sandal", "sneaker", "ankle boot"],
                                "pair": ["bag", "trouser"]}, FASHION)
    assert groups.names == ("t-shirt", "pair", "pullover", "dress", "coat", "footwear", "shirt")
    assert groups.members[1] == (1, 8) and groups.members[5] == (5, 7, 9)
    assert groups.label_of_class().tolist() == [0, 1, 2, 3, 4, 5, 6, 5, 1, 5]


@pytest.mark.parametrize("groups, message", [
    ({"shoes": ["sandals"]}, r"not a class .* did you mean 'sandal'"),
    ({"a": ["bag", "coat"], "b": ["coat"]}, "'coat' is in two label groups"),
    ({"coat": ["bag", "sandal"]}, "also classes kept on their own"),
    ({"a": ["bag", "bag"]}, "'bag' is named twice in label group 'a'"),
    ({"Coat": ["bag", "sandal"]}, "labels 'coat' and 'Coat' differ only in case"),
    ({"x": ["bag"], "X": ["sandal"]}, "labels 'X' and 'x' differ only in case"),
    ({"n" * 201: ["bag"]}, "at most 200 characters, got 201"),
])
def test_build_refuses_groups_that_do_not_fit(groups, message):
    with pytest.raises(LabelGroupsError, match=message):
        LabelGroups.build(groups, FASHION)


def test_grouped_relabels_every_split_and_records_the_class_mix():
    from pse_tf.data.datasets import Dataset

    labels = np.array([0, 1, 2, 2, 2, 3], np.int32)
    images = np.zeros([6, 2, 2], np.uint8)
    data = Dataset("toy", ("a", "b", "c", "d"), images, labels, images, labels[::-1].copy(),
                   images, labels)
    grouped = LabelGroups.grouped(data, {"x": ["a", "c"]})
    assert grouped.class_names == ("x", "b", "d")
    assert grouped.train_labels.tolist() == [0, 1, 0, 0, 0, 2]
    assert grouped.val_labels.tolist() == [2, 0, 0, 0, 1, 0]
    mix = grouped.label_groups.training_mix()
    np.testing.assert_allclose(mix[0], [0.25, 0.75])
    np.testing.assert_allclose(mix[1], [1.0])


def test_the_config_round_trips_and_refuses_a_bad_group_before_any_work():
    config = TrainConfig(dataset="fashion_mnist", label_groups={"footwear": ["sandal", "sneaker"]})
    again = TrainConfig.from_json(config.to_json())
    assert again.label_groups == {"footwear": ["sandal", "sneaker"]}
    assert json.loads(config.to_json())["label_groups"] == {"footwear": ["sandal", "sneaker"]}
    with pytest.raises(ConfigError, match="'boot', which is not a class"):
        TrainConfig(dataset="fashion_mnist", label_groups={"footwear": ["sandal", "boot"]})
    with pytest.raises(ConfigError, match="must name a non-empty list"):
        TrainConfig(dataset="mnist", label_groups={"odd": "one"})


def test_groups_name_the_classes_left_after_held_out_ones():
    with pytest.raises(ConfigError, match="'zero', which is not a class"):
        TrainConfig(dataset="mnist", held_out_classes=(0,), label_groups={"x": ["zero", "one"]})


def test_the_run_name_tells_groupings_apart():
    from pse_tf.run_folder import run_name as default_run_name

    a = TrainConfig(dataset="mnist", label_groups={"x": ["zero", "one"]})
    b = TrainConfig(dataset="mnist", label_groups={"x": ["zero", "two"]})
    plain = TrainConfig(dataset="mnist")
    assert len({default_run_name(a), default_run_name(b), default_run_name(plain)}) == 3
    assert "groups" not in default_run_name(plain)
