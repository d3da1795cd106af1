#!/usr/bin/env python
"""Cross-modal retrieval on a test split: text -> images, images -> text, and the evaluation table.

    python scripts/retrieve.py RUN_OR_EXPORT --text "ankle boot" --top 16 --out boots.png
    python scripts/retrieve.py RUN_OR_EXPORT --image shoe.png --texts sandal sneaker boot
    python scripts/retrieve.py --evaluate RUN_OR_EXPORT [RUN_OR_EXPORT ...] --results results/retrieval

`--text` ranks the test images of the model's data set by a score of the query (with + / -
algebra) against each image, prints the best, their class, and writes them as a PNG row.
`--image` ranks texts (`--texts`, default: the class names) for each image. `--evaluate` writes
R-Precision and mAP@R with class-level matches, both directions, three scores
(`pse_tf.evaluation.retrieval`), as RESULTS.md and RESULTS.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SCORE_CHOICES = ("log_likelihood", "neg_kl", "neg_wasserstein")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="+", help="run directories or exports")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--text", help="text -> image query")
    mode.add_argument("--image", nargs="+", help="image -> text: PNG files or .npy batches")
    mode.add_argument("--evaluate", action="store_true", help="write the retrieval table")
    p.add_argument("--texts", nargs="+", help="texts ranked for --image (default: class names)")
    p.add_argument("--score", choices=SCORE_CHOICES, default="log_likelihood",
                   help="default log_likelihood, log q(mean | l)")
    p.add_argument("--top", type=int, default=10, help="results shown (default 10)")
    p.add_argument("--dataset", help="test split to search (default: the model's data set)")
    p.add_argument("--out", default="retrieved.png", help="PNG for --text")
    p.add_argument("--results", default="results/retrieval",
                   help="--evaluate writes RESULTS.md and RESULTS.json (default results/retrieval)")
    p.add_argument("--resize", action="store_true", help="scale --image pictures of another size")
    args = p.parse_args(argv)
    if not args.evaluate and len(args.models) != 1:
        p.error("--text and --image take one model")
    return args


def _test_split(pse, dataset):
    from pse_tf.data import load_dataset

    name = dataset or pse.dataset
    if name is None:
        raise ValueError("the model's classes are not those of a known data set; pass --dataset")
    data = load_dataset(name)
    return name, data.test_images, data.test_labels


def markdown(rows: list[dict]) -> str:
    from pse_tf.evaluation.scores import SCORE_TEXT

    lines = ["| data set | direction | score | R-Precision | mAP@R |", "|---|---|---|---|---|"]
    for row in rows:
        for direction in ("text_to_image", "image_to_text"):
            for kind, values in row["results"][direction].items():
                lines.append(f"| {row['dataset']} | {direction.replace('_', ' ')} | "
                             f"{SCORE_TEXT[kind].replace('|', chr(92) + '|')} | {100 * values['r_precision']:.2f} | "
                             f"{100 * values['map_at_r']:.2f} |")
    return "\n".join(lines)


def runs_text(rows: list[dict]) -> str:
    """One line per evaluated model: where it is, its training budget and the wall time."""
    lines = ["Models (wall time = loading + encoding the test split + scoring, on this machine):"]
    for r in rows:
        budget = f", {r['steps']:,} steps, seed {r['seed']}" if "steps" in r else ""
        lines.append(f"- {r['dataset']}: `{r['model']}`{budget}, {r['wall_seconds']:.1f} s")
    return "\n".join(lines)


def evaluate(args) -> int:
    from pathlib import Path

    from pse_tf.evaluation.retrieval import retrieval_table
    from pse_tf.inference import load

    rows = []
    for model in args.models:
        t0 = time.time()
        pse = load(model)
        dataset, images, labels = _test_split(pse, args.dataset)
        results = retrieval_table(pse, images, labels)
        rows.append({"model": str(pse.backend.path), **pse.training(), "dataset": dataset, "results": results,
                     "wall_seconds": time.time() - t0})
        print(f"{dataset}: {pse.describe()} in {time.time() - t0:.1f} s")
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    table = markdown(rows)
    out.with_suffix(".md").write_text(
        "# Cross-modal retrieval (class-level matches)\n\nWritten by `python scripts/retrieve.py "
        "--evaluate`; method in `pse_tf/evaluation/retrieval.py`. Text -> image: each class name "
        "queries the 10,000 test images, R = the images of that class. Image -> text: each test "
        "image ranks the class names, R = 1, so both metrics equal top-1 accuracy.\n\n"
        + table + "\n\n" + runs_text(rows) + "\n")
    print(table)
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.evaluate:
            return evaluate(args)
        from pse_tf import plotting
        from pse_tf.evaluation.retrieval import rank_images, rank_texts
        from pse_tf.inference import load, read_images

        pse = load(args.models[0])
        if args.text:
            dataset, images, labels = _test_split(pse, args.dataset)
            order, scores = rank_images(pse, args.text, images, args.score)
            names = pse.class_names
            for rank, (i, s) in enumerate(zip(order[:args.top], scores), 1):
                print(f"{rank:3d}. test image {i:5d}  class {names[labels[i]]:<12} {s:10.3f}")
            path = plotting.save_image_rows([images[order[:args.top]]], [args.text], args.out,
                                            title=f"{dataset} test images ranked by {args.score}")
            print(f"wrote {path}")
            return 0
        images, files = read_images(args.image, pse.image_shape, args.resize)
        texts = args.texts or list(pse.class_names)
        order, scores = rank_texts(pse, images, texts, args.score)
        for name, row, srow in zip(files, order, scores):
            print(f"{name}: " + "  ".join(f"{texts[j]} {s:.2f}"
                                          for j, s in zip(row[:args.top], srow)))
        return 0
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
