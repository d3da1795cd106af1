"""A trained run's test metrics: the paper's three (§4) and the evaluator's own accuracy, as
`pse_tf.runs` writes them into metrics.json."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from pse_tf.config import TrainConfig


def evaluate(model, dataset, config: TrainConfig, verbose: int = 1,
             run_dir: str | Path | None = None) -> dict:
    """The paper's three metrics on the test set (§4), plus the evaluator's own test accuracy:
    the keys of `pse_tf.run_folder.EVALUATION_KEYS`.

    Your own data has no committed evaluator: one is trained on its training split and cached
    in `run_dir` (`pse_tf.evaluation.own_evaluator`); `run_dir` is then required.
    """
    from pse_tf.evaluation import metrics
    from pse_tf.evaluation.evaluators import EVALUATOR_DATASETS, evaluator_info, load_evaluator
    from pse_tf.evaluation.own_evaluator import own_evaluator

    t0 = time.time()
    results = {
        "reconstruction_error": metrics.reconstruction_error(model, dataset.test_images,
                                                             dataset.test_labels, seed=config.seed),
        "annotation_accuracy": metrics.annotation_accuracy(model, dataset.test_images,
                                                           dataset.test_labels),
    }
    if config.dataset in EVALUATOR_DATASETS:
        evaluator, evaluator_record = load_evaluator(config.dataset), evaluator_info(config.dataset)
    else:
        evaluator, evaluator_record = own_evaluator(run_dir, dataset, seed=config.seed,
                                                    verbose=verbose)
    # Grouped labels are judged against their classes, which the committed evaluators know; an
    # evaluator trained on your own data learnt the groups themselves.
    groups = dataset.label_groups if config.dataset in EVALUATOR_DATASETS else None
    generation = metrics.generation_accuracy(
        model, evaluator, samples_per_label=config.generation_samples_per_label,
        repeats=config.generation_repeats, seed=config.seed,
        members=groups.members if groups else None)
    if groups:
        results.update(grouped_generation(generation["counts"], groups))
    weights = model.label_mixture_weights()
    if weights is not None:
        results["label_mixture_weights"] = np.asarray(weights).round(4).tolist()
    results["generation_accuracy"] = generation["mean"]
    results["generation_accuracy_std"] = generation["std"]
    results["generation_accuracy_repeats"] = generation["repeats"]
    results["generation_repeats"] = config.generation_repeats
    results["generation_samples_per_label"] = config.generation_samples_per_label
    results["evaluator_test_accuracy"] = evaluator_record.get("test_accuracy")
    results["evaluation_seconds"] = time.time() - t0
    if verbose:
        print(f"test: reconstruction {results['reconstruction_error']:.2f}  "
              f"annotation {100 * results['annotation_accuracy']:.2f}%  "
              f"generation {100 * generation['mean']:.2f} ± {100 * generation['std']:.2f}%")
    return results


def grouped_generation(counts, groups) -> dict:
    """What generation says of labels that cover several classes: per label, the share of its
    images in its group (in-set generation) and the coverage distance
    (`metrics.coverage_distance`); their means over the labels with more than one class; and
    the counts [labels, classes] behind them."""
    from pse_tf.evaluation import metrics

    counts = np.asarray(counts)
    in_set = [float(counts[g, list(m)].sum() / counts[g].sum())
              for g, m in enumerate(groups.members)]
    coverage = metrics.coverage_distance(counts, groups.members, groups.training_mix())
    several = [g for g, m in enumerate(groups.members) if len(m) > 1]
    return {"in_set_generation_by_label": dict(zip(groups.names, in_set)),
            "coverage_distance_by_label": dict(zip(groups.names, coverage)),
            "in_set_generation_grouped": float(np.mean([in_set[g] for g in several]))
            if several else None,
            "coverage_distance": float(np.mean([coverage[g] for g in several]))
            if several else None,
            "generation_counts": counts.tolist()}
