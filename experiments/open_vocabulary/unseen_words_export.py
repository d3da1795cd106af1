#!/usr/bin/env python
"""The unseen-word score through a served model: each run of `unseen_words.py` exported as a
SavedModel with the default text options, reloaded, and each word sent to its `generate_text`
signature as a user's request would be.

    python -m experiments.open_vocabulary.unseen_words_export     # seeds 0 and 1, 20k steps

For each data set and seed: the export's `phrase_vectors` against the Python path's
(`open_vocabulary.DEFAULT.encode`, largest difference), then 1,000 images per word from
`generate_text`, classified by the fixed evaluator; a word lands when the majority class is the
intended one. The headline counts the words that stay unseen (`vocabulary.rewritten_into_label`),
per half. Writes results/unseen_words_export.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def served_predictions(signatures, words, samples: int, seed: int, classify):
    """Evaluator classes [N, samples] of `generate_text` images for each word (seed + i), -1 for
    a word the export refuses; and the refused words."""
    import numpy as np
    import tensorflow as tf

    out, refused = np.full((len(words), samples), -1, np.int32), []
    for i, word in enumerate(words):
        try:
            images = signatures["generate_text"](phrases=tf.constant([word] * samples),
                                                 seed=tf.constant(seed * 1000 + i, tf.int64))
        except tf.errors.InvalidArgumentError:  # outside the export's vocabulary
            refused.append(word)
            continue
        out[i] = classify(images["images"].numpy().reshape(samples, -1))
    return out, refused


def row_for(dataset: str, seed: int, steps: int, samples: int, runs: str) -> dict:
    import numpy as np
    import tensorflow as tf

    from experiments.open_vocabulary.unseen_words import model_run
    from experiments.open_vocabulary.vocabulary import rewritten_into_label, word_scores
    from pse_tf import export
    from pse_tf.evaluation.evaluators import classify, load_evaluator
    from experiments.open_vocabulary.mappings import unseen_words
    from pse_tf.labels.open_vocabulary import DEFAULT

    model, encoding, metrics = model_run(dataset, steps, seed, runs)
    words = unseen_words(dataset)
    phrases = [w["word"] for w in words]
    intended = [encoding.class_names.index(w["class"]) for w in words]
    with tempfile.TemporaryDirectory() as tmp:
        result = export.export_model(model, "words", tmp, tflite=False)
        loaded = tf.saved_model.load(str(result.path))
        evaluator = load_evaluator(dataset)
        predictions, refused = served_predictions(loaded.signatures, phrases, samples, seed,
                                                  lambda x: classify(evaluator, x))
        known = [p for p in phrases if p not in refused]
        served = loaded.signatures["phrase_vectors"](phrases=tf.constant(known))
        difference = float(np.abs(served["label_vectors"].numpy()
                                  - DEFAULT.encode(encoding, known)).max())
    served_rows = [i for i, p in enumerate(phrases) if p not in refused]
    scores = word_scores(predictions[served_rows], [intended[i] for i in served_rows],
                         len(encoding.class_names))
    landed = np.zeros(len(phrases), bool)  # a refused word does not land
    landed[served_rows] = scores["landed"]
    rewritten = [rewritten_into_label(DEFAULT.normalise(p, encoding.class_names),
                                      encoding.class_names) for p in phrases]
    return {"dataset": dataset, "seed": seed, "steps": steps, "samples": samples,
            "option": DEFAULT.name, "vector_difference": difference, "refused": refused,
            "landed": [bool(x) for x in landed], "rewritten": rewritten,
            "halves": [w["half"] for w in words], "words": phrases,
            "paper_metrics": {k: metrics[k] for k in ("reconstruction_error",
                                                      "annotation_accuracy",
                                                      "generation_accuracy")}}


def fractions(row: dict) -> dict:
    """Landed fraction of the words that stay unseen (all, per half) and rewritten k/n."""
    out = {}
    for name, keep in (("unseen", lambda h, r: not r),
                       ("development", lambda h, r: not r and h == "development"),
                       ("held_out", lambda h, r: not r and h == "held_out"),
                       ("rewritten", lambda h, r: r)):
        picked = [x for x, h, r in zip(row["landed"], row["halves"], row["rewritten"]) if keep(h, r)]
        out[name] = (sum(picked), len(picked))
    return out


def python_landed(results: Path, row: dict):
    """The same run's Python-path row of results/unseen_words.json (same option), or None."""
    path = results / "unseen_words.json"
    if not path.exists():
        return None
    for r in json.loads(path.read_text())["rows"]:
        if (r["dataset"], r["seed"], r["steps"], r["option"], r.get("training", "paper")) == \
                (row["dataset"], row["seed"], row["steps"], row["option"], "paper"):
            return r["landed"]
    return None


