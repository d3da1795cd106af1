#!/usr/bin/env python
"""Zero-shot on held-out classes (word-vector labels): train PSE* without some classes, then
annotate and generate the held-out ones from their names alone.

    python -m experiments.open_vocabulary.zero_shot          # 5 splits x 3 seeds x 2 data sets
    python -m experiments.open_vocabulary.zero_shot --seeds 0 --steps 20000

Each run trains through `pse_tf.runs.train` with `TrainConfig.held_out_classes`, so its directory
(<--runs>/<dataset>-split<k>-seed<s>-steps<n>) reloads with `pse_tf.runs.load_run`. Resumable: a
finished (data set, split, seed) row in results/zero_shot.json is skipped, and an interrupted
training resumes from its checkpoint. Writes results/zero_shot.{json,md} after every row and the
figure results/figures/zero_shot.png. The scores: `experiments/open_vocabulary/zero_shot_scores.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# How an unseen name becomes a label vector: its phrase vector (the paper); that vector projected
# onto the affine span of the seen names' vectors; or the library's default open-vocabulary rule
# (`pse_tf.labels.open_vocabulary.DEFAULT`: the knowledge table over the *seen* names).
MAPPINGS = ("raw", "project", "default")


def _log_likelihoods(model, images, vectors, batch_size=2000):
    import numpy as np
    import tensorflow as tf

    from pse_tf.data import flat_float

    vectors = tf.constant(vectors, tf.float32)
    return np.concatenate([
        model.annotation_log_likelihood(flat_float(images[i:i + batch_size]), vectors).numpy()
        for i in range(0, len(images), batch_size)])


def _accuracy(log_likelihoods, labels, classes) -> float:
    """Per-image accuracy of the argmax; column j of `log_likelihoods` scores class classes[j]."""
    import numpy as np

    return float(np.mean(np.asarray(classes)[np.argmax(log_likelihoods, 1)] == labels))


def unseen_vectors(mapping, full, encoding, held_out, seen):
    """[C, L] label vectors of every class: seen rows as trained, held-out rows by `mapping`."""
    import numpy as np

    from experiments.open_vocabulary.geometry import project_onto_span
    from pse_tf.labels.open_vocabulary import encode_default

    vectors = np.array(full.vectors)
    names = [full.class_names[c] for c in held_out]
    if mapping == "project":
        vectors[list(held_out)] = project_onto_span(vectors[list(held_out)], vectors[list(seen)])
    elif mapping == "default":
        vectors[list(held_out)] = encode_default(encoding, names)
    return vectors


def run_split(args, dataset_name, split_index, held_out, seed, evaluator, full_model):
    """Train PSE* without the `held_out` classes (`runs.train`, so the run reloads with
    `load_run`), then score the held-out names on the full test set; `full_model` (all classes,
    same budget and seed) gives the seen classes' reference accuracy."""
    import numpy as np

    from experiments.open_vocabulary import zero_shot_scores as zs
    from experiments.open_vocabulary.vocabulary import word_predictions
    from pse_tf.config import ModelConfig, TrainConfig
    from pse_tf.data import load_dataset
    from pse_tf.data.held_out import kept_classes
    from pse_tf.evaluation.evaluators import classify
    from pse_tf.labels import LabelEncoding
    from pse_tf.runs import load_run, train

    dataset = load_dataset(dataset_name)
    full = LabelEncoding.build(dataset.class_names, "word2vec")
    seen = kept_classes(len(dataset.class_names), held_out)
    # The run's label table holds only the seen names: no held-out name reaches the model.
    config = TrainConfig(dataset=dataset_name, label_encoding="word2vec", steps=args.steps,
                         seed=seed, checkpoint_every=min(args.steps, 5000),
                         held_out_classes=held_out, model=ModelConfig(name="pse_star"),
                         out=args.runs)
    run_dir = Path(args.runs) / f"{dataset_name}-split{split_index}-seed{seed}-steps{args.steps}"
    t0 = time.time()
    run = train(config, run_dir=run_dir, verbose=0, run_evaluation=False, export=False)
    model, config, encoding = load_run(run.run_dir)

    labels, val_labels = dataset.test_labels, dataset.val_labels
    on_seen = np.isin(labels, seen)
    seen_images, seen_labels = dataset.test_images[on_seen], labels[on_seen]
    # The split model knows only the seen names: its columns are the seen classes in order.
    split_ll = _log_likelihoods(model, seen_images, encoding.vectors)
    full_ll = _log_likelihoods(full_model, seen_images, full.vectors)
    row = {"dataset": dataset_name, "split": split_index, "held_out": list(held_out),
           "held_out_names": [dataset.class_names[c] for c in held_out], "seed": seed,
           "steps": args.steps, "run": str(run.run_dir),
           "train_seconds": run.history.get("train_seconds"),
           "seen": {"split_model": _accuracy(split_ll, seen_labels, seen),
                    "full_model": _accuracy(full_ll, seen_labels, range(len(full.vectors))),
                    "full_model_seen_names": _accuracy(full_ll[:, list(seen)], seen_labels,
                                                       seen)}}
    for mapping in MAPPINGS:
        vectors = unseen_vectors(mapping, full, encoding, held_out, seen)
        ll = _log_likelihoods(model, dataset.test_images, vectors)
        gamma = zs.best_gamma(_log_likelihoods(model, dataset.val_images, vectors), val_labels,
                              seen, held_out)
        predictions = word_predictions(model, vectors[list(held_out)],
                                       lambda x: classify(evaluator, x),
                                       samples=args.samples, seed=seed)
        generation = [float(np.mean(p == c)) for p, c in zip(predictions, held_out)]
        row[mapping] = {"zsl_top1": zs.zsl_top1(ll[:, list(held_out)], labels, held_out),
                        **zs.gzsl(ll, labels, seen, held_out),
                        "stacking": zs.calibrated_gzsl(ll, labels, seen, held_out, gamma),
                        "ausuc": zs.ausuc(ll, labels, seen, held_out),
                        "generation_unseen": float(np.mean(generation)),
                        "generation_per_class": generation}
    row["seconds"] = time.time() - t0
    return row


