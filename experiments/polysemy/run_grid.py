"""The polysemy grid: PSE* (and PSE on one grouping) on grouped labels, q(z|l) diagonal (the
paper's), full, and mixtures, 20,000 steps x 3 seeds, one `scripts/sweep.py` call per table, in
order of importance so that a stopped grid has its most important tables first.

    python -m experiments.polysemy.run_grid            # resumable: finished runs are reused
    python -m experiments.polysemy.run_grid --list     # the sweep commands, nothing run

Groupings: experiments/polysemy/groupings.json (fixed, with reasons, before any run). Tables:
results/polysemy/<name>.md/.json; runs: runs/polysemy/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROUPINGS = json.loads((ROOT / "experiments/polysemy/groupings.json").read_text())
STEPS, SEEDS = 20000, 3


def groups_text(dataset: str, grouping: str) -> str:
    groups = GROUPINGS[dataset][grouping]["groups"]
    return ";".join(f"{name}={','.join(classes)}" for name, classes in groups.items())


def largest_group(dataset: str, grouping: str) -> int:
    return max(len(c) for c in GROUPINGS[dataset][grouping]["groups"].values())


def tables() -> list:
    """(name, sweep arguments) in order of importance."""
    out = []

    def add(dataset, grouping, model, grid, suffix="", extra=()):
        args = ["--dataset", dataset, "--model", model, "--grid", grid, *extra]
        if grouping != "original":
            args += ["--label-groups", groups_text(dataset, grouping)]
        key = grid.split("=")[0]
        out.append((f"{dataset}-{grouping}-{model}-{key}{suffix}", args))

    # First what the goal reads (polysemous groupings, diag vs a component per meaning; the
    # original labels, diag vs K = 3), then K = 5, the coarse groupings, full, and PSE.
    for dataset in ("fashion_mnist", "mnist"):
        add(dataset, "original", "pse_star", "label_components=1,3")
        add(dataset, "polysemous", "pse_star",
            f"label_components=1,{largest_group(dataset, 'polysemous')}")
    # The latent picture (Figs. 2, 7-10): a 2-d latent space, one seed.
    for dataset in ("fashion_mnist", "mnist"):
        add(dataset, "polysemous", "pse_star", "label_components=1,2", "-z2",
            ["--grid", "latent_dim=2", "--seeds", "1"])
    for dataset in ("fashion_mnist", "mnist"):
        add(dataset, "polysemous", "pse_star", "label_components=5", "-k5")
    for dataset in ("fashion_mnist", "mnist"):
        ks = sorted({1, largest_group(dataset, "coarse"), 5})
        add(dataset, "coarse", "pse_star", "label_components=" + ",".join(map(str, ks)))
    for dataset in ("fashion_mnist", "mnist"):
        for grouping in ("polysemous", "coarse"):
            add(dataset, grouping, "pse_star", "label_covariance=full")
    add("fashion_mnist", "polysemous", "pse",
        f"label_components=1,{largest_group('fashion_mnist', 'polysemous')}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--list", action="store_true", help="print the sweep commands only")
    p.add_argument("--only", help="run the tables whose name contains this text")
    args = p.parse_args(argv)
    failed = 0
    for name, sweep in tables():
        if args.only and args.only not in name:
            continue
        seeds = [] if "--seeds" in sweep else ["--seeds", str(SEEDS)]
        command = [sys.executable, str(ROOT / "scripts/sweep.py"), *sweep, *seeds,
                   "--steps", str(STEPS), "--out", "runs/polysemy",
                   "--results", "results/polysemy", "--name", name]
        print(" ".join(command), flush=True)
        if not args.list:
            failed += subprocess.call(command, cwd=ROOT) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
