"""The board's numbers over a year of a big plan, on SQLite and on PostgreSQL.

Ours: scheduler.reports.board.board (per-department outcomes, overdue list, next two weeks, heat-map) at
mid-year over 300 departments x 30 duties (half of what is due done). Baseline, same run, same
rows: the same two SELECTs as raw SQL (the year's occurrences with the columns the rates need;
open occurrences due within two weeks with the columns the lists show), fetched, nothing
computed. Best of 5 each.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text, update
from sqlmodel import Session

from bench.common import best, on_each_database
from bench.planning import PHRASES, TODAY
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Occurrence, utcnow
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.reports.board import board

DEPARTMENTS, DUTIES = 300, 30
NOW = datetime(2025, 7, 1, 2, tzinfo=UTC)
JOIN = ("FROM occurrence o JOIN duty d ON o.duty_id = d.id JOIN plan p ON d.plan_id = p.id "
        "JOIN department t ON o.department_id = t.id")


def plan_yaml(rng: random.Random) -> str:
    lines = ["version: 1", "plan: {id: bench, title: 基准, issued: 2025-01-01, year: 2025, coordinator: d0}",
             "departments:"]
    lines += [f"  - {{id: d{i}, name: 部门{i}}}" for i in range(DEPARTMENTS)]
    lines.append("duties:")
    for i in range(DEPARTMENTS):
        for j, phrase in enumerate(rng.sample(PHRASES, DUTIES)):
            lines.append(f"  - {{id: t{i}-{j}, title: 任务{i}-{j}, lead: [d{i}], schedule: {phrase}}}")
    return "\n".join(lines) + "\n"


def fill(url: str, folder: Path) -> int:
    upgrade(url)
    plan_file = folder / "board.yaml"
    plan_file.write_text(plan_yaml(random.Random(2025)), encoding="utf-8")
    engine = make_engine(url)
    with Session(engine) as session:
        store_plan(session, read_plan(plan_file, TODAY), calendar=calendar_for("CN"), today=TODAY,
                   horizon_days=365, now=utcnow())
        session.execute(update(Occurrence).where(Occurrence.due < NOW.date(), Occurrence.id % 2 == 0)
                        .values(status="done", done_at=NOW))
        session.commit()
        n = session.execute(text("SELECT count(*) FROM occurrence")).scalar_one()
    engine.dispose()
    return n


def run(name: str, url: str, folder: Path) -> None:
    rows = fill(url, folder)
    engine = make_engine(url)

    def ours() -> None:
        with Session(engine) as session:
            board(session, NOW)

    def baseline() -> None:
        with engine.connect() as conn:
            conn.execute(text(f"SELECT o.due, o.status, o.done_at, o.due_at, p.timezone, t.id, t.name {JOIN} "
                              "WHERE o.due >= :a AND o.due <= :b AND o.status != 'cancelled'"),
                         {"a": "2025-01-01", "b": "2025-12-31"}).all()
            conn.execute(text(f"SELECT o.id, o.due, d.key, d.title, t.name, p.timezone {JOIN} "
                              "WHERE o.status = 'open' AND o.due <= :c "
                              "ORDER BY o.due, o.id"), {"c": "2025-07-16"}).all()

    ours_t, base_t = best(ours), best(baseline)
    engine.dispose()
    print(f"board on {name}: {DEPARTMENTS} departments x {DUTIES} duties, {rows:,} occurrences")
    print(f"  bare SELECTs baseline        : {base_t * 1000:8.1f} ms")
    print(f"  ours (scheduler.reports.board.board) : {ours_t * 1000:8.1f} ms = {ours_t / base_t:.2f}x baseline")


def main() -> None:
    on_each_database(run, "board")


if __name__ == "__main__":
    main()
