"""Labels with several meanings, as data: a data set's classes mapped onto fewer labels
(`TrainConfig.label_groups`), e.g. footwear = sandal, sneaker, ankle boot.

A group's name is its label (with word vectors, its phrase); a class named by no group keeps its
own label. Labels are numbered in the data set's class order, each at its first class. The
images keep their classes: `LabelGroups.members` says which classes each label covers, so a
generated image can be judged against them (`pse_tf.evaluation.metrics`).
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import numpy as np

from pse_tf.data.idx import DataError


MAX_NAME = 200  # characters of a label name: a phrase, not a text


class LabelGroupsError(DataError, ValueError):
    """A label grouping that does not fit (a DataError, and a ValueError for the CLIs)."""


def parse(text: str) -> dict:
    """{label: [class, ...]} from "name=class,class;name=class,..." or from a file that holds
    one group per line in that form (blank lines and `#` comments skipped).

    Raises:
        LabelGroupsError: a group without `=`, an empty name or class, or a name given twice.
    """
    where = "--label-groups"
    if "=" not in text and Path(text).is_file():
        where, text = text, Path(text).read_text()
        items = [(f"{where}:{n}", line) for n, line in enumerate(text.splitlines(), 1)]
    else:
        items = [(where, item) for item in text.split(";")]
    groups = {}
    for place, item in items:
        item = item.split("#", 1)[0].strip() if place != "--label-groups" else item.strip()
        if not item:
            continue
        name, sep, members = item.partition("=")
        name = " ".join(name.split())
        classes = [" ".join(c.split()) for c in members.split(",")]
        if not sep or not name or not all(classes):
            raise LabelGroupsError(f"{place}: a group is NAME=CLASS,CLASS,... with no empty part; "
                            f"got {item!r}")
        if name in groups:
            raise LabelGroupsError(f"{place}: the label {name!r} is given twice")
        groups[name] = classes
    if not groups:
        raise LabelGroupsError(f"{where}: no group given")
    return groups


def check(groups: dict) -> dict:
    """`groups` as JSON-ready {str: [str, ...]}, its shape checked (what a config can check
    without the data). Raises DataError naming what is wrong."""
    if not isinstance(groups, dict):
        raise LabelGroupsError(f"label_groups must map label names to lists of classes, got {groups!r}")
    checked = {}
    for name, classes in groups.items():
        if not isinstance(name, str) or not name.strip() or isinstance(classes, str) or \
                not isinstance(classes, (list, tuple)) or not classes or \
                not all(isinstance(c, str) and c.strip() for c in classes):
            raise LabelGroupsError(f"label_groups: {name!r} must name a non-empty list of class names, "
                            f"got {classes!r}")
        if len(name) > MAX_NAME:
            raise LabelGroupsError(f"label_groups: a label name is at most {MAX_NAME} characters, "
                                   f"got {len(name)} ({name[:40]!r}...)")
        checked[name] = list(classes)
    return checked


@dataclasses.dataclass(frozen=True)
class LabelGroups:
    """Which classes each label covers.

    Attributes:
        names: tuple[str]. The labels, in order.
        members: tuple[tuple[int]]. members[g]: the class indices of label g.
        class_names: tuple[str]. The data set's own classes.
        class_counts: tuple[int]. Training images of each class: a label's class mix.
    """

    names: tuple
    members: tuple
    class_names: tuple
    class_counts: tuple = ()

    @classmethod
    def build(cls, groups: dict, class_names) -> "LabelGroups":
        """The labels of `groups` over a data set's `class_names`.

        Raises:
            LabelGroupsError: a group names a class the data set does not have (with close names), a
                class sits in two groups, or a label name is also a class kept on its own.
        """
        class_names = tuple(class_names)
        index = {name: i for i, name in enumerate(class_names)}
        owner = {}
        for label, classes in check(groups).items():
            for c in classes:
                if c not in index:
                    close = difflib.get_close_matches(c, class_names, n=3)
                    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                    raise LabelGroupsError(f"label group {label!r} names {c!r}, which is not a class of "
                                    f"the data set ({', '.join(class_names)}){hint}")
                if c in owner:
                    raise LabelGroupsError(
                        f"class {c!r} is named twice in label group {label!r}" if owner[c] == label
                        else f"class {c!r} is in two label groups: {owner[c]!r} and {label!r}")
                owner[c] = label
        labels = {}  # label -> its class indices, in class order
        for i, c in enumerate(class_names):
            labels.setdefault(owner.get(c, c), []).append(i)
        for label, classes in labels.items():
            if label not in groups and classes != [index[label]]:
                raise LabelGroupsError(f"label {label!r} is both a group and a class kept on its own")
        clash = sorted(set(groups) & (set(class_names) - set(owner)))
        if clash:
            raise LabelGroupsError(f"label group name(s) {clash} are also classes kept on their own")
        # Word vectors read a phrase without its case: two labels that differ only in case would
        # be one label vector.
        folded = {}
        for label in labels:
            other = folded.setdefault(" ".join(label.casefold().split()), label)
            if other != label:
                raise LabelGroupsError(f"labels {other!r} and {label!r} differ only in case")
        return cls(tuple(labels), tuple(tuple(v) for v in labels.values()), class_names)

    def label_of_class(self) -> np.ndarray:
        """int32 [num classes]: the label index of each class."""
        table = np.empty(len(self.class_names), np.int32)
        for g, classes in enumerate(self.members):
            table[list(classes)] = g
        return table

    def training_mix(self) -> list:
        """Each label's class mix in the training data: [G] arrays over its members, summing
        to 1."""
        counts = np.asarray(self.class_counts, np.float64)
        return [counts[list(m)] / counts[list(m)].sum() for m in self.members]

    @classmethod
    def grouped(cls, dataset, groups: dict):
        """(`dataset` with its labels replaced by the groups', class_names the label names; its
        `label_groups` the LabelGroups, class counts from its training split)."""
        built = cls.build(groups, dataset.class_names)
        counts = np.bincount(dataset.train_labels, minlength=len(built.class_names))
        built = dataclasses.replace(built, class_counts=tuple(int(c) for c in counts))
        return built.apply(dataset)

    def apply(self, dataset):
        """`dataset` with its labels replaced by the groups' (class_names: the label names)."""
        table = self.label_of_class()
        return dataclasses.replace(
            dataset, class_names=self.names, label_groups=self,
            **{f"{split}_labels": table[getattr(dataset, f"{split}_labels")]
               for split in ("train", "val", "test")})
