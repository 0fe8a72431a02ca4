"""Run every benchmark: `python -m bench [NAME ...]`."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["occurrences"]


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
