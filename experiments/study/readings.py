"""Every reading of the paper's three metrics that its text leaves open (reproduction study).

The paper (§4, "Quantitative evaluation") fixes the annotation rule ("the probability that an
encoded image (represented by the mean vector of its probability distribution) belongs to a
specific label distribution") and the generation protocol (10,000 samples per label, a
pre-trained classifier), but not whether the reconstruction error decodes a sample or the mean
of q(z|x), nor how a generated image's pixels are read. The first reading of each is the
literal one and the default of `metrics`; the others are reported beside it.
"""

from __future__ import annotations

import tensorflow as tf

from pse_tf.data import flat_float
from pse_tf.evaluation import metrics

# (row key, label in tables), in the order tables show them.
READINGS = (
    ("reconstruction_error", "reconstruction: z ~ q(z|x) (literal)"),
    ("reconstruction_error_mean", "reconstruction: z = mean of q(z|x)"),
    ("annotation_accuracy", "annotation: Gaussian rule (paper §2)"),
    ("annotation_accuracy_classifier", "annotation: PSE*'s classifier on Dec(mean)"),
    ("generation_accuracy", "generation: Bernoulli means"),
    ("generation_accuracy_threshold", "generation: means > 0.5"),
    ("generation_accuracy_sampled", "generation: sampled pixels"),
)


def mean_scales(model, images) -> dict:
    """Mean σ of q(z|x) over test images and of q(z|l) over the labels (how broad the clusters are)."""
    image_scale = model.encode(flat_float(images[:5000])).stddev()
    return {"image_sigma_mean": float(tf.reduce_mean(image_scale)),
            "label_sigma_mean": float(tf.reduce_mean(model.label_distribution().stddev()))}


def all_readings(model, dataset, evaluator, seed: int = 0, samples_per_label: int = 10000) -> dict:
    """Every reading of `READINGS` on the test set (one generation repeat each), plus σ's.

    A reading the model cannot make (the classifier reading without a classifier) is None.
    """
    x, y = dataset.test_images, dataset.test_labels
    row = {
        "reconstruction_error": metrics.reconstruction_error(model, x, y, seed=seed),
        "reconstruction_error_mean": metrics.reconstruction_error(model, x, y, seed=seed, z="mean"),
        "annotation_accuracy": metrics.annotation_accuracy(model, x, y),
        "annotation_accuracy_classifier": (
            metrics.annotation_accuracy(model, x, y, reading="p_l_z")
            if hasattr(model, "classifier") else None),
    }
    for key, pixels in (("generation_accuracy", "mean"), ("generation_accuracy_threshold",
                                                          "threshold"),
                        ("generation_accuracy_sampled", "sample")):
        row[key] = metrics.generation_accuracy(model, evaluator, samples_per_label, repeats=1,
                                               seed=seed, pixels=pixels)["mean"]
    return {**row, **mean_scales(model, x)}
