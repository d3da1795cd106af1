"""Command line: `python -m pse_tf.data fetch [mnist] [fashion_mnist]`."""

from __future__ import annotations

import argparse
import sys

from pse_tf.data.datasets import DATASETS, fetch
from pse_tf.data.idx import DataError


def main(argv: list[str] | None = None) -> int:
    """Fetches and verifies the named data sets (default: all). Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m pse_tf.data")
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("fetch", help="fetch and verify the raw IDX files into the cache")
    cmd.add_argument("names", nargs="*", metavar="NAME",
                     help=f"data sets to fetch, any of {', '.join(DATASETS)} (default: all)")
    cmd.add_argument("--data-dir", default=None,
                     help="cache root (default: $PSE_DATA_DIR, else ~/.cache/pse_tf/data)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in DATASETS]
    if unknown:
        cmd.error(f"unknown data set(s) {unknown}; expected any of {list(DATASETS)}")

    status = 0
    for name in dict.fromkeys(args.names or DATASETS):
        try:
            path = fetch(name, args.data_dir, verbose=not args.quiet)
        except DataError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
            continue
        if not args.quiet:
            print(path)
    return status


if __name__ == "__main__":
    sys.exit(main())
