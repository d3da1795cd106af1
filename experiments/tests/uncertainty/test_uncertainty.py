"""experiments/uncertainty/uncertainty.py starts as a module (it once imported a script of
scripts/ and could not): a missing model is one error line and exit code 2."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_experiment_starts_and_refuses_a_missing_model(tmp_path):
    done = subprocess.run([sys.executable, "-m", "experiments.uncertainty.uncertainty",
                           str(tmp_path / "no-such-run"), "--results", str(tmp_path / "r")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    (line,) = [l for l in done.stderr.splitlines() if l.startswith("error:")]
    assert "no-such-run" in line
    assert "Traceback" not in done.stderr
