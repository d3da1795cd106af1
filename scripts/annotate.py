#!/usr/bin/env python
"""Annotate images with words: the top-k words of a vocabulary for each image, with probabilities.

    python scripts/annotate.py RUN_OR_EXPORT shoe.png digits.npy --top-k 5
    python scripts/annotate.py RUN_OR_EXPORT shoe.png --words my_words.txt --json

Each word w is scored by log q(mean of q(z|x) | l_w) (the paper's annotation rule) and the
probabilities are the softmax of those scores over the vocabulary. The vocabulary is a word file
(`--words`, one word or phrase per line), the `--vocabulary-size` most frequent words of the
word vectors that start with a letter, or by default the annotation vocabulary
(`pse_tf.labels.annotation_vocabulary`: words that name a class get their class's score, beside
frequent visual nouns; an export stores the same list); a one-hot model ranks its class names.

Images: PNG/JPEG files at the model's size (28x28 greyscale for MNIST and Fashion-MNIST; a colour
model of your own images reads RGB), another size only with `--resize` (bilinear, aspect ratio
not kept); `.npy` files holding one image or a batch, flat or not ([28, 28], [N, 28, 28] or
[N, 784]), uint8 or float in [0, 1]. The data sets draw light strokes on black: pass `--invert`
for dark-on-light pictures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    from pse_tf.inference import DEFAULT_VOCABULARY_SIZE

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a run directory (runs/...) or an export (exported/<name>[/<v>])")
    p.add_argument("images", nargs="+", help="PNG/JPEG files or .npy batches")
    p.add_argument("--words", help="vocabulary file: one word or phrase per line")
    p.add_argument("--vocabulary-size", type=int, default=DEFAULT_VOCABULARY_SIZE,
                   help="rank the N most frequent words instead of the default annotation "
                        "vocabulary")
    p.add_argument("--top-k", type=int, default=5, help="words printed per image (default 5)")
    p.add_argument("--resize", action="store_true", help="scale pictures of another size")
    p.add_argument("--invert", action="store_true", help="use 1 - pixel (dark strokes on light)")
    p.add_argument("--taught-words", metavar="FILE",
                   help="a run only: words you teach, one 'word<TAB>class' per line (e.g. "
                        "'skorts<TAB>trouser'); an export holds the taught words it was exported "
                        "with (scripts/export.py --taught-words)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from pse_tf.inference import load, read_images, read_word_file

    try:
        predictor = load(args.model, args.taught_words)
        images, names = read_images(args.images, predictor.image_shape, args.resize, args.invert)
        vocabulary = read_word_file(args.words) if args.words else \
            predictor.vocabulary(args.vocabulary_size)
        results = predictor.annotate(images, vocabulary, args.top_k)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"model": str(predictor.backend.path), "vocabulary_size": len(vocabulary),
                          "image_shape": list(predictor.image_shape),
                          "images": [{"image": n, "words": [w for w, _ in r],
                                      "probabilities": [p for _, p in r]}
                                     for n, r in zip(names, results)]}, indent=1))
        return 0
    print(f"{predictor.describe()}; {len(vocabulary)} words ranked")
    for name, ranked in zip(names, results):
        print(f"{name}: " + "  ".join(f"{w} {p:.3f}" for w, p in ranked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
