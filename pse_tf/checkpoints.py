"""Checkpoints that a kill cannot half-write.

A folder `checkpoints/step-<step>/` holds the weights, optimizer state, sampling seed, history
and each file's SHA-256. It is renamed into place only when complete (atomic), so a kill leaves
every `step-*` folder whole. The newest intact one is restored, a damaged one reported and
skipped; if all are damaged, `CheckpointError` says so rather than training from step 0.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

FOLDER = "checkpoints"
WEIGHTS = "model.weights.h5"
OPTIMIZER = "optimizer.npz"
STATE = "state.json"
KEEP = 2  # the newest and one to fall back to


class CheckpointError(RuntimeError):
    """No checkpoint of a run can be restored."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One complete checkpoint folder."""

    path: Path
    step: int

    @property
    def state(self) -> dict:
        return json.loads((self.path / STATE).read_text())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _step_folders(run_dir: Path) -> list[Checkpoint]:
    """Complete checkpoint folders, newest first (temporary ones are not complete)."""
    root = Path(run_dir) / FOLDER
    found = []
    for path in root.glob("step-*") if root.is_dir() else ():
        suffix = path.name[len("step-"):]
        if path.is_dir() and suffix.isdigit():
            found.append(Checkpoint(path, int(suffix)))
    return sorted(found, key=lambda c: c.step, reverse=True)


def save(run_dir: Path, model, step: int, history: dict) -> Checkpoint:
    """Write the checkpoint of `step` atomically and drop all but the newest `KEEP`."""
    root = Path(run_dir) / FOLDER
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:09d}"
    tmp = root / f".tmp-step-{step:09d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save_weights(tmp / WEIGHTS)
    np.savez(tmp / OPTIMIZER, *[v.numpy() for v in model.optimizer.variables])
    # The sampling seed is not a model weight; saving it makes a resumed run draw the same z.
    state = {"step": step,
             "seed_state": [int(v) for v in model.seed_generator.state.numpy()],
             "history": history,
             "sha256": {name: _sha256(tmp / name) for name in (WEIGHTS, OPTIMIZER)}}
    (tmp / STATE).write_text(json.dumps(state) + "\n")
    for name in (WEIGHTS, OPTIMIZER, STATE):
        _fsync(tmp / name)
    if final.exists():  # the same step saved again (a finished stage re-entered)
        shutil.rmtree(final)
    os.rename(tmp, final)
    for old in _step_folders(run_dir)[KEEP:]:
        shutil.rmtree(old.path, ignore_errors=True)
    return Checkpoint(final, step)


def _damage(checkpoint: Checkpoint) -> str | None:
    """Why `checkpoint` cannot be trusted, or None when every file matches its hash."""
    try:
        state = checkpoint.state
        for name, expected in state["sha256"].items():
            if _sha256(checkpoint.path / name) != expected:
                return f"{name} does not match its SHA-256 (truncated or modified)"
    except (OSError, ValueError, KeyError) as e:
        return f"{type(e).__name__}: {e}"
    return None


def latest(run_dir: Path) -> Checkpoint | None:
    """The newest intact checkpoint of a run, or None when the run has none yet.

    Damaged newer ones are reported with a warning and skipped. Raises CheckpointError when
    checkpoints exist but none is intact.
    """
    problems = []
    for checkpoint in _step_folders(run_dir):
        why = _damage(checkpoint)
        if why is None:
            if problems:
                warnings.warn(f"skipping damaged checkpoint(s): {'; '.join(problems)}; "
                              f"resuming from step {checkpoint.step}", stacklevel=2)
            return checkpoint
        problems.append(f"{checkpoint.path}: {why}")
    if problems:
        raise CheckpointError(
            f"every checkpoint of {run_dir} is damaged ({'; '.join(problems)}); "
            "delete the run directory or pass --overwrite to train from step 0")
    return None


def restore(checkpoint: Checkpoint, model, optimizer: bool = True):
    """Restore weights, sampling seed and (mid-stage) the stage's optimizer state; the stage's
    optimizer must be built first. A checkpoint at a stage boundary holds the previous stage's
    optimizer, which the next stage does not use."""
    model.load_weights(checkpoint.path / WEIGHTS)
    model.seed_generator.state.assign(
        np.asarray(checkpoint.state["seed_state"], dtype=model.seed_generator.state.dtype))
    if not optimizer:
        return
    saved = np.load(checkpoint.path / OPTIMIZER)
    names = sorted(saved.files, key=lambda s: int(s.split("_")[-1]))
    if len(names) != len(model.optimizer.variables):
        raise CheckpointError(
            f"{checkpoint.path / OPTIMIZER} holds {len(names)} optimizer variables, the model's "
            f"stage needs {len(model.optimizer.variables)}")
    for v, k in zip(model.optimizer.variables, names):
        v.assign(saved[k])


def remove_all(run_dir: Path):
    """Delete every checkpoint of a run (`--overwrite`)."""
    shutil.rmtree(Path(run_dir) / FOLDER, ignore_errors=True)
