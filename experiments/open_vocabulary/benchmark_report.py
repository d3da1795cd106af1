#!/usr/bin/env python
"""The open-vocabulary benchmark (pse_tf/labels/benchmark_words.json) through every path, per run.

    python -m experiments.open_vocabulary.benchmark_report RUN=EXPORT [RUN=EXPORT ...]
    python -m experiments.open_vocabulary.benchmark_report --benchmark v2 RUN=EXPORT ...

Each RUN is a finished word-vector run directory, EXPORT its export with every annotation word
returned (`scripts/export.py RUN --top-k 100000 --no-tflite`: the words that name a class share
its score, so a shorter top-k would cut some of them arbitrarily). Paths:

- `python`: `pse_tf.inference.load(RUN)`: phrase vectors by `open_vocabulary.DEFAULT`, images
  from q(z|l) by the run's model;
- `export.phrase_vectors`: the export's vectors (compared with Python's, bit for bit), images
  from them by the run's model (the same draws as `python`);
- `export.generate_text`: images drawn inside the export;
- `export.annotate_words`: on test images, the word's mean probability per class of image; the
  word's class is the class whose images give it the most.

A positive word *lands* when the fixed evaluator's majority class over `--samples` images is one
of its intended classes (annotate: when its best class is). A negative word is *answered
correctly* when the path abstains: its label vector is not a class row (the knowledge table did
not map it), and for annotate, when it is in the top 5 of at most 1 % of the test images.
Hit rates carry Wilson 95 % intervals over the denominators written in the benchmark file.

Also reported, on the test images: annotation with the default vocabulary (top-1 word's class by
the knowledge table vs the image's class, beside closed-set annotation; benchmark negatives in
the top 5; the most frequent top-1 words), through Python and through the export.

Writes results/open_vocabulary_benchmark.{json,md}. With `--benchmark v2`
(pse_tf/labels/benchmark_words_v2.json, every word a test word, to be scored once): the
`python`, `export.phrase_vectors` and `export.generate_text` paths only (the annotation
vocabulary holds v1's words, not v2's), into results/open_vocabulary_benchmark_v2.{json,md}.
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import sys
from pathlib import Path

import numpy as np

from pse_tf.atomic import write_json, write_text

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[2]
OUT = {"v1": ROOT / "results" / "open_vocabulary_benchmark",
       "v2": ROOT / "results" / "open_vocabulary_benchmark_v2"}
PATHS = ("python", "export.phrase_vectors", "export.generate_text", "export.annotate_words")
V2_PATHS = PATHS[:3]


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of k successes in n trials (0, 1 for n = 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def majority(classify, images, samples: int) -> np.ndarray:
    predicted = classify(np.asarray(images).reshape(-1, 784)).reshape(-1, samples)
    return np.array([np.bincount(row, minlength=10).argmax() for row in predicted])


def generate_python(predictor, vectors, samples: int, seed: int) -> np.ndarray:
    """One call per word (`samples` copies of its vector), as `generate_text` draws them."""
    return np.stack([predictor.generate_vectors(v[None], samples=samples, seed=seed)[0]
                     for v in np.asarray(vectors)])


def measure(run_dir: str, export_dir: str, samples: int, annotate_images: int,
            version: str = "v1") -> dict:
    import tensorflow as tf

    from pse_tf.data.datasets import load_dataset
    from pse_tf.evaluation.evaluators import classify, load_evaluator
    from pse_tf.inference import load
    from pse_tf.labels.benchmark import benchmark_words

    run, export = load(run_dir), load(export_dir)
    dataset = run.dataset
    names = list(run.class_names)
    evaluator = load_evaluator(dataset)
    classify_fn = lambda x: np.asarray(classify(evaluator, x))  # noqa: E731
    positives = benchmark_words(dataset, version=version)
    negatives = benchmark_words("negative", version=version)
    paths = PATHS if version == "v1" else V2_PATHS
    words = [w["word"] for w in positives + negatives]
    class_rows = run.backend.class_vectors()

    def row_class(vectors):
        eq = (np.asarray(vectors)[:, None, :] == class_rows[None]).all(-1)
        return np.where(eq.any(1), eq.argmax(1), -1)

    vectors = {"python": run.phrase_vectors(words)}
    vectors["export.phrase_vectors"] = export.phrase_vectors(words)
    same_vectors = bool(np.array_equal(vectors["python"], vectors["export.phrase_vectors"]))
    classes = {}
    for path in ("python", "export.phrase_vectors"):
        images = generate_python(run, vectors[path], samples, seed=0)
        classes[path] = majority(classify_fn, images, samples)
    # inside the export: one call per word, the same seed as the Python draws
    gen = []
    for w in words:
        out = export.backend.signatures["generate_text"](
            phrases=tf.constant([w] * samples), seed=tf.constant(0, tf.int64))["images"].numpy()
        gen.append(out)
    classes["export.generate_text"] = majority(classify_fn, np.stack(gen), samples)
    mapped = {p: row_class(vectors[p]) for p in ("python", "export.phrase_vectors")}
    mapped["export.generate_text"] = mapped["export.phrase_vectors"]

    data = load_dataset(dataset)
    top5_share = None
    if "export.annotate_words" in paths:
        classes["export.annotate_words"], top5_share = annotate_path(
            export, export_dir, data, names, words, annotate_images)
    result = {"run": run_dir, "export": export_dir, "dataset": dataset, "samples": samples,
              "benchmark": version, "same_vectors_python_export": same_vectors, "paths": {}}
    npos = len(positives)
    for path in paths:
        result["paths"][path] = score_path(path, classes, mapped, positives, negatives, names,
                                           npos, top5_share if path.endswith("annotate_words")
                                           else None, dataset, version)
    if version == "v1":  # annotation with the default vocabulary on the whole test set
        test_x = data.test_images.astype(np.float32) / 255.0
        result["annotation"] = annotation_figures(run, export, test_x, data.test_labels)
    return result


def annotate_path(export, export_dir, data, names, words, annotate_images):
    """On test images: each word's best class by annotate_words, and its top-5 share."""
    import tensorflow as tf

    per_class = annotate_images // len(names)
    index = np.concatenate([np.flatnonzero(data.test_labels == c)[:per_class]
                            for c in range(len(names))])
    images = data.test_images[index].astype(np.float32) / 255.0
    labels = data.test_labels[index]
    vocab = export.vocabulary()
    out = export.backend.signatures["annotate_words"](images=tf.constant(images))
    top_words = [[w.decode("utf-8") for w in row] for row in out["words"].numpy()]
    if len(top_words[0]) < len(vocab):
        # words that name a class share its score, so a top-k cuts some of them arbitrarily
        raise SystemExit(f"{export_dir}: annotate_words returns {len(top_words[0])} of "
                         f"{len(vocab)} words; export with --top-k {len(vocab)} or more")
    top_scores = out["scores"].numpy()
    where = {w: i for i, w in enumerate(vocab)}
    full = np.zeros((len(images), len(vocab)), np.float32)
    for n in range(len(images)):
        full[n, [where[w] for w in top_words[n]]] = top_scores[n]
    ann_class = []
    for w in words:
        j = where.get(w)
        if j is None:
            ann_class.append(-1)
            continue
        means = [full[labels == c, j].mean() for c in range(len(names))]
        ann_class.append(int(np.argmax(means)))
    top5 = np.argsort(-full, axis=1, kind="stable")[:, :5]
    return np.array(ann_class), {w: float(np.mean((top5 == where[w]).any(1))) if w in where
                                 else 0.0 for w in words}


