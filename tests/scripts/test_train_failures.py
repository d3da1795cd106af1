"""scripts/train.py on bad input and a full disk: one `error:` line, a non-zero exit, and no
run directory or export version left half-written."""

from __future__ import annotations

import errno
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from pse_tf.data import CLASS_NAMES
from pse_tf.export import archive

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"
# The smallest budget that trains, evaluates and exports: seconds, not minutes.
TINY = {"dataset": "mnist", "model": {"name": "pse", "latent_dim": 2, "hidden_units": [16, 8],
                                      "classifier_units": [16]},
        "steps": 20, "batch_size": 50, "steps_per_execution": 10, "checkpoint_every": 20,
        "jit_compile": False, "generation_repeats": 1, "generation_samples_per_label": 20}


@pytest.fixture(scope="module")
def main():
    """scripts/train.py's main(argv), run in this process."""
    return runpy.run_path(str(SCRIPT))["main"]


@pytest.fixture
def run(main, tmp_path, capsys):
    """main() on a tiny word2vec job with `extra` flags -> (exit code, stderr lines)."""
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY))

    def call(*extra, label_encoding="word2vec"):
        code = main(["--config", str(config), "--label-encoding", label_encoding,
                            "--out", str(tmp_path / "runs"),
                            "--export-dir", str(tmp_path / "exported"), *extra])
        return code, capsys.readouterr().err.strip().splitlines()

    return call


def _glove_file(path: Path, words) -> Path:
    rng = np.random.default_rng(0)
    path.write_text("".join(f"{w} {' '.join(f'{v:.4f}' for v in rng.normal(size=5))}\n"
                            for w in words))
    return path


def _assert_one_error(code, lines, expected_code, *texts):
    assert code == expected_code
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for text in texts:
        assert text in lines[0], (text, lines[0])


def _assert_nothing_written(tmp_path):
    assert not (tmp_path / "runs").exists()
    assert not (tmp_path / "exported").exists()


def test_missing_word_vectors(run, tmp_path):
    code, lines = run("--word-vectors", str(tmp_path / "missing.txt"))
    _assert_one_error(code, lines, 1, "word-vector file", "missing.txt", "does not exist")
    _assert_nothing_written(tmp_path)


@pytest.mark.parametrize("name,content", [("vectors.txt", "3 5\nzero 0.1 oops\n"),
                                          ("vectors.bin", b"\x00\xff garbage \x13" * 50),
                                          ("vectors.kv", b"not a pickle")])
