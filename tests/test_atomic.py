"""pse_tf.atomic: a write replaces its target whole or not at all."""

import json

import pytest

from pse_tf import atomic


def test_write_json_round_trips_and_leaves_no_temporary(tmp_path):
    path = atomic.write_json(tmp_path / "sub" / "a.json", {"x": [1, 2]})
    assert json.loads(path.read_text()) == {"x": [1, 2]}
    assert path.read_text().endswith("\n")
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = atomic.write_text(tmp_path / "a.txt", "old")

    def fail(f):
        f.write(b"half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic.write_with(path, fail)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
