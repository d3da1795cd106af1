#!/usr/bin/env python
"""Is q(z|x)'s spread a useful uncertainty? Accuracy per decile of sigma(x), the calibration
(ECE) of the annotation probabilities, and sigma(x) on occluded and noised test images.

    python -m experiments.uncertainty.uncertainty RUN_OR_EXPORT [RUN_OR_EXPORT ...] \
        --results results/uncertainty

Writes RESULTS.md, RESULTS.json and results/figures/uncertainty.png (`--figure`); the method is
in `experiments/uncertainty/calibration.py`.
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
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="+", help="run directories or exports")
    p.add_argument("--seed", type=int, default=0, help="occlusion and noise seed (default 0)")
    p.add_argument("--results", default="results/uncertainty")
    p.add_argument("--figure", default="results/figures/uncertainty.png")
    return p.parse_args(argv)


def markdown(reports: dict) -> str:
    lines = ["## Accuracy per decile of sigma(x) (1 = smallest sigma)", "",
             "| data set | " + " | ".join(str(d) for d in range(1, 11)) + " | all | ECE |",
             "|---|" + "---|" * 12]
    for name, r in reports.items():
        lines.append(f"| {name} | " + " | ".join(f"{100 * d['accuracy']:.1f}"
                                                 for d in r["by_decile"])
                     + f" | {100 * r['accuracy']:.1f} | {r['ece']:.4f} |")
    lines += ["", "## sigma(x) and accuracy under corruption", "",
              "| data set | input | mean sigma | accuracy (%) | ECE | share with sigma above clean |",
              "|---|---|---|---|---|---|"]
    for name, r in reports.items():
        for kind, c in r["corruptions"].items():
            above = c.get("fraction_sigma_above_clean")
            lines.append(f"| {name} | {kind} | {c['mean_sigma']:.4f} | {100 * c['accuracy']:.1f} | "
                         f"{c['ece']:.4f} | {'' if above is None else f'{100 * above:.1f}%'} |")
    return "\n".join(lines)


def runs_text(rows: list[dict]) -> str:
    """One line per model: where it is, its training budget and the wall time."""
    lines = ["Models (wall time = loading + encoding the test split + the report, on this "
             "machine):"]
    for r in rows:
        budget = f", {r['steps']:,} steps, seed {r['seed']}" if "steps" in r else ""
        lines.append(f"- {r['dataset']}: `{r['model']}`{budget}, {r['wall_seconds']:.1f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    from pse_tf import plotting
    from pse_tf.data import load_dataset
    from experiments.uncertainty.calibration import uncertainty_report
    from pse_tf.inference import load

    reports, summary = {}, []
    try:
        for model in args.models:
            t0 = time.time()
            pse = load(model)
            if pse.dataset is None:
                raise ValueError(f"{model}: its classes are not those of a known data set")
            data = load_dataset(pse.dataset)
            reports[pse.dataset] = uncertainty_report(pse, data.test_images, data.test_labels,
                                                      seed=args.seed)
            summary.append({"dataset": pse.dataset, "model": str(pse.backend.path), **pse.training(),
                            "wall_seconds": time.time() - t0})
            print(f"{pse.dataset}: {pse.describe()} in {time.time() - t0:.1f} s")
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
    figure = plotting.save_uncertainty_figure(reports, args.figure)
    stored = {name: {k: v for k, v in r.items() if k != "sigma"} for name, r in reports.items()}
    out.with_suffix(".json").write_text(json.dumps({"runs": summary, "reports": stored},
                                                   indent=2) + "\n")
    table = markdown(reports)
    out.with_suffix(".md").write_text(
        "# Uncertainty of q(z|x)\n\nWritten by `python -m experiments.uncertainty.uncertainty`; "
        "method in `experiments/uncertainty/calibration.py` (sigma(x) = mean stddev of q(z|x); ECE over 15 bins "
        "of the softmax over classes of log q(mean | l); occlusion: one random 14x14 square "
        f"zeroed; noise: N(0, 0.3^2) clipped to [0, 1]; seed {args.seed}). Figure: `{figure}`.\n\n"
        + table + "\n\n" + runs_text(summary) + "\n")
    print(table)
    print(f"wrote {out.with_suffix('.md')}, {out.with_suffix('.json')} and {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
