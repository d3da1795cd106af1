"""reproduction.job: the plan of Tables 1-3, rows written as their seeds finish, the README's
generated table, and scripts/reproduce.py (on local Ray) resuming after SIGKILL."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reproduction import job as reproduction
from reproduction import readme
from pse_tf.run_folder import resolve_run_dir, run_name
from reproduction.job import Spec, plan, write_tables
from reproduction.readme import summary_table

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reproduce.py"


def test_plan_trains_a_run_shared_by_two_tables_once_and_pse_rows_first(tmp_path):
    spec = Spec(tables=(1, 2, 3), seeds=3, out=str(tmp_path))
    jobs = plan(spec)
    names = [run_name(c) for c in jobs]
    assert len(names) == len(set(names))
    # Tables 1-2: 7 rows x 3 seeds (JMVAE twice: its default alpha and alpha = 1); Table 3 adds
    # word-vector PSE and PSE* (5 seeds each) and seeds 3-4 of its one-hot rows, which are
    # Table 2's runs.
    assert len(jobs) == 42 + 10 + 4
    jmvae = [n for n in names if n.startswith("mnist-jmvae")]
    assert jmvae == [f"mnist-jmvae-onehot-z10-seed{s}" for s in range(3)] + [
        f"mnist-jmvae-onehot-z10-seed{s}-alpha1" for s in range(3)]
    assert {c.model.options.get("alpha") for c in jobs if c.model.name == "jmvae"} == {None, 1}
    assert [c.model.name for c in jobs[:3]] == ["pse_star"] * 3
    assert {c.seed for c in jobs[-4:]} <= {3, 4}
    assert all(c.steps == spec.steps and c.keep_weights_at == (20000, 40000, 80000, 120000)
               for c in jobs)


def test_rows_without_paper_values_are_left_out_unless_named(tmp_path):
    default = {c.model.name for c in plan(Spec(tables=(1,), out=str(tmp_path)))}
    assert "vae" not in default and "scan" not in default
    named = {c.model.name for c in plan(Spec(tables=(1,), rows=("vae",), out=str(tmp_path)))}
    assert named == {"vae"}


def _metrics(config, recon):
    return {"seed": config.seed, "steps": config.steps, "reconstruction_error": recon,
            "annotation_accuracy": 0.9, "generation_accuracy": 0.8, "train_seconds": 10.0,
            "evaluation_seconds": 2.0}


def test_a_row_is_written_once_all_its_seeds_finish(tmp_path, monkeypatch):
    spec = Spec(tables=(1,), rows=("pse", "cvae"), seeds=3, out=str(tmp_path))
    done = {}
    monkeypatch.setattr(reproduction, "finished_metrics", lambda c: done.get(run_name(c)))
    for config in plan(spec):
        if config.model.name == "pse":
            done[run_name(config)] = _metrics(config, 80.0 + config.seed)
    done[run_name(plan(spec)[-1])] = _metrics(plan(spec)[-1], 79.0)  # one CVAE seed
    # One run was trained validating every 1,000 steps: its config.json says so, not the plan.
    first = next(c for c in plan(spec) if c.model.name == "pse")
    resolve_run_dir(first).mkdir(parents=True)
    other = dataclasses.replace(first, checkpoint_every=1000)
    other.to_json(resolve_run_dir(first) / "config.json")

    assert write_tables(spec) == {1: 1}
    table = json.loads((tmp_path / "table1.json").read_text())
    (row,) = table["rows"]
    assert row["label"] == "PSE (10D)" and row["seeds"] == [0, 1, 2]
    summary = row["summary"]["reconstruction_error"]
    assert summary["mean"] == pytest.approx(81.0)
    assert summary["std"] == pytest.approx(1.0)  # sample std of 80, 81, 82 (population: 0.816)
    assert table["pending"] == ["CVAE (1/3 seeds)"]
    # Read from the runs' own configs (the plan's where a run has no config.json).
    assert row["training"] == {"batch_size": [100], "validation_every": [1000, 5000],
                               "strategy": ["none"], "nodes": []}
    assert "CVAE (1/3 seeds)" in (tmp_path / "table1.md").read_text()


def test_a_failing_run_is_logged_and_the_others_still_tabulated(tmp_path, monkeypatch):
    from pse_tf import grids

    spec = Spec(tables=(1,), rows=("pse",), seeds=3, out=str(tmp_path))
    configs = plan(spec)
    done, lines, ended = {}, [], []
    monkeypatch.setattr(reproduction, "finished_metrics", lambda c: done.get(run_name(c)))

    def run(configs, out, on_run, **kwargs):  # what Ray returns when one run fails for good
        outcomes = []
        for config in configs:
            outcome = grids.RunOutcome(config, resolve_run_dir(config), None)
            if config.seed == 1:
                outcome.error = "TypeError: broken tracing"
            else:
                outcome.metrics = done[run_name(config)] = _metrics(config, 80.0)
            on_run(outcome)
            outcomes.append(outcome)
        return outcomes

    monkeypatch.setattr(grids, "run", run)
    failed = reproduction.run(spec, log=lines.append, on_run=ended.append)

    assert failed == [str(resolve_run_dir(configs[1]))]
    assert [o.config.seed for o in ended] == [0, 1, 2]
    (message,) = [m for m in lines if m.startswith("!!")]
    assert "TypeError: broken tracing" in message
    assert json.loads((tmp_path / "table1.json").read_text())["pending"] == ["PSE (10D) (2/3 seeds)"]


def test_summary_table_falls_back_to_an_earlier_budget_and_recomputes_the_spread(tmp_path):
    early = tmp_path / "steps20000"
    early.mkdir()
    runs = [{"seed": s, "reconstruction_error": 83.0 + s, "annotation_accuracy": 0.95,
             "generation_accuracy": 0.9} for s in range(3)]
    (early / "table1.json").write_text(json.dumps(
        {"rows": [{"label": "PSE (10D)", "steps": 20000, "runs": runs}]}))
    text = summary_table(tmp_path)
    pse = next(line for line in text.splitlines() if "| PSE (10D) |" in line)
    assert "| 20,000 | 3 |" in pse and "84.0 ± 1.0 (82.8) ✗ 1.2" in pse
    assert "PSE* (20D) | — | — | not run yet" in text
    assert "cells met" not in text  # an earlier budget's row is not counted

    # A converged row counts each of its cells: reconstruction misses, both accuracies meet.
    converged = [dict(r, annotation_accuracy=0.97, generation_accuracy=0.95) for r in runs]
    (tmp_path / "table1.json").write_text(json.dumps(
        {"rows": [{"label": "PSE (10D)", "steps": 160000, "runs": converged}]}))
    text = summary_table(tmp_path)
    assert text.rstrip().endswith("Tables 1–2 at 160,000 steps: 2 of 3 PSE/PSE\\* cells met.")


def test_the_readme_table_is_rewritten_between_its_markers_only(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(f"intro\n{readme.README_BEGIN}\nold table\n{readme.README_END}\nafter\n")
    readme.write_readme_table(str(path), str(tmp_path))
    text = path.read_text()
    assert text.startswith("intro\n") and text.endswith("\nafter\n")
    assert "old table" not in text and "| data set | model | steps |" in text


@pytest.mark.slow
def test_the_command_resumes_after_sigkill_from_checkpoints(tmp_path):
    """A tiny budget on local Ray: kill the command and every process of its Ray instance with
    SIGKILL after a checkpoint, run the same command again, and the row is finished from the
    checkpoint, not from step 0."""
    command = [sys.executable, str(SCRIPT), "--table", "1", "--rows", "pse", "--seeds", "1",
               "--steps", "300", "--checkpoint-every", "100", "--generation-repeats", "1",
               "--out", str(tmp_path), "--readme", ""]
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parents[1]),
           "RAY_memory_monitor_refresh_ms": "0"}  # other jobs' memory must not kill our trials
    env.pop("RAY_ADDRESS", None)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env, start_new_session=True)
    run = tmp_path / "runs" / "mnist-pse-onehot-z10-seed0"
    try:
        deadline = time.time() + 400
        while not list((run / "checkpoints").glob("step-*")) and time.time() < deadline:
            assert process.poll() is None, "the job ended before its first checkpoint"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert not (tmp_path / "table1.json").exists() or not json.loads(
        (tmp_path / "table1.json").read_text())["rows"], "killed too late: the row had finished"

    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1/1 finished: mnist-pse-onehot-z10-seed0" in done.stdout
    assert json.loads((run / "metrics.json").read_text())["ray"]["resumed_from_step"] >= 100
    (row,) = json.loads((tmp_path / "table1.json").read_text())["rows"]
    assert row["seeds"] == [0] and row["steps"] == 300
    cost = json.loads((tmp_path / "reproduction_cost.json").read_text())
    assert len(cost["invocations"]) == 2 and cost["runs_finished"] == 1


def test_table3_compares_word_vectors_with_one_hot_on_every_metric_pairing_seeds():
    from scipy import stats

    from reproduction.job import _significance

    def row(label, values, seeds):
        return {"label": label, "runs": [
            {"seed": s, "reconstruction_error": 220.0 + v, "annotation_accuracy": 0.8 + v / 100,
             "generation_accuracy": 0.7 + v / 50} for s, v in zip(seeds, values)]}

    one_hot, words = [0.1, 0.5, 0.2, 0.9], [0.4, 0.9, 0.3, 1.6]
    # Runs listed in another seed order must still be paired seed by seed.
    out = _significance([row("one-hot (PSE*)", one_hot, [0, 1, 2, 3]),
                         row("word2vec (PSE*)", words[::-1], [3, 2, 1, 0])])
    assert {e["model"] for e in out["word_vector_effects"]} == {"PSE*"}  # no PSE rows given
    effects = {e["metric"]: e for e in out["word_vector_effects"]}
    expected = stats.ttest_rel(words, one_hot)
    assert effects["reconstruction_error"]["paired"]["p"] == pytest.approx(expected.pvalue)
    assert effects["reconstruction_error"]["difference"] == pytest.approx(0.375)
    assert effects["annotation_accuracy"]["difference"] == pytest.approx(0.375)  # points
    assert out["significance"]["p"] == pytest.approx(expected.pvalue)
    assert out["significance_unpaired"]["p"] == pytest.approx(
        stats.ttest_ind(words, one_hot, equal_var=False).pvalue)
    assert _significance([row("one-hot (PSE)", one_hot, [0, 1, 2, 3])]) == {}


def test_the_committed_readme_table_is_the_one_generated_from_the_committed_results():
    """Prose numbers are not typed by hand: the README's table between its markers is exactly
    `summary_table` of results/ (Tables 1-3's json and the full-covariance rows beside them)."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "README.md").read_text()
    committed = text.split(readme.README_BEGIN, 1)[1].split(readme.README_END, 1)[0]
    assert committed == "\n" + summary_table(root / "results")


def test_rows_beyond_the_paper_join_the_readme_table_from_their_own_layout(tmp_path):
    runs = [{"seed": s, "reconstruction_error": 74.0 + s, "annotation_accuracy": 0.98,
             "generation_accuracy": 0.97} for s in range(2)]
    readme.write_beyond_the_paper(tmp_path, "study", [
        {"table": 1, "paper_label": "PSE* (20D)", "label": "PSE* (20D), another prior",
         "steps": 1000, "planned_seeds": 3, "runs": runs},
        {"table": 2, "paper_label": "PSE (10D)", "label": "PSE, not run", "steps": 1000,
         "planned_seeds": 3, "runs": []}])
    lines = summary_table(tmp_path).splitlines()
    (row,) = [line for line in lines if "another prior" in line]
    assert row.startswith("| mnist | PSE* (20D), another prior | 1,000 | 2 of 3 | "
                          "74.5 ± 0.7 (75.0) ✓")
    assert any("PSE, not run | 1,000 | 0 of 3 | not finished yet" in line for line in lines)
    assert "cells met" not in lines[-1]  # counted in no tally
