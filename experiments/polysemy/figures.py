"""Figures of the polysemy grid: images generated per grouped label by diag and by a mixture
(same seed), and, for runs with a 2-d latent space, the latent picture of the paper's Figs. 2
and 7-10 with every mixture component drawn.

    python -m experiments.polysemy.figures [--runs runs/polysemy] [--out results/figures/polysemy]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from experiments.polysemy.report import grouping_of, variant_of


def finished(runs: Path) -> dict:
    """{(dataset, grouping, model, variant, latent_dim, seed): run folder}."""
    out = {}
    for metrics in sorted(runs.glob("*/metrics.json")):
        config = json.loads((metrics.parent / "config.json").read_text())
        out[(config["dataset"], grouping_of(config), config["model"]["name"], variant_of(config),
             config["model"]["latent_dim"], config["seed"])] = metrics.parent
    return out


def sample_rows(runs: dict, out: Path, per_label: int = 8) -> list:
    """One figure per data set and grouping: each label's images from diag and from every
    mixture of seed 0, row above row; under a mixture's row, a row from each of its
    components."""
    from pse_tf import plotting
    from pse_tf.runs import load_run

    written = []
    settings = {k[:2] for k in runs if k[1] != "original" and k[4] == 10 and k[5] == 0}
    for dataset, grouping in sorted(settings):
        variants = sorted(k[3] for k in runs if k[:2] == (dataset, grouping) and k[2] == "pse_star"
                          and k[4] == 10 and k[5] == 0)
        rows, names = [], []
        models = {v: load_run(runs[(dataset, grouping, "pse_star", v, 10, 0)])[0] for v in variants}
        for c, label in enumerate(next(iter(models.values())).class_names):
            for variant, model in models.items():
                vectors = np.repeat(model.label_vectors.numpy()[c:c + 1], per_label, axis=0)
                rows.append(np.asarray(model.generate(vectors, np.array([0, 0], np.int32))))
                names.append(f"{label} ({variant})")
                for k, (weight, images) in enumerate(component_rows(model, c, per_label)):
                    rows.append(images)
                    names.append(f"component {k + 1}, weight {weight:.2f}")
        path = out / f"samples_{dataset}_{grouping}.png"
        plotting.save_image_rows(rows, names, path, f"{dataset}, {grouping} labels: images "
                                 "generated per label by each q(z|l) (PSE*, seed 0)")
        written.append(path)
    return written


def component_rows(model, label: int, per_label: int) -> list:
    """[(weight, images [per_label, D])] drawn from each component of a mixture q(z|l), largest
    weight first; [] for one Gaussian."""
    import tensorflow as tf

    from pse_tf import mixtures

    q = model.label_distribution()
    if not mixtures.is_mixture(q):
        return []
    weights = mixtures.weights(q).numpy()[label]
    z = q.components_distribution.sample(per_label, seed=tf.constant([0, 1]))[:, label]
    return [(float(weights[k]), tf.sigmoid(model.decode_logits(z[:, k])).numpy())
            for k in np.argsort(-weights)]


def latent_pictures(runs: dict, out: Path) -> list:
    """The 2-d latent spaces side by side, per data set and grouping."""
    from pse_tf import plotting
    from pse_tf.runs import load_data, load_run

    written = []
    for dataset, grouping in sorted({k[:2] for k in runs if k[4] == 2}):
        panels, data = [], None
        for key in sorted(k for k in runs if k[:2] == (dataset, grouping) and k[4] == 2):
            model, config, _ = load_run(runs[key])
            data = data or load_data(config)[0]
            panels.append((model, f"{key[2]}, q(z|l) {key[3]}"))
        path = out / f"latent_{dataset}_{grouping}.png"
        plotting.save_latent_grid(panels, data.test_images[:3000], data.test_labels[:3000], path,
                                  columns=len(panels), title=f"{dataset}, {grouping} labels")
        written.append(path)
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", default="runs/polysemy")
    p.add_argument("--out", default="results/figures/polysemy")
    args = p.parse_args(argv)
    runs, out = finished(Path(args.runs)), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in sample_rows(runs, out) + latent_pictures(runs, out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
