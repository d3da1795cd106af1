"""Extra training phrases per class: the sampler that draws, for each training example, one of
its class's label vectors (`LatentModel.set_training_phrases`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class TrainingPhrases:
    """Several label vectors per class, drawn from at random in training batches.

    Args:
        table: float32 [C, 1 + K, L]. Row 0 of class c is its label vector.
        counts: int32 [C]. Class c draws uniformly among its first counts[c] rows.
        name_share: float or None. If set, the probability of row 0 (the class name), the
            other rows uniform; a class without extra rows always draws row 0.
    """

    table: np.ndarray
    counts: np.ndarray
    name_share: float | None = None

    @classmethod
    def checked(cls, table, counts, name_share, num_classes: int, label_dim: int):
        """The phrases for C = `num_classes` classes of L = `label_dim`; ValueError naming what
        does not fit."""
        table, counts = np.asarray(table, np.float32), np.asarray(counts, np.int32)
        if table.ndim != 3 or table.shape[0] != num_classes or \
                table.shape[2] != label_dim or counts.shape != (num_classes,):
            raise ValueError(f"training phrases must be [C={num_classes}, K, L={label_dim}] with "
                             f"counts [C], got {table.shape} and {counts.shape}")
        if counts.min() < 1 or counts.max() > table.shape[1]:
            raise ValueError(f"counts must be in 1..{table.shape[1]}, got {counts.tolist()}")
        if name_share is not None and not 0 <= name_share <= 1:
            raise ValueError(f"name_share must be in [0, 1] or None, got {name_share!r}")
        return cls(table, counts, name_share)

    def draw(self, labels, seed):
        """One label vector per example, [N, L], from its class's rows; `seed` a stateless
        int32 pair."""
        table, counts = tf.constant(self.table), tf.constant(self.counts)
        labels = tf.cast(labels, tf.int32)
        count = tf.gather(counts, labels)
        uniform = tf.random.stateless_uniform(tf.shape(labels), seed=seed)
        if self.name_share is None:
            row = tf.cast(uniform * tf.cast(count, tf.float32), tf.int32)
        else:  # [0, share): the name; [share, 1): the neighbours, evenly
            share = tf.constant(self.name_share, tf.float32)
            rest = (uniform - share) / tf.maximum(1.0 - share, 1e-6)
            neighbour = 1 + tf.cast(rest * tf.cast(count - 1, tf.float32), tf.int32)
            row = tf.where((uniform < share) | (count == 1), 0, neighbour)
        row = tf.minimum(row, count - 1)  # uniform may round up to 1.0
        return tf.gather_nd(table, tf.stack([labels, row], axis=1))
