"""Grids of runs on Ray: many `pse_tf.runs.train` calls, on one machine or a cluster.

    from pse_tf.config import TrainConfig
    from pse_tf import grids

    configs = grids.expand(TrainConfig(dataset="mnist", steps=20000),
                           {"model": ["jmvae"], "alpha": [0.01, 0.1, 1]}, seeds=3)
    results = grids.run(configs, out="runs/jmvae-alpha")          # local Ray
    results = grids.run(configs, out="/shared/runs", address="head:6379")  # a cluster

Each run is one Ray Tune trial that calls `runs.train` into <out>/<run name>; Ray schedules
(one CPU a trial, and one GPU where the cluster has GPUs), retries (`max_failures`) and adds or
loses nodes, our code only says what to run. A run folder resumes from its own checkpoint, so a
retried trial or the same call made again continues where the run was, and a finished run is
reused. On a cluster, `out` must be a folder every node reads and writes.

Each run's `metrics.json` gains a `ray` entry (`node_id`, `node_ip`, `resumed_from_step`);
`ray.json` in the run folder says the same of the attempt in progress.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from pathlib import Path
from typing import Callable, Iterable

from pse_tf import atomic
from pse_tf.config import ConfigError, TrainConfig
# What to run lives in grid_spec; `grids.expand` etc. stay the one API.
from pse_tf.grid_spec import expand, validate  # noqa: F401
from pse_tf.run_folder import finished_metrics, resolve_run_dir, run_name, write_metrics

RAY_FOLDER = "_ray"  # Ray Tune's experiment folders, beside the run folders in `out`
PLACEMENT_FILE = "ray.json"  # in a run folder: the node its latest trial runs on


class GridError(RuntimeError):
    """The grid could not run at all: no Ray cluster at the address, for example."""


@dataclasses.dataclass
class RunOutcome:
    """One run of a grid: its config and folder, metrics.json's content (None if it failed),
    the Ray node that trained it, and whether it was reused (finished before this call)."""

    config: TrainConfig
    run_dir: Path
    metrics: dict | None
    node_id: str | None = None
    node_ip: str | None = None
    resumed_from_step: int | None = None
    reused: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.metrics is not None


# -- running it ---------------------------------------------------------------------------------
def run(configs: Iterable[TrainConfig], out: str | Path, address: str | None = None,
        max_failures: int = 2, cpus_per_run: float = 1, gpus_per_run: float | None = None,
        generation_repeats: int | None = None, log: Callable[[str], None] | None = print,
        on_run: Callable[[RunOutcome], None] | None = None, name: str | None = None
        ) -> list[RunOutcome]:
    """Train every run of the grid on Ray into <out>/<run name>; returns one RunOutcome per
    config, in the order given. Finished runs are reused without a trial; a run that still
    fails after `max_failures` retries comes back with its error, and the others go on.

    Args:
        configs: TrainConfig list (`expand` makes one from a grid). Their `out` is replaced.
        out: str. Folder of the run folders (and of Ray Tune's records, in `_ray/`). On a
            cluster, a path every node reads and writes.
        address: str or None. A running Ray cluster (`host:port`, `auto`, `ray://...`); None
            uses RAY_ADDRESS if set, else starts Ray on this machine for the call.
        max_failures: int. Retries of a failed trial (a lost node, a crash) by Ray.
        cpus_per_run: float. CPUs each trial reserves (and TensorFlow's thread count in it).
        gpus_per_run: float or None. GPUs each trial reserves; None: 1 where the cluster has
            GPUs, else 0.
        generation_repeats: int or None. Overrides every config's (an evaluation setting).
        log: one line per finished run (count, time, estimate of the time left); None: silent.
        on_run: called in this process with each run's RunOutcome as its trial ends (to
            rewrite a table as results come in, say).
        name: str or None. Ray Tune's experiment name (default: grid-<time>).

    Raises:
        ConfigError: a config that `validate` refuses (before Ray starts).
        GridError: no Ray cluster answers at `address`.
    """
    out = Path(out).absolute()
    changes = {"out": str(out)}
    if generation_repeats is not None:
        changes["generation_repeats"] = generation_repeats
    configs = validate(TrainConfig.from_dict({**c.to_dict(), **changes}) for c in configs)
    log = log or (lambda line: None)
    outcomes = {run_name(c): RunOutcome(c, out / run_name(c), None) for c in configs}
    todo = []
    for config in configs:
        outcome = outcomes[run_name(config)]
        metrics = finished_metrics(config)
        if metrics is None:
            todo.append(config)
            continue
        _fill(outcome, metrics, reused=True)
    if len(todo) < len(configs):
        log(f"{len(configs) - len(todo)} of {len(configs)} runs finished already: reused")
    if todo:
        _run_on_ray(todo, out, outcomes, address, max_failures, cpus_per_run, gpus_per_run, log,
                    on_run or (lambda outcome: None), name or time.strftime("grid-%Y%m%d-%H%M%S"))
    return [outcomes[run_name(c)] for c in configs]


def _fill(outcome: RunOutcome, metrics: dict, reused: bool = False):
    placement = metrics.get("ray") or {}
    outcome.metrics, outcome.reused = metrics, reused
    outcome.node_id, outcome.node_ip = placement.get("node_id"), placement.get("node_ip")
    outcome.resumed_from_step = placement.get("resumed_from_step")


def _run_on_ray(todo, out: Path, outcomes: dict, address, max_failures, cpus_per_run,
                gpus_per_run, log, on_run, name: str):
    import ray
    from ray import tune

    started_here = not ray.is_initialized()
    if started_here:
        connect(address)
    try:
        if gpus_per_run is None:
            gpus_per_run = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        log(f"{len(todo)} run(s) to train on Ray: {len(nodes)} node(s), "
            f"{ray.cluster_resources().get('CPU', 0):g} CPU(s), "
            f"{ray.cluster_resources().get('GPU', 0):g} GPU(s); {cpus_per_run:g} CPU(s) and "
            f"{gpus_per_run:g} GPU(s) a run")
        trainable = tune.with_resources(_trial, {"cpu": cpus_per_run, "gpu": gpus_per_run})
        tuner = tune.Tuner(
            trainable,
            param_space={"run": tune.grid_search([json.dumps(c.to_dict()) for c in todo])},
            tune_config=tune.TuneConfig(trial_name_creator=_trial_name,
                                        trial_dirname_creator=_trial_name),
            run_config=tune.RunConfig(
                name=name, storage_path=str(out / RAY_FOLDER), verbose=0, log_to_file=True,
                failure_config=tune.FailureConfig(max_failures=max_failures),
                callbacks=[_Progress(len(todo), log, outcomes, on_run)]))
        try:
            results, stopped = tuner.fit(), None
        except Exception as e:  # noqa: BLE001 - Tune itself stopped; the finished runs stand
            # Seen here: Ray's memory monitor killing a trial's actor while it starts raises out
            # of Tune's controller instead of failing that trial.
            results, stopped = [], f"Ray Tune stopped: {type(e).__name__}: {e}"
            log(" ".join(stopped.split())[:500] + "; run the same command again to resume")
    finally:
        if started_here:
            ray.shutdown()
    for result in results:
        # A trial that failed before it started has no config; its folder is named by the run.
        name = _trial_name(result) if result.config else Path(result.path).name
        if name in outcomes and outcomes[name].metrics is None and outcomes[name].error is None:
            _settle(outcomes[name], result.error or (result.metrics or {}).get("error"))
    for outcome in outcomes.values():  # no result from Ray: what the run folder says
        if outcome.metrics is None and outcome.error is None:
            _settle(outcome, missing=stopped or "Ray returned no result")


def _settle(outcome: RunOutcome, error=None, missing="no metrics written") -> RunOutcome:
    """Fill a run's outcome from its folder once its trial has ended; `missing` is the error
    when the trial reported none and the folder has no metrics."""
    metrics = finished_metrics(outcome.config)
    if metrics is not None and error is None:
        _fill(outcome, metrics)
    else:
        outcome.error = " ".join(str(error or missing).split())[:2000]
    return outcome


def connect(address: str | None = None):
    """`ray.init` on `address`, RAY_ADDRESS, or else a new Ray instance on this machine.

    Raises:
        GridError: nothing answers at the address (checked first, so a typo fails in seconds).
    """
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    env = {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
           # Trials stay in their worker's working directory, not Tune's trial folder.
           "RAY_CHDIR_TO_TRIAL_DIR": "0"}
    os.environ["RAY_CHDIR_TO_TRIAL_DIR"] = "0"
    if address is None:
        # "local", not None: None would join any cluster that `ray start` left on this machine.
        ray.init(address="local", runtime_env={"env_vars": env}, log_to_driver=False,
                 include_dashboard=False)
        return
    check_reachable(address)
    try:
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise GridError(f"cannot join the Ray cluster at {address!r}: "
                        f"{' '.join(str(e).split())[:300]}") from None


def check_reachable(address: str, timeout: float = 5.0):
    """Refuse a `host:port` address where nothing listens (GridError); other forms (`auto`,
    `ray://`) are left to Ray."""
    host, sep, port = address.rpartition(":")
    if address == "auto" or "://" in address or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as e:
        raise GridError(f"no Ray cluster at {address!r}: {e.strerror or e}; start one with "
                        "`ray start --head` or pass the head node's address") from None


def _trial_name(trial) -> str:
    """The run folder's name, as the trial's name (a Tune Trial or Result: both have .config)."""
    return run_name(TrainConfig.from_dict(json.loads(trial.config["run"])))


def _trial(params: dict):
    """One run, inside a Ray worker: train it (resuming from its checkpoint), record the node."""
    import ray
    import tensorflow as tf

    config = TrainConfig.from_dict(json.loads(params["run"]))
    cpus = int(ray.get_runtime_context().get_assigned_resources().get("CPU", 0)) or None
    if cpus:  # TensorFlow's thread pools sized to the trial's CPUs, not the whole machine's
        try:
            tf.config.threading.set_intra_op_parallelism_threads(cpus)
            tf.config.threading.set_inter_op_parallelism_threads(cpus)
        except RuntimeError:  # TensorFlow already started in this worker
            pass
    from ray import tune

    from pse_tf import checkpoints
    from pse_tf.runs import train
    from pse_tf.training import NonFiniteError

    run_dir = resolve_run_dir(config)
    last = checkpoints.latest(run_dir) if run_dir.is_dir() else None
    placement = {"node_id": ray.get_runtime_context().get_node_id(),
                 "node_ip": ray.util.get_node_ip_address(),
                 "resumed_from_step": last.step if last else 0}
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(run_dir / PLACEMENT_FILE,
                      {**placement, "started": time.strftime("%Y-%m-%d %H:%M:%S")})
    try:
        result = train(config, verbose=2, export=False)
    except (NonFiniteError, ConfigError) as e:
        # The same run would fail the same way again: reported, not raised, so Ray does not
        # retry it (the checkpoints and status.json stay for a look).
        tune.report({"error": f"{type(e).__name__}: {e}", **placement})
        return
    metrics = {**result.metrics, "ray": placement}
    write_metrics(run_dir, metrics)
    tune.report({k: v for k, v in metrics.items() if isinstance(v, (int, float, str))
                 } | placement)


class _Progress:
    """A Ray Tune callback: one line per finished (or failed) trial, with an estimate of the
    time left from the mean time per finished run so far."""

    def __new__(cls, total: int, log, outcomes: dict, on_run):
        from ray import tune

        class Progress(tune.Callback):
            def __init__(self):
                self.done, self.t0 = 0, time.time()

            def _end(self, trial, error=None):
                self.done += 1
                outcome = _settle(outcomes[_trial_name(trial)], error)
                elapsed = time.time() - self.t0
                left = elapsed / self.done * (total - self.done)
                where = (f" on node {outcome.node_id[:8]} ({outcome.node_ip})"
                         if outcome.node_id else "")
                log(f"[{time.strftime('%H:%M:%S')}] {self.done}/{total} "
                    f"{'finished' if outcome.ok else 'failed'}: {outcome.run_dir.name}{where}; "
                    f"{_duration(elapsed)} so far, about {_duration(left)} left")
                on_run(outcome)

            def on_trial_complete(self, iteration, trials, trial, **info):
                self._end(trial, (trial.last_result or {}).get("error"))

            def on_trial_error(self, iteration, trials, trial, **info):
                self._end(trial, getattr(trial, "error_msg", None) or "failed")

        return Progress()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
