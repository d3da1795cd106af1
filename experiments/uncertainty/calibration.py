"""Does q(z|x)'s spread say when the model is unsure? Three measurements on a test split.

sigma(x) = the mean over z's dimensions of q(z|x)'s standard deviation.

    by_decile      annotation accuracy (argmax over the classes of log q(mean | l)) in each
                   decile of sigma(x), lowest sigma first
    calibration    expected calibration error (ECE) of the annotation probabilities, the softmax
                   over the classes of log q(mean | l): 15 equal-width confidence bins,
                   ECE = sum_b (n_b / N) |accuracy_b - confidence_b|
    corruptions    mean sigma(x) and accuracy on the clean images and on two corrupted copies:
                   occluded (a random 14 x 14 square set to 0 in each image) and noised
                   (Gaussian noise of stddev 0.3 added, clipped to [0, 1]), both seeded
"""

from __future__ import annotations

import numpy as np

from pse_tf.evaluation import scores as scores_lib

ECE_BINS = 15
OCCLUSION_SIZE = 14
NOISE_STDDEV = 0.3


def occlude(images, size: int = OCCLUSION_SIZE, seed: int = 0) -> np.ndarray:
    """A copy of float images [N, H, W] with one random size x size square per image set to 0."""
    images = np.array(images, np.float32)
    n, height, width = images.shape
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, height - size + 1, n)
    cols = rng.integers(0, width - size + 1, n)
    for image, r, c in zip(images, rows, cols):
        image[r:r + size, c:c + size] = 0.0
    return images


def add_noise(images, stddev: float = NOISE_STDDEV, seed: int = 0) -> np.ndarray:
    """Float images [N, H, W] plus Gaussian noise, clipped to [0, 1]."""
    rng = np.random.default_rng(seed)
    noisy = np.asarray(images, np.float32) + rng.normal(0.0, stddev, np.shape(images))
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def expected_calibration_error(probabilities, labels, bins: int = ECE_BINS) -> tuple[float, list]:
    """ECE of class probabilities [N, C] against int labels [N]; also the reliability bins
    [{"low", "high", "count", "accuracy", "confidence"}]."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece, table = 0.0, []
    for b in range(bins):
        in_bin = index == b
        count = int(in_bin.sum())
        accuracy = float(correct[in_bin].mean()) if count else None
        mean_confidence = float(confidence[in_bin].mean()) if count else None
        if count:
            ece += count / len(confidence) * abs(accuracy - mean_confidence)
        table.append({"low": float(edges[b]), "high": float(edges[b + 1]), "count": count,
                      "accuracy": accuracy, "confidence": mean_confidence})
    return float(ece), table


def _annotate(pse, images, l_mean, l_std):
    x_mean, x_std = pse.encode(images)
    log_likelihood = scores_lib.log_likelihood(x_mean, l_mean, l_std)
    return scores_lib.softmax(log_likelihood), x_std.mean(axis=1)


def uncertainty_report(pse, images, labels, seed: int = 0) -> dict:
    """The three measurements of the module docstring for a PSE (`pse_tf.inference`).

    Args:
        pse: pse_tf.inference.PSE.
        images: float [N, H, W] in [0, 1].
        labels: int [N].
        seed: int. Seeds the occlusion and the noise.

    Returns:
        dict with "by_decile", "ece", "reliability", "corruptions" and the per-image
        "sigma" arrays (as lists) for plotting.
    """
    from pse_tf.inference import check_images

    labels = np.asarray(labels)
    images = check_images(images, pse.image_shape)
    l_mean, l_std = pse.backend.label_distribution(pse.phrase_vectors(pse.class_names))
    probabilities, sigma = _annotate(pse, images, l_mean, l_std)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.quantile(sigma, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges[1:-1], sigma, side="right"), 0, 9)
    by_decile = [{"decile": d + 1, "sigma_low": float(edges[d]), "sigma_high": float(edges[d + 1]),
                  "count": int((decile == d).sum()),
                  "accuracy": float(correct[decile == d].mean())} for d in range(10)]
    ece, reliability = expected_calibration_error(probabilities, labels)
    corruptions, sigmas = {}, {"clean": sigma}
    for name, corrupted in (("clean", images), ("occluded", occlude(images, seed=seed)),
                            ("noised", add_noise(images, seed=seed))):
        p, s = (probabilities, sigma) if name == "clean" else _annotate(pse, corrupted, l_mean,
                                                                         l_std)
        sigmas[name] = s
        corruptions[name] = {"mean_sigma": float(s.mean()), "median_sigma": float(np.median(s)),
                             "accuracy": float((p.argmax(axis=1) == labels).mean()),
                             "ece": expected_calibration_error(p, labels)[0]}
    for name in ("occluded", "noised"):
        corruptions[name]["fraction_sigma_above_clean"] = float(
            (sigmas[name] > sigmas["clean"]).mean())
    return {"by_decile": by_decile, "ece": ece, "ece_bins": ECE_BINS, "reliability": reliability,
            "corruptions": corruptions, "accuracy": float(correct.mean()),
            "sigma": {k: v.tolist() for k, v in sigmas.items()},
            "settings": {"occlusion_size": OCCLUSION_SIZE, "noise_stddev": NOISE_STDDEV,
                         "seed": seed, "images": int(len(labels))}}