def score_path(path, classes, mapped, positives, negatives, names, npos, top5_share, dataset,
               version):
    """Per-word rows and the summary per half of one path."""
    from pse_tf.labels.benchmark import denominator

    per_word = []
    for i, w in enumerate(positives):
        got = int(classes[path][i])
        per_word.append({"word": w["word"], "half": w["half"], "intended": w["classes"],
                         "got": names[got] if got >= 0 else None,
                         "named_by_table": (names[mapped[path][i]] if path in mapped
                                            and mapped[path][i] >= 0 else None),
                         "landed": got >= 0 and names[got] in w["classes"]})
    neg_rows = []
    for i, w in enumerate(negatives):
        j = npos + i
        if top5_share is not None:
            ok = top5_share[w["word"]] <= 0.01
            got = f"in the top 5 of {top5_share[w['word']]:.1%} of test images"
        else:
            ok = mapped[path][j] < 0
            got = (f"its own word vector (images classed {names[classes[path][j]]})" if ok
                   else f"the class row of {names[mapped[path][j]]}")
        neg_rows.append({"word": w["word"], "half": w["half"], "abstained": bool(ok),
                         "got": got})
    summary = {}
    for half in ("test", "development"):
        k = sum(r["landed"] for r in per_word if r["half"] == half)
        n = denominator(dataset, half, version)
        lo, hi = wilson(k, n)
        kn = sum(r["abstained"] for r in neg_rows if r["half"] == half)
        nn = denominator("negative", half, version)
        if n == 0:  # v2 has no development half
            continue
        summary[half] = {"landed": k, "words": n, "hit_rate": k / n, "wilson95": [lo, hi],
                         "negatives_abstained": kn, "negatives": nn,
                         "negative_precision": kn / nn,
                         "negative_wilson95": list(wilson(kn, nn))}
        by_class = collections.defaultdict(lambda: [0, 0])
        for r in per_word:
            if r["half"] == half:
                key = r["intended"][0] if len(r["intended"]) == 1 else "several"
                by_class[key][0] += r["landed"]
                by_class[key][1] += 1
        summary[half]["by_class"] = {c: f"{a}/{b}" for c, (a, b) in sorted(by_class.items())}
    print(dataset, path, {h: (s["landed"], s["words"], round(s["negative_precision"], 3))
                          for h, s in summary.items()}, flush=True)
    return {"summary": summary, "per_word": per_word, "negatives": neg_rows}


