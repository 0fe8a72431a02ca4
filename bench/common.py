"""What every benchmark shares: where PostgreSQL is, a throwaway schema on it, best-of timing."""

from __future__ import annotations

import atexit
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from db.engine import make_engine


def pg_url() -> str | None:
    """The PostgreSQL server to measure on too, if any (BENCH_DATABASE_URL, else the tests' one)."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def fresh_pg(url: str) -> str:
    """A URL to a new, empty schema on `url`'s database; the schema is dropped when the run ends."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    atexit.register(_drop, url, schema)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _drop(url: str, schema: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def on_each_database(run: Callable[[str, str, Path], None], name: str) -> None:
    """run(label, url, folder) on a SQLite file, then on a fresh PostgreSQL schema when there is a server."""
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/{name}.db", Path(tmp))
    if pg := pg_url():
        with tempfile.TemporaryDirectory() as tmp:
            run("PostgreSQL", fresh_pg(pg), Path(tmp))


def best(fn: Callable[[], object], times: int = 5) -> float:
    """The fastest of `times` runs, in seconds: the least disturbed by the rest of the machine."""
    out = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return min(out)


def postgres_cpu() -> float | None:
    """CPU seconds used so far by every PostgreSQL process on this machine (/proc), with those of
    the backends that already ended (their parent's cutime and cstime), None when they cannot be
    read (another machine, another user): the server's share of a run, by difference."""
    total, found, tick = 0.0, False, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if "(postgres" not in fields[0]:
                continue
            times = [int(t) for t in fields[1].split()[11:15]]  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
        total, found = total + sum(times) / tick, True
    return total if found else None
