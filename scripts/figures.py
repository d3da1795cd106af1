#!/usr/bin/env python
"""Draw the paper's figures into results/figures/ (training any model they need first).

    python scripts/figures.py               # all figures
    python scripts/figures.py --only 2 5    # some of them

Fig. 2 and 7-10: 2-d latent spaces; Fig. 3: TrELBO vs PSE* samples; Fig. 4: Fashion-MNIST
conditional generation and interpolations; Fig. 5 and 6: word-vector compositions and unseen words.
Runs are shared with scripts/reproduce.py (same run directories): a finished run is reloaded with
`runs.load_run`, and only a missing one is trained.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Words outside the training labels, all in the default GloVe vocabulary (paper Fig. 6 used e.g.
# 'jeans' and 'bootcut' with GoogleNews word2vec).
UNSEEN_WORDS = ("jeans", "boots", "sweater", "jacket", "skirt", "heels")
# The committed figures (results/figures/) were drawn from 5,000-step runs.
FIGURE_STEPS = 5000


def main(argv=None) -> int:
    import numpy as np
    import tensorflow as tf

    from pse_tf import plotting
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding
    from pse_tf.run_folder import finished_run
    from pse_tf.runs import load_run, train

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=FIGURE_STEPS,
                   help=f"steps per run (default {FIGURE_STEPS}, the committed figures' budget)")
    p.add_argument("--only", nargs="*", type=int, help="figure numbers to draw (default: all)")
    p.add_argument("--out", default="results")
    p.add_argument("--runs", help="run directories' parent (default: OUT/runs, shared with "
                   "scripts/reproduce.py; `runs` reuses scripts/train.py's runs)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    figures = Path(args.out) / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only or range(2, 11))

    def model(dataset, name, latent_dim=10, encoding="onehot"):
        config = TrainConfig(dataset=dataset, label_encoding=encoding, steps=args.steps,
                             seed=args.seed, out=args.runs or str(Path(args.out) / "runs"),
                             model=ModelConfig(name=name, latent_dim=latent_dim))
        run_dir = finished_run(config)
        if run_dir is None:
            print(f"== training {dataset} {name} z={latent_dim} {encoding}", flush=True)
            run_dir = train(config, verbose=2, export=False, run_evaluation=False).run_dir
        return load_run(run_dir)[0]

    def latent(dataset, name, path, title):
        ds = load_dataset(dataset)
        m = model(dataset, name, latent_dim=2)
        plotting.save_latent_space(m, ds.test_images, ds.test_labels, figures / path, title)
        print(f"wrote {figures / path}")

    if 2 in wanted:
        ds = load_dataset("mnist")
        panels = [(model("mnist", name, latent_dim=2), name)
                  for name in ("vae", "cvae", "jmvae", "trelbo", "scan", "pse", "pse_star")]
        plotting.save_latent_grid(panels, ds.test_images, ds.test_labels,
                                  figures / "fig2_mnist_latent_spaces.png",
                                  title="Fig. 2: 2-d latent spaces on MNIST (test set; ellipses: "
                                        "1-σ of each q(z|l))")
        print(f"wrote {figures / 'fig2_mnist_latent_spaces.png'}")
    for number, dataset, name in ((7, "mnist", "pse"), (8, "mnist", "pse_star"),
                                  (9, "fashion_mnist", "pse"), (10, "fashion_mnist", "pse_star")):
        if number in wanted:
            latent(dataset, name, f"fig{number}_{dataset}_latent_{name}.png",
                   f"Fig. {number}: {name}, {dataset}, 2-d")
    if 3 in wanted:
        for name in ("trelbo", "pse_star"):
            plotting.save_sample_grid(model("mnist", name), figures / f"fig3_samples_{name}.png",
                                      seed=args.seed)
        print(f"wrote {figures}/fig3_samples_*.png")
    if 4 in wanted:
        m = model("fashion_mnist", "pse_star")
        plotting.save_sample_grid(m, figures / "fig4a_fashion_generation.png", seed=args.seed)
        names = list(m.class_names)
        pairs = [("sneaker", "ankle boot"), ("t-shirt", "shirt")]
        rows = [plotting.interpolate(m, names.index(a), names.index(b)) for a, b in pairs]
        plotting.save_image_rows(rows, [f"{a} → {b}" for a, b in pairs],
                                 figures / "fig4b_interpolations.png",
                                 "Fig. 4b: decoded points on the line through two label means")
        print(f"wrote {figures}/fig4*.png")
    if wanted & {5, 6}:
        m = model("fashion_mnist", "pse_star", encoding="word2vec")
        encoding = LabelEncoding.build(m.class_names, "word2vec")

        def samples(vectors, n=8):
            v = tf.constant(np.repeat(np.asarray(vectors, np.float32), n, axis=0))
            return np.asarray(m.generate(v, tf.constant([args.seed, 5]))).reshape(len(vectors), n, 784)

        if 5 in wanted:
            rows, names = [], []
            for a, b in (("sneaker", "ankle boot"), ("t-shirt", "shirt")):
                va, vb = encoding.encode([a, b])
                rows += list(samples([va, 0.5 * (va + vb), vb]))
                names += [a, f"½({a} + {b})", b]
            plotting.save_image_rows(rows, names, figures / "fig5_word_compositions.png",
                                     "Fig. 5: PSE* (word vectors): labels and their mean")
        if 6 in wanted:
            rows = list(samples(encoding.encode(list(UNSEEN_WORDS))))
            plotting.save_image_rows(rows, list(UNSEEN_WORDS), figures / "fig6_unseen_words.png",
                                     "Fig. 6: words never seen in training")
        print(f"wrote {figures}/fig5/6")
    return 0


if __name__ == "__main__":
    sys.exit(main())