def annotation_figures(run, export, images, labels, batch: int = 500) -> dict:
    from pse_tf.labels.benchmark import benchmark_words

    negatives = {w["word"] for w in benchmark_words("negative")}
    vocab = run.vocabulary()
    kv = run.backend.encoding.word_vectors()
    from pse_tf.labels.knowledge import knowledge_table

    table = knowledge_table(kv, run.class_names)

    def word_class(w):
        if w in run.class_names:
            return run.class_names.index(w)
        i = kv.key_to_index.get(w)
        return -1 if i is None else int(table[i])

    out = {"vocabulary": len(vocab), "images": int(len(images)),
           "export_vocabulary_equal": export.vocabulary() == vocab}
    closed = []
    for name, predictor in (("python", run), ("export", export)):
        top = []
        for s in range(0, len(images), batch):
            top += predictor.annotate(images[s:s + batch], top_k=5)
            if name == "python":
                closed += [c for c in np.argmax(predictor.word_probabilities(
                    images[s:s + batch], list(run.class_names)), axis=1)]
        top1 = np.array([word_class(r[0][0]) for r in top])
        out[name] = {"top1_class_accuracy": float(np.mean(top1 == labels)),
                     "negative_in_top5": float(np.mean([any(w in negatives for w, _ in r)
                                                        for r in top])),
                     "frequent_top1": collections.Counter(r[0][0] for r in top).most_common(12),
                     "top5_words": [[w for w, _ in r] for r in top[:3]]}
        if name == "python":
            out["closed_set_accuracy"] = float(np.mean(np.array(closed) == labels))
            python_top = [[w for w, _ in r] for r in top]
        else:
            out["top5_equal_python_export"] = float(np.mean(
                [[w for w, _ in r] == p for r, p in zip(top, python_top)]))
    print(run.dataset, "annotation", {k: v for k, v in out.items() if k != "python"
                                      and k != "export"}, out["python"]["top1_class_accuracy"],
          out["python"]["negative_in_top5"], flush=True)
    return out


