#!/usr/bin/env python
"""The reproduction study's learning curve: one long run, the test metrics at each budget.

    python experiments/curves/learning_curve.py --dataset mnist                  # train, then evaluate
    python experiments/curves/learning_curve.py --dataset mnist --phase evaluate # evaluate saved budgets

One run (PSE* 10-d by default) trains to each budget in turn, continuing from the previous one
(the learning rate is constant, so training to 200k steps in stages is one 200k-step run). The
weights at each budget are kept in <run>/curve/step-<N>.weights.h5, and every budget's test
metrics, under every reading of `experiments.study.readings`, are appended to
results/learning_curve.json as soon as they exist. Killed, it resumes: finished budgets are
skipped, training resumes from the newest checkpoint. Validation terms every
`--checkpoint-every` steps are in the run's history.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BUDGETS = (2000, 5000, 10000, 20000, 40000, 80000, 120000, 160000, 200000)


def main(argv=None) -> int:
    from pse_tf.config import ModelConfig, TrainConfig
    from experiments.study import readings
    from pse_tf.evaluation.evaluators import load_evaluator
    from experiments.results_file import ResultsFile
    from pse_tf.runs import load_data, prepare_run_dir
    from pse_tf.training import build_model, fit

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument("--model", default="pse_star")
    p.add_argument("--label-encoding", default="onehot")
    p.add_argument("--latent-dim", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budgets", type=int, nargs="+", default=list(BUDGETS))
    p.add_argument("--checkpoint-every", type=int, default=2000)
    p.add_argument("--generation-samples-per-label", type=int, default=10000,
                   help="images per label for each generation reading (one repeat)")
    p.add_argument("--phase", choices=["all", "train", "evaluate"], default="all")
    p.add_argument("--out", default="runs/curve")
    p.add_argument("--results", default="results", help="folder of learning_curve.json/.md")
    p.add_argument("--commit", action="store_true", help="git commit the results after each row")
    args = p.parse_args(argv)

    config = TrainConfig(dataset=args.dataset, label_encoding=args.label_encoding,
                         steps=max(args.budgets), seed=args.seed, out=args.out,
                         checkpoint_every=args.checkpoint_every,
                         model=ModelConfig(name=args.model, latent_dim=args.latent_dim))
    dataset, encoding = load_data(config)
    run_dir = prepare_run_dir(config, None, overwrite=False)
    curve = run_dir / "curve"
    curve.mkdir(exist_ok=True)
    model = build_model(config, encoding)
    key = {"dataset": args.dataset, "model": args.model, "label_encoding": args.label_encoding,
           "latent_dim": args.latent_dim, "seed": args.seed}
    results = ResultsFile(args.results, "learning_curve", {"rows": []}, readings.render_curve,
                          commit=args.commit)
    done = {row["steps"] for row in results.state["rows"]
            if all(row.get(k) == v for k, v in key.items())}
    evaluator = None
    for budget in sorted(args.budgets):
        weights = curve / f"step-{budget}.weights.h5"
        if args.phase != "evaluate" and not weights.exists():
            t0 = time.time()
            config.steps = budget
            fit(model, config, dataset, run_dir, verbose=2)
            model.save_weights(weights)
            print(f"step {budget}: trained in {time.time() - t0:.0f} s", flush=True)
        if args.phase == "train" or budget in done or not weights.exists():
            continue
        if evaluator is None:
            evaluator = load_evaluator(args.dataset)
        model.load_weights(weights)
        t0 = time.time()
        row = {**key, "steps": budget,
               **readings.all_readings(model, dataset, evaluator, seed=args.seed,
                                       samples_per_label=args.generation_samples_per_label)}
        row["evaluation_seconds"] = time.time() - t0
        results.state["rows"].append(row)
        results.save(f"learning curve: {args.dataset} {args.model} step {budget}")
        print(f"step {budget}: " + "  ".join(f"{k} {v:.4g}" for k, v in row.items()
                                             if isinstance(v, float)), flush=True)
    return 0


if __name__ == "__main__":
    # Run as a file: the repo root, not this folder, heads the path (`experiments` is not
    # installed, and a module here must not shadow the standard library's).
    sys.path[0] = str(Path(__file__).resolve().parents[2])
    sys.exit(main())
