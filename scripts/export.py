#!/usr/bin/env python
"""Export a finished run again, choosing the text vocabulary: exported/<name>/<next version>/.

    python scripts/export.py runs/fashion_mnist-pse_star-word2vec-z10-seed0 --vocabulary-size 10000
    python scripts/export.py RUN --sizes 0 10000 all --export-dir /tmp/sizes  # measure

The SavedModel of a word-vector run carries every word of its word vectors (or the
`--vocabulary-size` most frequent, plus the class-name words) as a lookup table for the
`phrase_vectors`, `generate_text` and `annotate_words` signatures (`pse_tf.export.text`); 0 leaves
them out; `--sizes all 50000` measures the default against a smaller vocabulary.
`--sizes` exports once per size (SavedModel only) and prints the size of each export.
`--taught-words FILE` stores words you teach (`word<TAB>class` lines) with the knowledge table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv=None):
    from pse_tf.export.text import DEFAULT_TOP_K, DEFAULT_VOCABULARY_SIZE

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--vocabulary-size", type=int, default=DEFAULT_VOCABULARY_SIZE,
                   help="most frequent words in the export (default: every word of the word "
                        "vectors, so the export accepts every word Python does)")
    p.add_argument("--top-k", type=int, default=DEFAULT_TOP_K,
                   help=f"words per image from annotate_words (default {DEFAULT_TOP_K})")
    p.add_argument("--export-dir", default="exported")
    p.add_argument("--taught-words", metavar="FILE",
                   help="words you teach, one 'word<TAB>class' per line: stored in the export's "
                        "word -> class table beside the knowledge table")
    p.add_argument("--no-tflite", action="store_true")
    p.add_argument("--sizes", type=_size, nargs="+",
                   help="measure: one export per vocabulary size ('all': every word)")
    p.add_argument("--results", help="with --sizes: also write RESULTS.md and RESULTS.json")
    return p.parse_args(argv)


def _size(text: str):
    return None if text == "all" else int(text)


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    from pse_tf.export import export_model
    from pse_tf.labels.open_vocabulary import DEFAULT
    from pse_tf.runs import export_name, load_run

    try:
        model, config, _ = load_run(args.run_dir)
        rule = DEFAULT.teach(args.taught_words) if args.taught_words else DEFAULT
        sizes = args.sizes if args.sizes is not None else [args.vocabulary_size]
        rows = []
        for size in sizes:
            result = export_model(model, export_name(config), args.export_dir,
                                  tflite=not (args.no_tflite or args.sizes),
                                  text_options={"word_vectors": config.word_vectors,
                                                "lexicon": config.lexicon,
                                                "vocabulary_size": size, "top_k": args.top_k,
                                                "normalisation": rule})
            saved_model = directory_bytes(result.path) - sum(
                p.stat().st_size for p in result.tflite_paths.values())
            start = time.perf_counter()
            tf.saved_model.load(str(result.path))
            load_seconds = time.perf_counter() - start
            words = json.loads((result.path / "export_metadata.json").read_text()).get(
                "text", {}).get("vocabulary_size", 0)
            rows.append({"vocabulary_size": size, "words": words, "path": str(result.path),
                         "saved_model_bytes": saved_model,
                         "saved_model_pb_bytes": (result.path / "saved_model.pb").stat().st_size,
                         "load_seconds": load_seconds})
            print(f"vocabulary {words:>7,} words: SavedModel {saved_model / 2**20:7.2f} MiB "
                  f"(saved_model.pb {rows[-1]['saved_model_pb_bytes'] / 2**20:.2f} MiB), "
                  f"loads in {load_seconds:.1f} s -> {result.path}")
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.results:
        out = Path(args.results)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps({"run": args.run_dir, "exports": rows},
                                                       indent=2) + "\n")
        lines = ["| words | SavedModel (MiB) | saved_model.pb (MiB) | tf.saved_model.load (s) |",
                 "|---|---|---|---|"]
        lines += [f"| {r['words']:,} | {r['saved_model_bytes'] / 2**20:.2f} | "
                  f"{r['saved_model_pb_bytes'] / 2**20:.2f} | {r['load_seconds']:.1f} |"
                  for r in rows]
        out.with_suffix(".md").write_text(
            f"# SavedModel size per text vocabulary size\n\nRun `{args.run_dir}`, written by "
            "`python scripts/export.py RUN --sizes ...` (SavedModel without the TFLite files; "
            "0 = no word signatures).\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