def markdown(results: list[dict], version: str = "v1") -> str:
    from pse_tf.labels.benchmark import FILES

    v2 = version == "v2"
    lines = ["# Open-vocabulary benchmark" + (" v2 (scored once)" if v2 else ""), "",
             "Written by `experiments/open_vocabulary/benchmark_report.py` (module docstring: the "
             f"paths and the scores). Benchmark: `pse_tf/labels/{FILES[version]}`; denominators "
             "from the file. Hit = the majority class of the images is an intended class; "
             "negatives: the share that abstains. Intervals: Wilson 95 %."
             + (" Every v2 word is a test word; v2 was committed before the last rule change "
                "and is scored once, after it." if v2 else ""), "",
             "## Test half", "",
             "| data set | run | path | landed | hit rate [95 % CI] | negatives abstained | "
             "precision [95 % CI] |", "|---|---|---|---|---|---|---|"]
    for r in results:
        for path, p in r["paths"].items():
            s = p["summary"]["test"]
            lines.append(f"| {r['dataset']} | {Path(r['run']).name} | {path} | "
                         f"{s['landed']}/{s['words']} | {s['hit_rate']:.1%} "
                         f"[{s['wilson95'][0]:.1%}, {s['wilson95'][1]:.1%}] | "
                         f"{s['negatives_abstained']}/{s['negatives']} | "
                         f"{s['negative_precision']:.1%} [{s['negative_wilson95'][0]:.1%}, "
                         f"{s['negative_wilson95'][1]:.1%}] |")
    lines += [] if v2 else ["", "## Development half", "", "| data set | run | path | landed | "
                            "hit rate | negative precision |", "|---|---|---|---|---|---|"]
    for r in [] if v2 else results:
        for path, p in r["paths"].items():
            s = p["summary"]["development"]
            lines.append(f"| {r['dataset']} | {Path(r['run']).name} | {path} | "
                         f"{s['landed']}/{s['words']} | {s['hit_rate']:.1%} | "
                         f"{s['negative_precision']:.1%} |")
    lines += ["", "## Test half by intended class (python path)", ""]
    for r in results:
        lines.append(f"- {r['dataset']} {Path(r['run']).name}: " + ", ".join(
            f"{c} {v}" for c, v in r["paths"]["python"]["summary"]["test"]["by_class"].items()))
    lines += [] if v2 else ["", "## Annotation with the default vocabulary (whole test set)", "",
                            "| data set | run | vocabulary | path | top-1 word's class | "
                            "closed set | negative in top 5 | most frequent top-1 words |",
                            "|---|---|---|---|---|---|---|---|"]
    for r in [] if v2 else results:
        a = r["annotation"]
        for name in ("python", "export"):
            lines.append(f"| {r['dataset']} | {Path(r['run']).name} | {a['vocabulary']:,} | "
                         f"{name} | "
                         f"{a[name]['top1_class_accuracy']:.1%} | {a['closed_set_accuracy']:.1%} | "
                         f"{a[name]['negative_in_top5']:.2%} | "
                         + ", ".join(f"{w} {n}" for w, n in a[name]["frequent_top1"][:8]) + " |")
    lines += ["", "## Words that miss on the test half (python path)", ""]
    for r in results:
        miss = [f"{w['word']} ({'/'.join(w['intended'])} -> {w['got']})"
                for w in r["paths"]["python"]["per_word"] if w["half"] == "test" and not
                w["landed"]]
        lines.append(f"- {r['dataset']} {Path(r['run']).name}: " + ", ".join(miss))
    lines += ["", "## Negatives given a class (python path, both halves)", ""]
    for r in results:
        wrong = [f"{n['word']} ({n['got']})" for n in r["paths"]["python"]["negatives"]
                 if not n["abstained"]]
        lines.append(f"- {r['dataset']} {Path(r['run']).name}: " + (", ".join(wrong) or "none"))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("pairs", nargs="+", help="RUN=EXPORT")
    p.add_argument("--benchmark", choices=tuple(OUT), default="v1",
                   help="v1 (benchmark_words.json) or v2 (benchmark_words_v2.json, scored once)")
    p.add_argument("--samples", type=int, default=100, help="images per word (default 100)")
    p.add_argument("--annotate-images", type=int, default=300,
                   help="test images for the annotate_words path (default 300, 30 a class)")
    args = p.parse_args(argv)
    results = []
    for pair in args.pairs:
        run_dir, _, export_dir = pair.partition("=")
        results.append(measure(run_dir, export_dir, args.samples, args.annotate_images,
                               args.benchmark))
        out = OUT[args.benchmark]
        write_json(out.with_suffix(".json"), results, indent=1, default=int)
        write_text(out.with_suffix(".md"), markdown(results, args.benchmark))
    return 0


if __name__ == "__main__":
    sys.exit(main())
