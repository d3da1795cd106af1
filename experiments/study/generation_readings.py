#!/usr/bin/env python
"""Where generation accuracy is lost: per class, images drawn from q(z|l) (the paper's protocol)
beside images decoded from where the test images sit, q(z|x).

    python -m experiments.study.generation_readings results/runs/mnist-pse_star-onehot-z*-seed?

For each finished run, five per-class readings, each classified by the fixed evaluator:
- `q(z|l)`: the tables' generation accuracy, one draw of `--samples-per-label` images per label;
- `q(z|x)`: Dec(z), z ~ q(z|x) of each test image, scored against the image's label: what the
  decoder draws from the places real images of the class occupy;
- `region`: the share of the q(z|l) draws whose densest label distribution is their own label's
  (the annotation rule applied to z itself), i.e. how much of q(z|l) lies where that label wins;
- `fit` and `fit_full`: draws from the Gaussian whose mean and covariance (diagonal, then full)
  are those of the class's aggregate posterior, the mixture of q(z|x) over its training images.
  With a free q(z|l) per class, the KL(q(z|x) || q(z|l)) of eq. 2 is smallest at exactly that
  diagonal moment match (`kl_fit`, KL(q(z|l) || fit) in nats averaged over classes, says how
  close the trained q(z|l) came); `fit_full` shows what a full covariance would add.
A class that scores high under `q(z|x)` but low under `q(z|l)` loses its images in the parts of
q(z|l) that no image occupies, not in the decoder. No training; rows are appended to
results/generation_readings.json/.md as each run is read; a rerun skips runs already read at
their budget.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

READINGS = ("q_z_l", "q_z_x", "region", "fit", "fit_full")


def per_class(correct, labels, num_classes: int) -> list:
    """Mean of the boolean `correct` within each class of `labels`."""
    import numpy as np

    correct, labels = np.asarray(correct), np.asarray(labels)
    return [float(np.mean(correct[labels == c])) for c in range(num_classes)]


def class_moments(means, variances, labels, num_classes: int):
    """Mean [C, Z] and covariance [C, Z, Z] of each class's mixture of diagonal Gaussians
    N(means[i], diag(variances[i])): E[mu] and E[diag(var)] + Cov(mu)."""
    import numpy as np

    means, variances = np.asarray(means, np.float64), np.asarray(variances, np.float64)
    labels = np.asarray(labels)
    mu, cov = [], []
    for c in range(num_classes):
        m, v = means[labels == c], variances[labels == c]
        mu.append(m.mean(axis=0))
        cov.append(np.diag(v.mean(axis=0)) + np.cov(m, rowvar=False, bias=True))
    return np.stack(mu), np.stack(cov)


def diagonal_kl(mean_p, var_p, mean_q, var_q) -> float:
    """KL(N(mean_p, diag var_p) || N(mean_q, diag var_q)) in nats."""
    import numpy as np

    return float(0.5 * np.sum(np.log(var_q / var_p) + (var_p + (mean_p - mean_q) ** 2) / var_q
                              - 1.0))


def gaussian_kl(mean_p, cov_p, mean_q, cov_q) -> float:
    """KL(N(mean_p, cov_p) || N(mean_q, cov_q)) in nats, full covariances."""
    import numpy as np

    inv_q = np.linalg.inv(cov_q)
    d = mean_q - mean_p
    return float(0.5 * (np.trace(inv_q @ cov_p) + d @ inv_q @ d - len(d)
                        + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1]))


def read_run(run_dir: Path, evaluator, samples_per_label: int, seed: int,
             batch_size: int = 5000) -> dict:
    """The readings (overall and per class) of one finished run; ValueError for a model without
    a label encoder (VAE, CVAE)."""
    import numpy as np
    import tensorflow as tf

    from pse_tf.data import flat_float
    from pse_tf.models.base import PriorLabelModel
    from pse_tf.runs import load_data, load_run

    model, config, _ = load_run(run_dir)
    if isinstance(model, PriorLabelModel):
        raise ValueError(f"{config.model.name} has no label encoder q(z|l) to read")
    dataset, _ = load_data(config)
    num_classes = model.num_classes
    image_shape = tuple(evaluator.input_shape[1:])

    def classify_decoded(z):
        """The evaluator's label for Dec(z), the Bernoulli means."""
        images = tf.reshape(tf.sigmoid(model.decode_logits(z)), [-1, *image_shape])
        return tf.argmax(evaluator(images, training=False), axis=-1, output_type=tf.int32)

    @tf.function
    def from_labels(labels, s):
        q = model.label_distribution(tf.gather(model.label_vectors, labels))
        z = q.sample(seed=s)
        densest = tf.argmax(model.label_distribution().log_prob(z[:, None, :]), axis=-1,
                            output_type=tf.int32)
        return classify_decoded(z), densest

    @tf.function
    def from_images(images, s):
        return classify_decoded(model.encode(images).sample(seed=s))

    from_latents = tf.function(classify_decoded)

    @tf.function
    def posterior(images):
        q = model.encode(images)
        return q.mean(), q.variance()

    labels = np.repeat(np.arange(num_classes, dtype=np.int32), samples_per_label)
    seeds = tf.random.experimental.stateless_split(tf.constant([seed, 1000]),
                                                   -(-len(labels) // batch_size))
    predicted, densest = [], []
    for i in range(0, len(labels), batch_size):
        p, d = from_labels(labels[i:i + batch_size], seeds[i // batch_size])
        predicted.append(p.numpy())
        densest.append(d.numpy())
    predicted, densest = np.concatenate(predicted), np.concatenate(densest)

    images = flat_float(dataset.test_images)
    test_labels = np.asarray(dataset.test_labels)
    image_seeds = tf.random.experimental.stateless_split(tf.constant([seed, 2000]),
                                                         -(-len(test_labels) // batch_size))
    decoded = np.concatenate([from_images(images[i:i + batch_size], image_seeds[i // batch_size])
                              .numpy() for i in range(0, len(test_labels), batch_size)])

    # The moment-matched Gaussians of each class's aggregate posterior over its training images.
    train_images = flat_float(dataset.train_images)
    moments = [posterior(train_images[i:i + batch_size])
               for i in range(0, len(train_images), batch_size)]
    fit_mean, fit_cov = class_moments(np.concatenate([m.numpy() for m, _ in moments]),
                                      np.concatenate([v.numpy() for _, v in moments]),
                                      dataset.train_labels, num_classes)
    q = model.label_distribution()
    q_mean, q_var = np.asarray(q.mean(), np.float64), np.asarray(q.variance(), np.float64)
    kl_fit = [diagonal_kl(q_mean[c], q_var[c], fit_mean[c], np.diag(fit_cov[c]))
              for c in range(num_classes)]
    # with label_covariance=full, the moment match eq. 2 fits is the full one
    q_cov = np.asarray(q.covariance(), np.float64)
    kl_fit_full = [gaussian_kl(q_mean[c], q_cov[c], fit_mean[c], fit_cov[c])
                   for c in range(num_classes)]
    rng = np.random.default_rng(seed)
    fitted = {}
    for name in ("fit", "fit_full"):
        z = np.concatenate([
            rng.multivariate_normal(fit_mean[c], fit_cov[c] if name == "fit_full"
                                    else np.diag(np.diag(fit_cov[c])), samples_per_label)
            for c in range(num_classes)]).astype(np.float32)
        fitted[name] = np.concatenate([from_latents(z[i:i + batch_size]).numpy()
                                       for i in range(0, len(z), batch_size)])

    row = {"run": run_dir.name, "dataset": config.dataset, "model": config.model.name,
           "latent_dim": config.model.latent_dim,
           "options": dict(config.model.options or {}), "seed": config.seed,
           "steps": config.steps, "samples_per_label": samples_per_label,
           "kl_fit": float(np.mean(kl_fit)), "kl_fit_per_class": kl_fit,
           "kl_fit_full": float(np.mean(kl_fit_full)), "kl_fit_full_per_class": kl_fit_full}
    for name, correct, truth in (("q_z_l", predicted == labels, labels),
                                 ("q_z_x", decoded == test_labels, test_labels),
                                 ("region", densest == labels, labels),
                                 ("fit", fitted["fit"] == labels, labels),
                                 ("fit_full", fitted["fit_full"] == labels, labels)):
        row[name] = float(np.mean(correct))
        row[f"{name}_per_class"] = per_class(correct, truth, num_classes)
    return row


def percent(row: dict, name: str) -> str:
    """A reading in %, or a dash for a row read before that reading existed."""
    return "—" if name not in row else f"{100 * row[name]:.2f}"


def render(state: dict) -> str:
    lines = ["# Generation accuracy by class: q(z|l) against q(z|x)", "",
             "Accuracies in %, classified by the fixed evaluator. `q(z|l)`: the tables' "
             "generation protocol (one draw of the stated images per label); `q(z|x)`: Dec(z), "
             "z ~ q(z|x) of each test image, against its label; `region`: the share of q(z|l) "
             "draws whose densest label distribution is their own; `fit` and `fit full`: draws "
             "from the Gaussian with the mean and the diagonal (or full) covariance of the "
             "class's q(z|x) over its training images, the diagonal one being what eq. 2's KL "
             "fits a free q(z|l) to (the full one under `label_covariance=full`); `KL` and "
             "`KL full`: KL(q(z|l) ‖ fit) and KL(q(z|l) ‖ fit full) in nats, averaged over "
             "classes. "
             "Per-class columns give "
             "q(z|l) / q(z|x) for each class. Written by "
             "`experiments/study/generation_readings.py`; no training.", ""]
    if not state["rows"]:
        return "\n".join(lines) + "\n"
    num_classes = len(state["rows"][0]["q_z_l_per_class"])
    lines += ["| run | steps | q(z\\|l) | q(z\\|x) | region | fit | fit full | KL | KL full | "
              + " | ".join(f"class {c}" for c in range(num_classes)) + " |",
              "|---|---|---|---|---|---|---|---|---|" + "---|" * num_classes]
    for row in state["rows"]:
        cells = [f"{100 * a:.1f} / {100 * b:.1f}"
                 for a, b in zip(row["q_z_l_per_class"], row["q_z_x_per_class"])]
        lines.append(f"| {row['run']} | {row['steps']:,} | {100 * row['q_z_l']:.2f} | "
                     f"{100 * row['q_z_x']:.2f} | {100 * row['region']:.2f} | "
                     f"{percent(row, 'fit')} | {percent(row, 'fit_full')} | "
                     f"{'—' if 'kl_fit' not in row else format(row['kl_fit'], '.2f')} | "
                     f"{'—' if 'kl_fit_full' not in row else format(row['kl_fit_full'], '.2f')}"
                     " | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from experiments.results_file import ResultsFile
    from pse_tf.config import TrainConfig
    from pse_tf.evaluation.evaluators import load_evaluator
    from pse_tf.runs import CONFIG

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--samples-per-label", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--results", default="results")
    args = p.parse_args(argv)
    if args.samples_per_label < 1:
        p.error("--samples-per-label must be at least 1")
    results = ResultsFile(args.results, "generation_readings", {"rows": []}, render)
    evaluators = {}
    for run_dir in args.runs:
        try:
            config = TrainConfig.from_json(run_dir / CONFIG)
            if results.has_run(run_dir.name, config.steps, needs=READINGS):
                continue
            if config.dataset not in evaluators:
                evaluators[config.dataset] = load_evaluator(config.dataset)
            row = read_run(run_dir, evaluators[config.dataset], args.samples_per_label,
                           args.seed)
        except (FileNotFoundError, ValueError) as e:
            print(f"skipping {run_dir}: {e}", file=sys.stderr)
            continue
        results.replace_row(row)
        results.save(f"generation readings: {run_dir.name}")
        print(f"{run_dir.name}: q(z|l) {100 * row['q_z_l']:.2f} %, q(z|x) "
              f"{100 * row['q_z_x']:.2f} %, region {100 * row['region']:.2f} %", flush=True)
    print(f"wrote {results.md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