def test_corrupt_word_vectors(run, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, lines = run("--word-vectors", str(path))
    _assert_one_error(code, lines, 1, "could not read", name)
    _assert_nothing_written(tmp_path)


def test_a_class_word_missing_from_the_vectors(run, tmp_path):
    words = [w for w in CLASS_NAMES["mnist"] if w != "seven"] + ["seventh", "even"]
    code, lines = run("--word-vectors", str(_glove_file(tmp_path / "glove.txt", words)))
    _assert_one_error(code, lines, 1, "word 'seven'", "not in the word-vector vocabulary",
                      "'seventh'")
    _assert_nothing_written(tmp_path)


@pytest.mark.parametrize("option,text", [("alpha", "--option takes KEY=VALUE"),
                                         ("alpha=1", "alpha"), ("=1", "KEY=VALUE")])
def test_bad_option(run, tmp_path, option, text):
    code, lines = run("--option", option)
    _assert_one_error(code, lines, 2, text)
    _assert_nothing_written(tmp_path)


def test_bad_config_file(main, tmp_path, capsys):
    for content, text in (("{not json", "--config is not JSON"), ('{"stepz": 3}', "stepz")):
        (tmp_path / "bad.json").write_text(content)
        code = main(["--config", str(tmp_path / "bad.json")])
        _assert_one_error(code, capsys.readouterr().err.strip().splitlines(), 2, text)
    code = main(["--config", str(tmp_path / "absent.json")])
    _assert_one_error(code, capsys.readouterr().err.strip().splitlines(), 2, "absent.json")


@pytest.mark.parametrize("flag", ["--out", "--export-dir"])
def test_output_folder_under_a_file(run, tmp_path, flag):
    (tmp_path / "a_file").write_text("")
    code, lines = run("--label-encoding", "onehot", flag, str(tmp_path / "a_file" / "sub"))
    _assert_one_error(code, lines, 1, "a_file is a file",
                      "run directory" if flag == "--out" else "export directory")
    assert not (tmp_path / "runs").exists()


def test_read_only_output_folder(run, tmp_path, monkeypatch):
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    if os.geteuid() == 0:  # root writes anyway: answer as the file system would for a user
        access = os.access
        monkeypatch.setattr("pse_tf.run_folder.os.access",
                            lambda p, mode: access(p, mode) and Path(p) != read_only)
    try:
        code, lines = run("--label-encoding", "onehot", "--out", str(read_only))
        _assert_one_error(code, lines, 1, "cannot write the run directory", "not writable")
        assert not any(read_only.iterdir())
    finally:
        read_only.chmod(0o755)


def _saved_model_disk_full(model, path, text_options=None):
    """A full disk as TF's own file writes report it: ResourceExhaustedError, not OSError."""
    (path / "saved_model.pb").write_bytes(b"half")
    raise tf.errors.ResourceExhaustedError(
        None, None, f"{path / 'saved_model.pb'}; No space left on device")


def _tflite_disk_full(model, path):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path / "annotator.tflite"))


def _export_fails(run, tmp_path, monkeypatch, write, patched):
    """Train with `write` patched to fail: one error line, the finished run kept, no export."""
    run_dir = tmp_path / "runs" / "mnist-pse-onehot-z2-seed0"
    model_dir = tmp_path / "exported" / "mnist_pse_onehot"
    with monkeypatch.context() as patch:
        patch.setattr(archive, write, patched)
        code, lines = run(label_encoding="onehot")
    _assert_one_error(code, lines, 1, f"could not export to {model_dir}",
                      "No space left on device", f"the run in {run_dir} finished")
    assert not model_dir.exists()  # no version, no .tmp-*, no empty model folder
    assert json.loads((run_dir / "status.json").read_text())["state"] == "finished"
    assert (run_dir / "model.weights.h5").is_file() and (run_dir / "metrics.json").is_file()
    return run_dir, model_dir


def test_full_disk_during_export(run, tmp_path, monkeypatch):
    _export_fails(run, tmp_path, monkeypatch, "_write_saved_model", _saved_model_disk_full)


@pytest.mark.slow
def test_full_disk_at_the_tflite_write_then_the_same_command_exports(run, tmp_path, monkeypatch):
    run_dir, model_dir = _export_fails(run, tmp_path, monkeypatch, "_write_tflite",
                                       _tflite_disk_full)
    code, lines = run(label_encoding="onehot")
    assert code == 0 and lines == []
    assert archive.existing_versions(model_dir) == [1]
    assert json.loads((run_dir / "metrics.json").read_text())["export"] == str(model_dir / "1")


@pytest.mark.slow  # a fresh process imports TensorFlow: ~10 s
def test_a_real_process_prints_one_error_line(tmp_path):
    """What a shell sees: exit status 1, one `error:` line, no traceback (TF's own start-up
    lines on stderr aside)."""
    (tmp_path / "a_file").write_text("")
    done = subprocess.run([sys.executable, str(SCRIPT), "--out",
                           str(tmp_path / "a_file" / "runs")], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(SCRIPT.parents[1])})
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: cannot create the run directory {tmp_path / 'a_file' / 'runs'}"
                      f"/fashion_mnist-pse_star-word2vec-z10-seed0: {tmp_path / 'a_file'} is a "
                      "file"], done.stderr
    assert "Traceback" not in done.stderr
