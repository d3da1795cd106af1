"""A resumable results file: results/<name>.json (the rows so far) beside its rendered
results/<name>.md, rewritten (and optionally committed) after every finished row, so a killed
script loses at most the row in progress."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path


class ResultsFile:
    """`state` is the JSON content; `save` writes it and its markdown.

    Args:
        out: folder of the files.
        name: file stem, e.g. "zero_shot".
        empty: the state of a new file.
        render: state -> markdown text.
        commit: bool. `git add` + `git commit` the files after each save.
    """

    def __init__(self, out: str | Path, name: str, empty: dict, render: Callable[[dict], str],
                 commit: bool = False):
        self.json_path = Path(out) / f"{name}.json"
        self.md_path = Path(out) / f"{name}.md"
        self.render, self.commit = render, commit
        self.state = (json.loads(self.json_path.read_text()) if self.json_path.exists()
                      else empty)

    def has_run(self, run: str, steps: int, needs: Sequence[str] = ()) -> bool:
        """Whether a row of run `run` at `steps` exists; a run trained on since (same name,
        larger budget) is a new row, and so is one read before the readings `needs` existed."""
        return any((row["run"], row["steps"]) == (run, steps) and all(k in row for k in needs)
                   for row in self.state["rows"])

    def replace_row(self, row: dict):
        """Append `row`, dropping an older row of the same run and budget."""
        self.state["rows"] = [r for r in self.state["rows"]
                              if (r["run"], r["steps"]) != (row["run"], row["steps"])] + [row]

    def save(self, message: str, extra: Sequence[str | Path] = ()):
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        self.json_path.write_text(json.dumps(self.state, indent=1) + "\n")
        self.md_path.write_text(self.render(self.state))
        if self.commit:
            # Not check=True: a commit with nothing new, or another git process holding the
            # index for a moment, must not stop a long measurement.
            paths = [str(self.json_path), str(self.md_path), *map(str, extra)]
            subprocess.run(["git", "add", *paths], check=False)
            # Only these files: whatever else is staged at that moment is not this row's.
            subprocess.run(["git", "commit", "-qm", message, "--", *paths], check=False)
