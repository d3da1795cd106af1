"""The paper's three metrics (§4): reconstruction error, annotation accuracy, generation accuracy."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from pse_tf import objectives
from pse_tf.data import flat_float


Z_READINGS = ("sample", "mean")
# How a generated image's pixels are read before the evaluator sees them: the decoder's Bernoulli
# means (the default), those means thresholded at 0.5, or one Bernoulli draw per pixel.
PIXEL_READINGS = ("mean", "threshold", "sample")
# How an image's label is read: the paper's q(z|l) density at q(z|x)'s mean, or the model's p(l|z).
ANNOTATION_READINGS = ("q_z_l", "p_l_z")


def batched(fn, *arrays, batch_size: int):
    """Concatenate fn over aligned slices of `arrays`."""
    n = len(arrays[0])
    outs = [fn(*(a[i:i + batch_size] for a in arrays)) for i in range(0, n, batch_size)]
    return np.concatenate([np.asarray(o) for o in outs])


def reconstruction_error(model, images, labels, seed: int = 0, batch_size: int = 2000,
                         z: str = "sample") -> float:
    """Mean over images of the summed Bernoulli NLL over pixels, one z drawn from the model's
    reconstruction encoder (q(z|x) for PSE; see `LatentModel.reconstruction_logits`).

    `z`: "sample" (the default and the literal reading: the objective's E_q[log p(x|z)] with one
    draw) or "mean" (z = the encoder's mean; reported beside it, never in its place).
    """
    if z not in Z_READINGS:
        raise ValueError(f"z must be one of {Z_READINGS}, got {z!r}")

    @tf.function(jit_compile=True)
    def nll(x, y, s):
        x = flat_float(x)
        logits = model.reconstruction_logits(x, tf.gather(model.label_vectors, y), s,
                                             use_mean=z == "mean")
        return objectives.reconstruction_nll(x, logits)

    seeds = iter(tf.random.experimental.stateless_split(tf.constant([seed, 7]), len(images)))
    labels = np.asarray(labels, np.int32)
    return float(np.mean(batched(lambda x, y: nll(x, y, next(seeds)), images, labels,
                                  batch_size=batch_size)))


def annotate(model, images, label_vectors=None, batch_size: int = 2000,
             reading: str = "q_z_l") -> np.ndarray:
    """The label each image is annotated with: int [N].

    `reading`: "q_z_l" (the default and the paper's, §2): argmax over labels of
    log q(mean of q(z|x) | l); "p_l_z": argmax of log p(l | z = mean of q(z|x)), through the
    model's own label decoder (JMVAE, TrELBO) or classifier on Dec(z) (PSE*), reported beside it.
    """
    if reading not in ANNOTATION_READINGS:
        raise ValueError(f"reading must be one of {ANNOTATION_READINGS}, got {reading!r}")
    scores = (model.annotation_log_likelihood if reading == "q_z_l"
              else model.decoded_label_log_likelihood)
    if reading == "p_l_z":  # a model without p(l|z) refuses here, not inside the trace
        model.predict_label(tf.zeros([1, model.model_config.latent_dim]))

    @tf.function(jit_compile=True)
    def predict(x):
        return tf.argmax(scores(flat_float(x), label_vectors), axis=-1)

    return batched(predict, images, batch_size=batch_size)


def annotation_accuracy(model, images, labels, batch_size: int = 2000,
                        reading: str = "q_z_l") -> float:
    """Fraction of images whose annotation (see `annotate`) is their label."""
    predicted = annotate(model, images, batch_size=batch_size, reading=reading)
    return float(np.mean(predicted == np.asarray(labels)))


def generation_accuracy(model, evaluator, samples_per_label: int = 10000, repeats: int = 10,
                        seed: int = 0, batch_size: int = 10000, pixels: str = "mean",
                        members=None) -> dict:
    """The paper's protocol: `samples_per_label` images from each label's q(z|l), decoded and
    classified by a fixed evaluator; the fraction classified as their label, `repeats` times.

    `evaluator`: a keras.Model with a known input shape, returning class scores [N, C];
    `pixels`: how the decoded Bernoulli means are read (`PIXEL_READINGS`); `members`: the
    classes each label covers (`pse_tf.data.label_groups`), an image counting when its class is
    one of them; None: label g is class g, the paper's case.

    Returns {"mean", "std", "repeats": [...]} as fractions, and "counts": int [labels, classes],
    how often each label's images were classified as each class over all repeats.
    """
    if pixels not in PIXEL_READINGS:
        raise ValueError(f"pixels must be one of {PIXEL_READINGS}, got {pixels!r}")
    num_labels = model.num_classes
    num_classes = int(evaluator.output_shape[-1])
    if members is None:
        members = [(g,) for g in range(num_labels)]
    image_shape = tuple(evaluator.input_shape[1:])
    hit = np.zeros([num_labels, num_classes], bool)
    for g, classes in enumerate(members):
        hit[g, list(classes)] = True

    @tf.function(jit_compile=True)
    def confusion(labels, s):
        vectors = tf.gather(model.label_vectors, labels)
        means = model.generate(vectors, s)
        if pixels == "threshold":
            means = tf.cast(means > 0.5, means.dtype)
        elif pixels == "sample":
            noise = tf.random.stateless_uniform(tf.shape(means), seed=s[::-1], dtype=means.dtype)
            means = tf.cast(noise < means, means.dtype)
        images = tf.reshape(means, [-1, *image_shape])
        predicted = tf.argmax(evaluator(images, training=False), axis=-1, output_type=tf.int32)
        cells = labels * num_classes + predicted
        return tf.reduce_sum(tf.one_hot(cells, num_labels * num_classes, dtype=tf.int32), 0)

    labels = np.repeat(np.arange(num_labels, dtype=np.int32), samples_per_label)
    total = len(labels)
    accuracies, counts = [], np.zeros([num_labels, num_classes], np.int64)
    for r in range(repeats):
        seeds = tf.random.experimental.stateless_split(tf.constant([seed, 1000 + r]),
                                                       -(-total // batch_size))
        repeat = sum(np.asarray(confusion(labels[i:i + batch_size], seeds[i // batch_size]))
                     for i in range(0, total, batch_size)).reshape(num_labels, num_classes)
        accuracies.append(float(repeat[hit].sum()) / total)
        counts += repeat
    # Sample standard deviation over repeats (ddof = 1); one repeat has no spread.
    std = float(np.std(accuracies, ddof=1)) if repeats > 1 else 0.0
    return {"mean": float(np.mean(accuracies)), "std": std, "repeats": accuracies,
            "counts": counts}


def coverage_distance(counts, members, training_mix) -> list:
    """For each label: the total-variation distance between its generated images' class mix
    within its group (`counts` [labels, classes] restricted to `members`, renormalised) and the
    group's class mix in the training data (`training_mix`, one array per label). A label whose
    images never land in its group gets 1; a one-class label gets 0."""
    distances = []
    for g, classes in enumerate(members):
        inside = np.asarray(counts)[g, list(classes)].astype(np.float64)
        if inside.sum() == 0:
            distances.append(1.0)
            continue
        distances.append(float(0.5 * np.abs(inside / inside.sum() - training_mix[g]).sum()))
    return distances
