#!/usr/bin/env python
"""Summarise finished run directories (metrics.json) into a markdown table, grouped over seeds.

    python -m experiments.summarize_runs runs
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    from pse_tf.evaluation.summary import summarise

    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "runs")
    groups = collections.defaultdict(list)
    for path in sorted(root.glob("*/metrics.json")):
        m = json.loads(path.read_text())
        if "annotation_accuracy" not in m:
            continue
        key = (m["dataset"], m["model"], m["label_encoding"], m["latent_dim"], m["steps"])
        groups[key].append(m)
    print("| dataset | model | labels | z | steps | seeds | reconstruction | annotation % | "
          "generation % | train s/run |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (dataset, model, labels, z, steps), runs in sorted(groups.items()):
        s = summarise(runs)
        cell = lambda k: f"{s[k]['mean']:.2f} ± {s[k]['std']:.2f}" if k in s else "—"  # noqa: E731
        seconds = sum(r.get("train_seconds") or r["train_seconds_this_session"]
                      for r in runs) / len(runs)
        print(f"| {dataset} | {model} | {labels} | {z} | {steps} | "
              f"{','.join(str(r['seed']) for r in runs)} | {cell('reconstruction_error')} | "
              f"{cell('annotation_accuracy')} | {cell('generation_accuracy')} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
