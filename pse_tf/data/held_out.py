"""A data set without some of its classes (`TrainConfig.held_out_classes`): a run that never sees
their images or their names, for zero-shot studies."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np


def kept_classes(num_classes: int, held_out: Sequence[int]) -> tuple:
    """The class indices not in `held_out`, in index order.

    Raises:
        ValueError: a held-out index is not a class of the data set, or no class is left.
    """
    held = {int(c) for c in held_out}
    unknown = sorted(held - set(range(num_classes)))
    if unknown:
        raise ValueError(f"held-out classes {unknown} are not in 0..{num_classes - 1}")
    kept = tuple(c for c in range(num_classes) if c not in held)
    if not kept:
        raise ValueError(f"held_out_classes {sorted(held)} leave none of the {num_classes} classes")
    return kept


def without_classes(dataset, held_out: Sequence[int]):
    """`dataset` without the `held_out` classes in train, validation and test: their images are
    dropped, the other labels renumbered 0..S-1 in `kept_classes` order, and class_names holds
    only the kept names."""
    kept = kept_classes(len(dataset.class_names), held_out)
    remap = np.full(len(dataset.class_names), -1, np.int32)
    remap[list(kept)] = np.arange(len(kept), dtype=np.int32)

    def keep(images, labels):
        mask = remap[labels] >= 0
        return images[mask], remap[labels[mask]]

    splits = {}
    for split in ("train", "val", "test"):
        splits[f"{split}_images"], splits[f"{split}_labels"] = keep(
            getattr(dataset, f"{split}_images"), getattr(dataset, f"{split}_labels"))
    return dataclasses.replace(dataset, class_names=tuple(dataset.class_names[c] for c in kept),
                               **splits)