def render(rows: list[dict], results: Path) -> str:
    import statistics

    lines = ["# Unseen words through the export's generate_text",
             "",
             "PSE\\* with GloVe 6B 50-d labels (20,000 steps), exported with the default text "
             "options, reloaded with `tf.saved_model.load`; each word of "
             "pse_tf/labels/unseen_words.json sent to `generate_text` 1,000 times, the images "
             "classified by the fixed evaluator, a word lands when the majority class is the "
             "intended one. Headline: the words that stay unseen after the text normalisation; "
             "the rewritten ones apart. `python -m experiments.open_vocabulary."
             "unseen_words_export`.",
             "",
             "| data set | seed | option | landed, stay unseen | development | held-out | "
             "rewritten | same words land in Python | max \\|phrase_vectors − Python\\| | "
             "refused (outside the export's vocabulary; not landed) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        f = fractions(row)
        python = python_landed(results, row)
        agree = ("–" if python is None else
                 f"{sum(a == b for a, b in zip(python, row['landed']))}/{len(python)}")
        cell = lambda k: f"{f[k][0]}/{f[k][1]} ({100 * f[k][0] / max(f[k][1], 1):.1f}%)"  # noqa: E731
        lines.append(f"| {row['dataset']} | {row['seed']} | `{row['option']}` | "
                     f"**{cell('unseen')}** | {cell('development')} | {cell('held_out')} | "
                     f"{f['rewritten'][0]}/{f['rewritten'][1]} | {agree} | "
                     f"{row['vector_difference']:.1e} | {', '.join(row['refused']) or '–'} |")
    lines.append("")
    for dataset in sorted({r["dataset"] for r in rows}):
        these = [fractions(r) for r in rows if r["dataset"] == dataset]
        for key in ("unseen", "held_out"):
            values = [100 * f[key][0] / f[key][1] for f in these]
            spread = f" ± {statistics.stdev(values):.1f}" if len(values) > 1 else ""
            lines.append(f"- {dataset}, {key.replace('_', '-')}: {statistics.mean(values):.1f}"
                         f"{spread}% over {len(values)} seed(s) (mean ± sample sd)")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from experiments.open_vocabulary.unseen_words import add_run_arguments

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p)
    args = p.parse_args(argv)
    out = Path(args.out)
    path = out / "unseen_words_export.json"
    rows = json.loads(path.read_text())["rows"] if path.exists() else []
    for seed in args.seeds:
        for dataset in args.datasets:
            key = (dataset, seed, args.steps, args.samples)
            if any((r["dataset"], r["seed"], r["steps"], r["samples"]) == key for r in rows):
                continue
            row = row_for(dataset, seed, args.steps, args.samples, args.runs)
            rows = [*rows, row]
            f = fractions(row)
            print(f"{dataset} seed {seed}: landed {f['unseen'][0]}/{f['unseen'][1]} of the words "
                  f"that stay unseen (held-out {f['held_out'][0]}/{f['held_out'][1]}); "
                  f"phrase_vectors differ from Python by {row['vector_difference']:.1e}",
                  flush=True)
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"rows": rows}, indent=1))
            (out / "unseen_words_export.md").write_text(render(rows, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
