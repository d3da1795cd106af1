#!/usr/bin/env python
"""Generate images from text with a trained run or an export: one PNG grid, one row per query.

    python scripts/generate.py RUN_OR_EXPORT "sneaker" "sneaker + sandal" "ankle boot - ankle"
    python scripts/generate.py RUN_OR_EXPORT --interpolate "sandal" "ankle boot" --steps 6

A query is phrases joined by `+` / `-` standing alone between spaces; its label vector is the
signed sum of the phrase vectors (each the mean of its words' vectors), and the images are
decoded from z ~ q(z|l) of that vector. `--interpolate A B` decodes l_t = (1 - t) l_A + t l_B at
`--steps` evenly spaced t in [0, 1]. Each row shows `--samples` draws (Bernoulli means).
`--taught-words FILE` adds words that name a class (`word<TAB>class` lines) to the default rule.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a run directory (runs/...) or an export (exported/<name>[/<v>])")
    p.add_argument("queries", nargs="*", help='phrases with + / - algebra, e.g. "boot - ankle"')
    p.add_argument("--interpolate", nargs=2, metavar=("A", "B"),
                   help="interpolate between two queries instead")
    p.add_argument("--steps", type=int, default=8, help="interpolation steps (default 8)")
    p.add_argument("--samples", type=int, default=8, help="images per row (default 8)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--out", default="generated.png", help="PNG to write (default generated.png)")
    p.add_argument("--taught-words", metavar="FILE",
                   help="a run only: words you teach, one 'word<TAB>class' per line (e.g. "
                        "'skorts<TAB>trouser'); an export holds the taught words it was exported "
                        "with (scripts/export.py --taught-words)")
    p.add_argument("--array", help="also save the images as .npy: float32 [rows, samples, "
                   "*image_shape] in [0, 1]")
    args = p.parse_args(argv)
    if bool(args.queries) == bool(args.interpolate):
        p.error("give either queries or --interpolate A B")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import numpy as np

    from pse_tf import plotting
    from pse_tf.inference import load

    try:
        predictor = load(args.model, args.taught_words)
        if args.interpolate:
            a, b = args.interpolate
            vectors = predictor.interpolation_vectors(a, b, args.steps)
            names = [f"t={t:.2f}" for t in (i / (args.steps - 1) for i in range(args.steps))]
            title = f"{a} -> {b}"
        else:
            vectors, names, title = predictor.query_vectors(args.queries), list(args.queries), ""
        images = predictor.generate_vectors(vectors, args.samples, args.seed)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    path = plotting.save_image_rows(list(images), names, args.out,
                                    title=f"{title} (seed {args.seed})".strip())
    if args.array:
        np.save(args.array, images)
    print(f"wrote {path} ({len(images)} rows x {args.samples} samples of "
          f"{'x'.join(map(str, predictor.image_shape))}, {predictor.describe()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
