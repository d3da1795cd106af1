"""experiments/polysemy/report.py: settings read back from run folders, paired differences
against diag on the same seeds, the goal."""

import json

import pytest

from experiments.polysemy import report
from experiments.polysemy.run_grid import GROUPINGS, tables


def write_run(root, name, dataset, groups, options, seed, generation, coverage=None,
              weights=None):
    run = root / name
    run.mkdir()
    config = {"dataset": dataset, "seed": seed, "label_groups": groups,
              "model": {"name": "pse_star", "options": options, "latent_dim": 10}}
    metrics = {"generation_accuracy": generation, "annotation_accuracy": 0.9,
               "reconstruction_error": 80.0 + seed, "coverage_distance": coverage,
               "in_set_generation_grouped": generation}
    if weights is not None:
        metrics["label_mixture_weights"] = weights
    (run / "config.json").write_text(json.dumps(config))
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_paired_differences_and_the_goal(tmp_path):
    poly = GROUPINGS["mnist"]["polysemous"]["groups"]
    for seed in range(3):
        write_run(tmp_path, f"o{seed}", "mnist", {}, {}, seed, 0.94 + 0.01 * seed)
        write_run(tmp_path, f"d{seed}", "mnist", poly, {"label_components": 1}, seed, 0.60,
                  0.3)
        write_run(tmp_path, f"m{seed}", "mnist", poly, {"label_components": 2}, seed,
                  0.96 + 0.001 * seed, 0.05, weights=[[0.5, 0.5]] * 5)
    rows = report.summarise(report.collect(tmp_path))
    mixture = next(r for r in rows if r["variant"] == "mixture K=2")
    assert mixture["grouping"] == "polysemous"
    assert mixture["paired_vs_diag"]["in_set"]["mean"] == pytest.approx(36.1)
    assert mixture["paired_vs_diag"]["coverage"]["mean"] == pytest.approx(-0.25)
    assert mixture["weights"]["0"]["used"]["mean"] == 2
    assert mixture["weights"]["0"]["effective"]["mean"] == pytest.approx(2.0)
    goal = report.goal(rows)["mnist"]["polysemous mixture K=2"]
    assert goal["target"] == pytest.approx(95.0)
    assert goal["in_set_met"] and goal["coverage_met"]
    assert not report.goal(rows)["mnist"]["polysemous diag"]["in_set_met"]
    assert "| mnist | polysemous | pse_star | mixture K=2 | 10 | 3 |" in report.markdown(rows, {})


def test_the_grid_runs_what_the_goal_reads_first():
    names = [name for name, _ in tables()]
    assert names[:4] == ["fashion_mnist-original-pse_star-label_components",
                         "fashion_mnist-polysemous-pse_star-label_components",
                         "mnist-original-pse_star-label_components",
                         "mnist-polysemous-pse_star-label_components"]
    assert len(names) == len(set(names))