def devise_row(dataset_name, held_out, ridge):
    import numpy as np

    from experiments.open_vocabulary import zero_shot_scores as zs
    from pse_tf.data import load_dataset
    from pse_tf.data.held_out import kept_classes, without_classes
    from pse_tf.labels import LabelEncoding

    dataset = load_dataset(dataset_name)
    full = LabelEncoding.build(dataset.class_names, "word2vec")
    seen = kept_classes(len(dataset.class_names), held_out)
    train = without_classes(dataset, held_out)
    targets = full.vectors[list(seen)][train.train_labels]
    weights = zs.fit_linear_map(train.train_images, targets, ridge=ridge)
    scores = zs.linear_map_scores(weights, dataset.test_images, full.vectors)
    return {"zsl_top1": zs.zsl_top1(scores[:, list(held_out)], dataset.test_labels, held_out),
            **zs.gzsl(scores, dataset.test_labels, seen, held_out), "ridge": ridge}


def _fmt(values):
    """Mean ± sample sd (ddof = 1) of fractions, in %."""
    import numpy as np

    values = 100 * np.asarray(values, float)
    return (f"{values.mean():.1f} ± {values.std(ddof=1):.1f}" if len(values) > 1
            else f"{values[0]:.1f}")


def summarise(rows, devise):
    import numpy as np

    lines = ["# Zero-shot on held-out classes (PSE*, GloVe 6B 50-d labels)", "",
             "Each split holds 2 classes out of training (their images and their names); the 5 "
             "splits of a data set cover every class once. Test set; accuracies in %, mean ± "
             "sample sd (ddof = 1) over splits x seeds (per-split rows below). ZSL top-1: unseen "
             "images annotated among the 2 unseen names, per-class mean. GZSL: annotated among "
             "all 10 names; S seen and U unseen per-class accuracy, H = 2SU/(S+U). Calibrated "
             "stacking (Chao et al., 2016): every seen score lowered by gamma; `H stacked` at "
             "the gamma of the best H on the validation images of all 10 classes (the held-out "
             "classes' labels are used for this choice only), AUSUC the area under the "
             "seen-unseen curve over all gammas (no choice). Generation: images from "
             "q(z | unseen name) classified by the fixed evaluator. Unseen name -> label "
             "vector: `raw` its phrase vector (the paper); `project` projected onto the affine "
             "span of the seen names' vectors; `default` the library's default open-vocabulary "
             "rule among the seen names (the knowledge table over the seen names: a held-out "
             "name that it maps to a seen class, as a synonym or hyponym, gets that class's "
             "vector; every other keeps its phrase vector). DeViSE-style: ridge map "
             "pixels -> word space fitted on seen classes, cosine-nearest name (no seeds). "
             "Chance: ZSL 50, GZSL S = U = H = 10, generation 10.", "",
             "| data set | method | runs | steps | ZSL top-1 | S | U | H | H stacked | AUSUC | "
             "generation (unseen) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    datasets = sorted({r["dataset"] for r in rows})
    for ds in datasets:
        mine = [r for r in rows if r["dataset"] == ds]
        steps = sorted({r["steps"] for r in mine})
        for mapping in MAPPINGS:
            cells = [_fmt([r[mapping][k] for r in mine]) for k in ("zsl_top1", "S", "U", "H")]
            cells += [_fmt([r[mapping]["stacking"]["H"] for r in mine]),
                      _fmt([r[mapping]["ausuc"] for r in mine]),
                      _fmt([r[mapping]["generation_unseen"] for r in mine])]
            lines.append(f"| {ds} | PSE* {mapping} | {len(mine)} | {steps} | "
                         + " | ".join(cells) + " |")
        dv = [devise[k] for k in devise if k.startswith(ds + "/")]
        if dv:
            cells = [_fmt([d[k] for d in dv]) for k in ("zsl_top1", "S", "U", "H")]
            lines.append(f"| {ds} | DeViSE-style ridge | {len(dv)} splits | — | "
                         + " | ".join(cells) + " | — | — | — |")
        lines.append(f"| {ds} | chance | — | — | 50.0 | 10.0 | 10.0 | 10.0 | 10.0 | — | 10.0 |")

    lines += ["", "## Seen classes: trained as well as a full model?", "",
              "Test images of the 8 seen classes of each split. `split model`: the model "
              "trained without the held-out classes, among its 8 names. `full model`: PSE* "
              "trained on all 10 classes at the same budget and seed, among its 10 names (the "
              "literal reading) and, beside it, among the same 8 names. Gaps: split model minus "
              "full model, in points; mean ± sample sd over splits x seeds, and the range over "
              "runs.", "",
              "| data set | runs | split model | full model | gap | range | "
              "full model, 8 names | gap, 8 names | range, 8 names |",
              "|---|---|---|---|---|---|---|---|---|"]

    def gap_cells(split, full):
        gap = 100 * (split - full)
        spread = f" ± {gap.std(ddof=1):.1f}" if len(gap) > 1 else ""
        return f"{gap.mean():+.1f}{spread} | {gap.min():+.1f} to {gap.max():+.1f}"

    for ds in datasets:
        mine = [r for r in rows if r["dataset"] == ds]
        split = np.array([r["seen"]["split_model"] for r in mine])
        full = np.array([r["seen"]["full_model"] for r in mine])
        restricted = np.array([r["seen"]["full_model_seen_names"] for r in mine])
        lines.append(f"| {ds} | {len(mine)} | {_fmt(split)} | {_fmt(full)} | "
                     f"{gap_cells(split, full)} | {_fmt(restricted)} | "
                     f"{gap_cells(split, restricted)} |")

    lines += ["", "## Per split", "",
              "| data set | split | held out | seed | seen: split / full | ZSL raw | H raw | "
              "H stacked raw | gen. raw | ZSL default | H default | train s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["dataset"], r["split"], r["seed"])):
        a, x = r["raw"], r["default"]
        lines.append(f"| {r['dataset']} | {r['split']} | {', '.join(r['held_out_names'])} | "
                     f"{r['seed']} | {100 * r['seen']['split_model']:.1f} / "
                     f"{100 * r['seen']['full_model']:.1f} | {100 * a['zsl_top1']:.1f} | "
                     f"{100 * a['H']:.1f} | {100 * a['stacking']['H']:.1f} | "
                     f"{100 * a['generation_unseen']:.1f} | {100 * x['zsl_top1']:.1f} | "
                     f"{100 * x['H']:.1f} | {r['train_seconds']:.0f} |")
    total = sum(r["seconds"] for r in rows)
    lines += ["", f"Wall time of all rows (full models not included): {total / 60:.1f} min on "
              "2 CPU cores shared with other jobs.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from pse_tf.data import CLASS_NAMES
    from experiments.open_vocabulary import zero_shot_scores as zs
    from experiments.results_file import ResultsFile
    from experiments.open_vocabulary.unseen_words import model_run
    from pse_tf.evaluation.evaluators import load_evaluator

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=["fashion_mnist", "mnist"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--splits", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=20000, help="training steps per run (default "
                   "20,000: the committed table was made at 2,000, where seen classes are "
                   "under-trained)")
    p.add_argument("--samples", type=int, default=1000, help="generated images per unseen class")
    p.add_argument("--ridge", type=float, default=10.0)
    p.add_argument("--out", default="results")
    p.add_argument("--runs", default="results/runs/zero_shot")
    p.add_argument("--full-runs", default="results/runs/vocab", help="where the full models "
                   "(all classes, same budget and seeds) are found or trained; shared with "
                   "experiments/open_vocabulary/unseen_words.py")
    p.add_argument("--commit", action="store_true", help="git-commit the results after each row")
    args = p.parse_args(argv)
    results = ResultsFile(args.out, "zero_shot", {"rows": [], "devise": {}},
                          lambda state: summarise(state["rows"], state["devise"]), args.commit)
    state, save = results.state, results.save
    other = [r for r in state["rows"] if r["steps"] != args.steps]
    if other:  # one budget per table: git history keeps the rows of another
        print(f"dropping {len(other)} row(s) at another budget than {args.steps} steps")
        state["rows"] = [r for r in state["rows"] if r["steps"] == args.steps]

    for ds in args.datasets:
        splits = zs.held_out_splits(len(CLASS_NAMES[ds]))
        for k in args.splits:
            key = f"{ds}/{k}"
            if key not in state["devise"]:
                state["devise"][key] = devise_row(ds, splits[k], args.ridge)
                save(f"zero_shot: DeViSE-style baseline {key}")
    for seed in args.seeds:
        for ds in args.datasets:
            evaluator = load_evaluator(ds)
            splits = zs.held_out_splits(len(CLASS_NAMES[ds]))
            full_model = None
            for k in args.splits:
                done = any(r["dataset"] == ds and r["split"] == k and r["seed"] == seed
                           for r in state["rows"])
                if done:
                    continue
                if full_model is None:
                    full_model = model_run(ds, args.steps, seed, args.full_runs, evaluate=False)[0]
                print(f"== {ds} split {k} {splits[k]} seed {seed}", flush=True)
                row = run_split(args, ds, k, splits[k], seed, evaluator, full_model)
                print(json.dumps({m: row[m] for m in MAPPINGS}), flush=True)
                state["rows"].append(row)
                save(f"zero_shot: {ds} split {k} seed {seed} ({args.steps} steps)")
    if state["rows"]:
        from pse_tf import plotting

        figure = Path(args.out) / "figures" / "zero_shot.png"
        figure.parent.mkdir(parents=True, exist_ok=True)
        plotting.save_zero_shot_figure(state["rows"], state["devise"], figure, MAPPINGS)
        save("zero_shot: figure", [figure])
    return 0


if __name__ == "__main__":
    sys.exit(main())
