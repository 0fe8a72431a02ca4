"""Run every benchmark: `python -m bench [NAME ...]`."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["occurrences", "planning", "dispatch", "burst", "email", "telegram", "metrics", "feeds", "board", "notice_import"]


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"没有这个基准测试 / unknown benchmark: {', '.join(unknown)} "
                 f"(choose from {', '.join(BENCHMARKS)})")
    for name in names or BENCHMARKS:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
