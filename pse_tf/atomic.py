"""Writing a file so that a reader never sees half of it: the bytes go to a temporary file beside
the target, which then replaces it in one `os.replace`. A kill mid-write leaves the old file (or
none) and a stray temporary, never a torn target."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable


def write_with(path: str | Path, write: Callable[[Any], None], binary: bool = True) -> Path:
    """Call `write(file)` on a temporary file beside `path`, then move it over `path`.

    The temporary's name carries the process id, so two processes writing the same target do
    not interleave their bytes; the last replace wins whole. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb" if binary else "w") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """`text` into `path`, atomically."""
    return write_with(path, lambda f: f.write(text), binary=False)


def write_json(path: str | Path, payload: Any, indent: int | None = 2, **dumps) -> Path:
    """`payload` as JSON (a trailing newline) into `path`, atomically."""
    return write_text(path, json.dumps(payload, indent=indent, **dumps) + "\n")
