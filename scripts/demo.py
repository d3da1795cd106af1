#!/usr/bin/env python
"""Serve the demo page (pse_tf.demo) for a run directory or an export, on 127.0.0.1.

    python scripts/demo.py runs/fashion_mnist-pse_star-word2vec-z10-seed0
    python scripts/demo.py exported/fashion_mnist_pse_star_word2vec      # newest version
    python scripts/demo.py                                               # newest finished run
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def newest_run(root: Path) -> Path | None:
    """The most recently finished run directory under `root` (model.weights.h5), or None."""
    finished = [p.parent for p in root.glob("*/model.weights.h5")]
    return max(finished, key=lambda p: (p / "model.weights.h5").stat().st_mtime, default=None)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", help="run directory or export folder (default: the newest "
                   "finished run under --runs)")
    p.add_argument("--runs", default="runs", help="where to look for the newest run")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default loopback only; 0.0.0.0 exposes the page "
                        "to your network, unauthenticated)")
    p.add_argument("--port", type=int, default=7860)
    args = p.parse_args(argv)
    path = Path(args.path) if args.path else newest_run(Path(args.runs))
    if path is None:
        print(f"error: no finished run under {args.runs}/; train one (scripts/train.py) or pass "
              "a run directory or export folder", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: anyone who can reach it can use the page",
              file=sys.stderr)
    from pse_tf.demo import serve

    try:
        print(f"serving {path} on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
        serve(path, host=args.host, port=args.port)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
