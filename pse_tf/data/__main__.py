"""Command line: `python -m pse_tf.data fetch [mnist] [fashion_mnist] [wordnet] [freedict]`."""

from __future__ import annotations

import argparse
import sys

from pse_tf.data import freedict, wordnet
from pse_tf.data.datasets import DATASETS, fetch
from pse_tf.data.idx import DataError

# What `fetch` knows: the data sets, WordNet 3.0 (the `wordnet` label lexicon and the knowledge
# table) and the FreeDict dictionaries (the knowledge table's words in other languages).
RESOURCES = (*DATASETS, wordnet.NAME, freedict.NAME)


def main(argv: list[str] | None = None) -> int:
    """Fetches and verifies the named resources (default: all). Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m pse_tf.data")
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("fetch", help="fetch and verify the raw files into the cache")
    cmd.add_argument("names", nargs="*", metavar="NAME",
                     help=f"what to fetch, any of {', '.join(RESOURCES)} (default: all)")
    cmd.add_argument("--data-dir", default=None,
                     help="cache root (default: $PSE_DATA_DIR, else ~/.cache/pse_tf/data)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in RESOURCES]
    if unknown:
        cmd.error(f"unknown data set(s) {unknown}; expected any of {list(RESOURCES)}")

    status = 0
    for name in dict.fromkeys(args.names or RESOURCES):
        try:
            if name == wordnet.NAME:
                path = wordnet.fetch(args.data_dir, verbose=not args.quiet)
            elif name == freedict.NAME:
                path = freedict.fetch(args.data_dir, verbose=not args.quiet)
            else:
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
