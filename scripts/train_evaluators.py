#!/usr/bin/env python
"""Train the fixed evaluator classifiers of the generation-accuracy metric and write
pse_tf/evaluation/weights/<dataset>.keras and <dataset>.json.

    python scripts/train_evaluators.py --dataset mnist
    python scripts/train_evaluators.py --dataset all --seed 0
    python scripts/train_evaluators.py --dataset fashion_mnist --epochs 2 --weights-dir /tmp/ev
    python scripts/train_evaluators.py --dataset mnist --epochs 1 --train-images 1000 --weights-dir /tmp/ev
    python scripts/train_evaluators.py --dataset all --paper-accuracy   # <dataset>-paper.keras
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATASETS = ("mnist", "fashion_mnist")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", required=True, choices=DATASETS + ("all",))
    p.add_argument("--epochs", type=int, default=None,
                   help="training epochs; None: the data set's own (evaluator_training.DEFAULTS)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights-dir", default=None,
                   help="output folder; None: the committed pse_tf/evaluation/weights")
    p.add_argument("--train-images", type=int, default=None,
                   help="train on only the first N training images (a smoke test); None: all")
    p.add_argument("--paper-accuracy", action="store_true",
                   help="the 'paper' variant: no augmentation, stop as soon as validation accuracy "
                        "reaches the paper's evaluator's (96.86%% MNIST, 92.4%% Fashion-MNIST)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from pse_tf.evaluation.evaluator_training import train_evaluator
    from pse_tf.evaluation.evaluators import weights_paths

    names = DATASETS if args.dataset == "all" else (args.dataset,)
    variant = "paper" if args.paper_accuracy else None
    for name in names:
        _, info = train_evaluator(name, epochs=args.epochs, seed=args.seed,
                                  verbose=0 if args.quiet else 1, weights_dir=args.weights_dir,
                                  train_images=args.train_images, variant=variant)
        model_path, info_path = weights_paths(name, args.weights_dir, variant)
        print(f"{name}: test accuracy {info['test_accuracy']:.4f} (val {info['val_accuracy']:.4f}, "
              f"best epoch {info['best_epoch']}/{info['epochs']}); "
              f"{info['flops_per_image'] / 1e6:.2f} MFLOPs/image, {info['images_per_s']} images/s; "
              f"wrote {model_path} and {info_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
