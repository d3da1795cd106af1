"""Per-seed ms/step of S seeds trained in one XLA program (`pse_tf.multiseed.StackedSeeds`)
against one seed alone (`FastPath`, what `training.fit` runs); results/multiseed_benchmark.md."""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Callable, Sequence

from pse_tf.benchmark.machine import machine_info
from pse_tf.benchmark.paths import FastPath, benchmark_config

SEED_COUNTS = (1, 2, 3, 5)


class TogetherPath:
    """S seeds of `config` (seeds 0..S-1) in one `StackedSeeds` program; `run` as `FastPath`'s."""

    def __init__(self, config, encoding, dataset, seeds: int, vectorize: bool = True):
        import dataclasses

        from pse_tf.multiseed import StackedSeeds
        from pse_tf.training import adam, build_model

        self.config, self.seeds, self.step = config, seeds, 0
        configs = [dataclasses.replace(config, seed=s) for s in range(seeds)]
        models = [build_model(c, encoding) for c in configs]
        self.loop = StackedSeeds(models, dataset.train_images, dataset.train_labels,
                                 config.batch_size, range(seeds), adam(config, config.steps),
                                 config.jit_compile, vectorize)

    def run(self, steps: int) -> float:
        """Train `steps` more steps of every seed; returns the wall seconds."""
        spe = self.config.steps_per_execution
        t0 = time.perf_counter()
        for _ in range(steps // spe):
            self.loop.run(self.step, spe)  # returns Python floats: the call has finished
            self.step += spe
        return time.perf_counter() - t0


def measure_multiseed(models: Sequence[str] = ("pse", "pse_star"),
                      seed_counts: Sequence[int] = SEED_COUNTS,
                      unrolled_counts: Sequence[int] = (3,), steps: int = 200,
                      repeats: int = 5, dataset: str = "mnist",
                      log: Callable[[str], None] = print) -> dict:
    """For each model: one seed alone and S seeds in one program for each S, warmed up
    (compiled) first, then `repeats` interleaved timings of `steps` steps each; per-seed
    ms/step = median wall time ÷ (steps × S). `unrolled_counts`: S also timed with the seeds'
    steps unrolled side by side in the program instead of vectorised (`vectorize=False`).

    Returns {"settings", "machine", "rows": [{"model", "path", "seeds", "ms_per_seed",
    "ms_all", "x_alone"}]}.
    """
    from pse_tf.data import load_dataset
    from pse_tf.labels import LabelEncoding

    data = load_dataset(dataset)
    encoding = LabelEncoding.build(data.class_names, "onehot")
    machine = machine_info()
    rows = []
    for model in models:
        config = benchmark_config(model, dataset)
        paths = [("alone", 1, FastPath(config, encoding, data))]
        paths += [("together", s, TogetherPath(config, encoding, data, s)) for s in seed_counts]
        paths += [("unrolled", s, TogetherPath(config, encoding, data, s, vectorize=False))
                  for s in unrolled_counts]
        for _, _, path in paths:
            path.run(config.steps_per_execution)  # trace and compile: not timed
        times = [[] for _ in paths]
        # Interleaved, so that drifting load from other jobs hits every path alike.
        for r in range(repeats):
            for i, (name, seeds, path) in enumerate(paths):
                times[i].append(1000 * path.run(steps) / (steps * seeds))
                log(f"{model}: {name} S={seeds} repeat {r + 1}/{repeats}: "
                    f"{times[i][-1]:.2f} ms/step per seed")
        alone = statistics.median(times[0])
        for (name, seeds, _), ms_all in zip(paths, times):
            ms = statistics.median(ms_all)
            rows.append({"model": model, "path": name, "seeds": seeds, "ms_per_seed": ms,
                         "ms_all": ms_all, "x_alone": ms / alone})
    machine["load_average_end"] = list(os.getloadavg())
    return {"settings": {"dataset": dataset, "label_encoding": "onehot", "latent_dim": 10,
                         "batch_size": 100, "xla": True, "steps_per_timing": steps,
                         "repeats": repeats,
                         "steps_per_execution": benchmark_config(models[0]).steps_per_execution},
            "machine": machine, "rows": rows}


def markdown(result: dict) -> str:
    """The report: method, machine, one row per (model, path, S)."""
    s, m = result["settings"], result["machine"]
    lines = [
        "# Many seeds in one XLA program", "",
        f"{s['dataset']}, {s['label_encoding']} labels, latent {s['latent_dim']}, batch "
        f"{s['batch_size']} per seed, XLA on.", "",
        "## Method", "",
        "- **alone**: one seed, `training.InGraphLoop` (what `training.fit` runs). **together**: "
        "S seeds in one `multiseed.StackedSeeds` program (every variable stacked [S, ...], "
        "`tf.vectorized_map` over the seeds, so each dense layer is one batched matmul; one "
        "Adam over the stacked variables). **unrolled**: the same, but the seeds' steps "
        "unrolled side by side in the one program instead of vectorised. All run "
        f"{s['steps_per_execution']} steps per compiled call.",
        f"- Every path is compiled by one untimed call first; then {s['repeats']} interleaved "
        f"timings (alone, S=1, S=2, ...) of {s['steps_per_timing']} steps each. ms/step per seed "
        "= wall time ÷ (steps × S); the median over the repeats is shown, with its range.",
        "- The machine is shared with other jobs: its speed drifts by tens of percent within "
        "minutes, which the interleaving and the medians only partly absorb.", "",
        "## Machine", "",
        "|  |  |", "|---|---|",
        f"| CPU | {m['cpu']} |", f"| cores | {m['cores']} |",
        f"| load average (1 min) at start / end | {m['load_average'][0]:.2f} / "
        f"{m['load_average_end'][0]:.2f} |",
        f"| TensorFlow / Keras | {m['tensorflow']} / {m['keras']} |",
        f"| GPUs | {m['gpus']} |", f"| date (UTC) | {m['date']} |", "",
        "## Training step", "",
        "| model | path | seeds | ms/step per seed | range | × alone |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['model']} | {r['path']} | {r['seeds']} | {r['ms_per_seed']:.2f} | "
                     f"{min(r['ms_all']):.2f}–{max(r['ms_all']):.2f} | {r['x_alone']:.2f} |")
    return "\n".join(lines) + "\n"


def write_multiseed_report(result: dict, out: str | os.PathLike = "results") -> tuple[Path, Path]:
    """multiseed_benchmark.md and .json in `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "multiseed_benchmark.md", out / "multiseed_benchmark.json"
    md.write_text(markdown(result))
    js.write_text(json.dumps(result, indent=2) + "\n")
    return md, js
