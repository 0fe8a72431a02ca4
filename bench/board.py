"""The board over a city's year, on SQLite and on PostgreSQL: `python -m bench board`.

The world: 1,000 departments x 30 duties, every occurrence of 2016 (186,000), a year of answers,
30 requests for help (bench/board_world.py), seen on 2016-09-26. Ours: GET /board as a logged-in
coordinator through the whole web app in-process (routing, session, queries, template), for the
default view and a few others; the server time is measured inside the app around the request,
and the HTML's size is the response body's. Baseline, same run, same view: the SQL statements
that request ran, captured with their parameters and replayed on a raw DB-API cursor (execute
and fetch, nothing else): the time of its database queries alone. Best of 7 each.
Targets (issue 17): the default view under 200 ms of server time and under 200 KB of HTML.
On PostgreSQL the load is followed by VACUUM ANALYZE, as autovacuum would do after it: without
statistics and a visibility map, the planner and index-only scans know nothing of a new table.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench.board_world import build_world
from bench.common import on_each_database
from db.engine import make_engine
from db.migrate import upgrade
from scheduler.access.users import add_user
from scheduler.settings import Settings
from web.app import create_app

DEPARTMENTS, DUTIES = 1000, 30
NOW = datetime(2016, 9, 26, 2, tzinfo=UTC)  # Monday 10:00 in Beijing
TARGET_MS, TARGET_KB = 200, 200
RUNS = 7
VIEWS = [("default: overdue, by department", "/board"),
         ("upcoming two weeks", "/board?status=upcoming"),
         ("one list, page 20", "/board?view=rows&page=20"),
         ("by department name, page 30", "/board?sort=department&page=30"),
         ("one department", "/board?dept=%E5%B8%82%E4%BA%BA%E7%A4%BE%E5%B1%80&view=rows"),
         ("search 饮用水", "/board?q=%E9%A5%AE%E7%94%A8%E6%B0%B4"),
         ("done in March", "/board?status=done&period=2016-03&view=rows")]
USER, PASSWORD = "bench", "bench password 2016"


class Statements:
    """The SQL an engine runs while `recording`, with its parameters."""

    def __init__(self, engine: Engine):
        self.recording, self.seen = False, []
        event.listen(engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.recording:
            self.seen.append((statement, parameters))


class ServerTime:
    """ASGI middleware: the time the app spends on each request, from its start to its last byte."""

    def __init__(self, app):
        self.app, self.last = app, 0.0

    async def __call__(self, scope, receive, send) -> None:
        began = time.perf_counter()
        await self.app(scope, receive, send)
        self.last = time.perf_counter() - began


def fill(url: str) -> int:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        world = build_world(session, departments=DEPARTMENTS, duties=DUTIES, year=2016, today=NOW.date(), now=NOW,
                            answers=True)
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    if engine.dialect.name == "postgresql":  # what autovacuum does after a big load: statistics, visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return world.occurrences


def _logged_in(app) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)[1]
    response = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf, "next": "/board"})
    assert response.status_code == 303, response.text
    return client


def _replay(engine: Engine, statements: list) -> float:
    """The statements on one raw connection, each executed and fetched: seconds, best of RUNS."""
    best = float("inf")
    raw = engine.raw_connection()
    try:
        for _ in range(RUNS):
            cursor = raw.cursor()
            began = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            best = min(best, time.perf_counter() - began)
            cursor.close()
            raw.rollback()
    finally:
        raw.close()
    return best


def measure(client: TestClient, timer: ServerTime, statements: Statements, engine: Engine, path: str):
    """(server seconds, HTML bytes, statements, their replay's seconds) for GET `path`, best of RUNS."""
    best, size = float("inf"), 0
    for _ in range(RUNS):
        statements.recording, statements.seen = True, []
        response = client.get(path)
        statements.recording = False
        assert response.status_code == 200, (path, response.status_code, response.text[-500:])
        best, size = min(best, timer.last), len(response.content)
    return best, size, len(statements.seen), _replay(engine, statements.seen)


def run(name: str, url: str, folder: Path) -> None:
    began = time.perf_counter()
    occurrences = fill(url)
    built = time.perf_counter() - began
    engine = make_engine(url)
    statements = Statements(engine)
    app = create_app(engine, Settings(secret_key="bench-secret-0123456789abcdef0123", public_url="http://bench"),
                     clock=lambda: NOW)
    timer = ServerTime(app.build_middleware_stack())
    app.build_middleware_stack = lambda: timer  # the timer outermost: everything the server does
    client = _logged_in(app)
    print(f"board on {name}: {DEPARTMENTS:,} departments x {DUTIES} duties, {occurrences:,} occurrences "
          f"(written in {built:.1f} s)")
    print(f"  {'view':34} {'server':>9} {'HTML':>9} {'queries':>8} {'queries alone':>14} {'the rest':>9}")
    for label, path in VIEWS:
        server, size, count, alone = measure(client, timer, statements, engine, path)
        verdict = ""
        if path == "/board":
            ok = server * 1000 < TARGET_MS and size / 1024 < TARGET_KB
            verdict = f"  {'OK' if ok else 'OVER'} (targets < {TARGET_MS} ms, < {TARGET_KB} KB)"
        print(f"  {label:34} {server * 1000:7.1f}ms {size / 1024:7.1f}KB {count:8d} {alone * 1000:12.1f}ms "
              f"{(server - alone) * 1000:7.1f}ms{verdict}")
    engine.dispose()


def main() -> None:
    on_each_database(run, "board")


if __name__ == "__main__":
    main()
