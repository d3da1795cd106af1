#!/usr/bin/env python
"""Do words that are not training labels generate the intended class? Scores every open-vocabulary
option of `pse_tf.labels.open_vocabulary` on the committed word list.

    python -m experiments.open_vocabulary.unseen_words        # 20k-step PSE*, seeds 0 and 1
    python -m experiments.open_vocabulary.unseen_words --seeds 0 --steps 5000  # screening budget
    python -m experiments.open_vocabulary.unseen_words --options raw default \
        --training label_weight_decay=0.01 label_neighbours=10    # model/training-side options

`--training` names how the model is trained: `paper` (the default), `label_weight_decay=X` (the
PSE model option: L2 on the label encoder) or `label_neighbours=K` (each class also trains on its
rule-chosen neighbour words, `pse_tf.labels.neighbours`; this adds phrases to training, and the
headline leaves out the list words among those phrases).

Every headline counts only the words that stay unseen: a word the option's text normalisation
rewrites into a class name is counted apart (`vocabulary.rewritten_into_label`), and each
word's half (development, held_out) is reported apart too (`unseen_words_report.py`).

For each data set and seed the PSE* word-vector model is reloaded from its run directory
(trained first if missing, as `scripts/train.py --label-encoding word2vec` would). Each word gets
1,000 images from q(z|word), classified by the fixed evaluator (`vocabulary.py` here).
Resumable: rows already in results/unseen_words.json are skipped. Writes
results/unseen_words.{json,md} (`unseen_words_report.py`) after every row and
results/figures/unseen_words_<dataset>.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def options():
    """The options measured, in table order; the last one named `default` is the chosen default."""
    from experiments.open_vocabulary.mappings import Mapping
    from pse_tf.labels.open_vocabulary import DEFAULT

    text = dict(plurals="labels", numerals=True)
    grid = [
        Mapping(),
        Mapping(plurals="labels"),
        Mapping(**text),
        Mapping(mapping="project"),
        Mapping(mapping="project", **text),
        Mapping(mapping="soft_assign", similarity="cosine", **text),
        Mapping(mapping="soft_assign", similarity="centred", **text),
        Mapping(mapping="soft_assign", similarity="csls", **text),
        Mapping(mapping="soft_assign", similarity="csls", temperature=0.05, **text),
        Mapping(mapping="wordnet_wup", **text),
    ]
    return grid if DEFAULT in grid else [*grid, DEFAULT]


TRAINING = ("paper", "label_weight_decay", "label_neighbours", "label_name_share", "lexicon")


def parse_training(text: str) -> dict:
    """`paper` -> {}; `label_weight_decay=0.01` -> a model option; `label_neighbours=10` and
    `label_name_share=0.5`, `lexicon=wordnet` -> TrainConfig fields; several joined by commas."""
    if text == "paper":
        return {}
    out = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key not in TRAINING[1:] or not value:
            raise argparse.ArgumentTypeError(
                f"--training takes paper or comma-joined label_weight_decay=X, "
                f"label_neighbours=K, label_name_share=P, lexicon=NAME; got {text!r}")
        out[key] = (int(value) if key == "label_neighbours" else value if key == "lexicon"
                    else float(value))
    return out


def model_run(dataset, steps, seed, runs, training=None, evaluate=True):
    """The main job's model (PSE* with word vectors) at this budget and seed, trained once under
    `runs`: (model, encoding, test metrics; None without `evaluate`)."""
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.run_folder import finished_run
    from pse_tf.runs import load_run, train

    training = training or {}
    options = {k: v for k, v in training.items() if k == "label_weight_decay"}
    config = TrainConfig(dataset=dataset, label_encoding="word2vec", steps=steps, seed=seed,
                         generation_repeats=3, out=runs,
                         label_neighbours=training.get("label_neighbours", 0),
                         label_name_share=training.get("label_name_share"),
                         lexicon=training.get("lexicon", "none"),
                         model=ModelConfig(name="pse_star", options=options))
    run_dir = finished_run(config)
    if run_dir is None or (evaluate and not (run_dir / "metrics.json").exists()):
        print(f"== training {dataset} seed {seed} ({steps} steps)", flush=True)
        run_dir = train(config, verbose=2, export=False, run_evaluation=evaluate).run_dir
    model, _, encoding = load_run(run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text()) if evaluate else None
    return model, encoding, metrics


def draw(model, encoding, words, figure, seed, per_word=8):
    """Images from q(z|word) under the default option, one row per word, marked landed or not."""
    import numpy as np
    import tensorflow as tf

    from pse_tf import plotting
    from pse_tf.evaluation.evaluators import classify, load_evaluator
    from pse_tf.labels.open_vocabulary import DEFAULT

    evaluator = load_evaluator(model_dataset(encoding))
    vectors = DEFAULT.encode(encoding, [w["word"] for w in words])
    rows, names = [], []
    for i, (w, v) in enumerate(zip(words, vectors)):
        images = np.asarray(model.generate(tf.constant(np.repeat(v[None], per_word, 0)),
                                           tf.constant([seed, i], tf.int32)))
        predicted = classify(evaluator, images)
        hits = int(np.sum(predicted == encoding.class_names.index(w["class"])))
        rows.append(images)
        names.append(f"{w['word']} → {w['class']} ({hits}/{per_word})")
    figure.parent.mkdir(parents=True, exist_ok=True)
    plotting.save_image_rows(rows, names, figure, title=f"{DEFAULT.name}\n(k/8): in the intended class")


def model_dataset(encoding):
    from pse_tf.data import CLASS_NAMES

    return next(ds for ds, names in CLASS_NAMES.items() if tuple(names) == encoding.class_names)


def add_run_arguments(p: argparse.ArgumentParser):
    """The runs scored (data sets, seeds, budget), images per word and where files go."""
    p.add_argument("--datasets", nargs="+", default=["fashion_mnist", "mnist"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--out", default="results")
    p.add_argument("--runs", default="results/runs/vocab")


def main(argv=None) -> int:
    import numpy as np

    from experiments.open_vocabulary.unseen_words_report import (complete_row, in_training,
                                                                 summarise, training_name)
    from experiments.open_vocabulary.vocabulary import score_words
    from experiments.results_file import ResultsFile
    from pse_tf.evaluation.evaluators import classify, load_evaluator
    from experiments.open_vocabulary.mappings import nearest_class, unseen_words
    from pse_tf.labels.open_vocabulary import DEFAULT

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(p)
    p.add_argument("--options", nargs="+", help="option names to score (default: all; e.g. "
                   "`raw default`)")
    p.add_argument("--training", nargs="+", default=["paper"],
                   help="how each model is trained: paper | label_weight_decay=X | "
                   "label_neighbours=K | lexicon=wordnet (default: paper)")
    p.add_argument("--commit", action="store_true", help="git-commit the results after each row")
    args = p.parse_args(argv)
    try:
        trainings = [(t, parse_training(t)) for t in args.training]
    except argparse.ArgumentTypeError as err:
        p.error(str(err))
    out = Path(args.out)
    results = ResultsFile(out, "unseen_words", {"rows": [], "words": {}}, summarise, args.commit)
    state, save = results.state, results.save
    state["rows"] = [complete_row(r, state["words"][r["dataset"]]) for r in state["rows"]]

    for seed, ds, (trained, training) in ((s, d, t) for s in args.seeds for t in trainings
                                          for d in args.datasets):
        words = unseen_words(ds)
        state["words"][ds] = words
        wanted = [o for o in options() if not args.options or o.name in args.options
                  or (o == DEFAULT and "default" in args.options)]
        todo = [o for o in wanted if not any(
            r["dataset"] == ds and r["seed"] == seed and r["steps"] == args.steps
            and r["option"] == o.name and r["samples"] == args.samples
            and training_name(r) == trained for r in state["rows"])]
        figure = out / "figures" / f"unseen_words_{ds}.png"
        draw_figure = seed == args.seeds[0] and not figure.exists() and trained == "paper"
        if not todo and not draw_figure:
            continue
        model, encoding, metrics = model_run(ds, args.steps, seed, args.runs, training)
        extra = {}
        if training.get("label_neighbours"):
            from pse_tf.labels.neighbours import training_phrases

            extra = dict(zip(encoding.class_names,
                             training_phrases(encoding, training["label_neighbours"])))
        evaluator = load_evaluator(ds)
        phrases = [w["word"] for w in words]
        intended = np.array([encoding.class_names.index(w["class"]) for w in words])
        for option in todo:
            t0 = time.time()
            scores = score_words(model, encoding, option, words,
                                 lambda x: classify(evaluator, x), args.samples, seed)
            similarity = option.similarity if option.mapping == "soft_assign" else "cosine"
            nearest = nearest_class(encoding, phrases, similarity, option.plurals,
                                    option.numerals)
            seen = in_training(words, scores["normalised"], extra)
            row = {"dataset": ds, "seed": seed, "steps": args.steps, "option": option.name,
                   "training": trained, "samples": args.samples,
                   "training_phrases": extra,
                   "word_in_training": seen,
                   "in_training": [w["word"] for w, x in zip(words, seen) if x],
                   "fraction_landed": scores["fraction_landed"],
                   "mean_accuracy": scores["mean_accuracy"],
                   "word_vectors_alone": float(np.mean(nearest == intended)),
                   "landed": scores["landed"].tolist(),
                   "accuracy": scores["accuracy"].tolist(),
                   "majority": [encoding.class_names[c] for c in scores["majority"]],
                   "nearest": [encoding.class_names[c] for c in nearest],
                   "normalised": scores["normalised"],
                   "metrics": {k: metrics.get(k) for k in (
                       "reconstruction_error", "annotation_accuracy", "generation_accuracy",
                       "generation_accuracy_std", "train_seconds")},
                   "seconds": time.time() - t0}
            row = complete_row(row, words)
            state["rows"].append(row)
            counts = row["headline"]["landed_counts"]
            print(f"{ds} seed {seed} {trained} {option.name}: landed "
                  f"{counts['all']['landed']}/{counts['all']['words']} of the words that stay "
                  f"unseen, rewritten into a label {counts['rewritten']['landed']}/"
                  f"{counts['rewritten']['words']}", flush=True)
            save(f"unseen_words: {ds} seed {seed} {trained} {option.name}")
        if draw_figure:
            draw(model, encoding, words, figure, seed)
            save(f"unseen_words: figure {figure.name}", [str(figure)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
