"""`TrainConfig.held_out_classes`: the held-out classes never reach the run's data."""

import numpy as np
import pytest

from pse_tf.config import ConfigError, TrainConfig
from pse_tf.data.datasets import Dataset
from pse_tf.data.held_out import kept_classes, without_classes


def tiny_dataset(num_classes=5, per_class=3):
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), per_class)
    images = (labels[:, None, None] * np.ones((1, 28, 28))).astype(np.uint8)  # pixel = class
    return Dataset("tiny", tuple(f"c{i}" for i in range(num_classes)), images, labels,
                   images.copy(), labels.copy(), images.copy(), labels.copy())


@pytest.mark.parametrize("held_out, kept", [((1, 3), (0, 2, 4)), ((0,), (1, 2, 3, 4)),
                                            ((4, 0), (1, 2, 3))])
def test_held_out_classes_leave_every_split(held_out, kept):
    data = tiny_dataset()
    assert kept_classes(5, held_out) == kept
    filtered = without_classes(data, held_out)
    assert filtered.class_names == tuple(f"c{c}" for c in kept)  # no held-out name
    for split in ("train", "val", "test"):
        images, labels = getattr(filtered, f"{split}_images"), getattr(filtered, f"{split}_labels")
        original = images[:, 0, 0]  # the pixel value is the original class
        assert len(labels) == 3 * len(kept)
        np.testing.assert_array_equal(labels, np.repeat(np.arange(len(kept)), 3))  # 0..S-1
        np.testing.assert_array_equal(original, np.repeat(kept, 3))


def test_unknown_or_all_classes_are_refused():
    with pytest.raises(ValueError, match=r"\[7\] are not in 0..4"):
        kept_classes(5, (7,))
    with pytest.raises(ValueError, match="leave none of the 2 classes"):
        kept_classes(2, (0, 1))


def test_the_config_field_is_sorted_checked_and_round_trips():
    config = TrainConfig(dataset="mnist", held_out_classes=[7, 2])
    assert config.held_out_classes == (2, 7)
    assert TrainConfig.from_json(config.to_json()).held_out_classes == (2, 7)
    assert TrainConfig().held_out_classes == ()
    for bad in ([1, 1], [-1], [True], ["2"]):
        with pytest.raises(ConfigError, match="held_out_classes must be distinct class indices"):
            TrainConfig(held_out_classes=bad)
