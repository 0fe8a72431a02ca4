"""Planning: 1,000 departments x 30 duties for a year, vs raw executemany of the same rows.

Ours: store_plan (occurrences) then plan_deliveries (the outbox), each in one transaction, as
`duban plan load` and the planner do. Baseline: the very rows ours wrote, read back and
inserted into a fresh database of the same schema with one executemany per table: the floor
for writing that much data. Run on SQLite and, when TEST_DATABASE_URL or BENCH_DATABASE_URL
is set, on PostgreSQL. Target: ours within 3x of the baseline.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlmodel import Session

from bench.common import fresh_pg, pg_url
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Delivery, Occurrence, utcnow
from scheduler.calendar.workdays import calendar_for
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan

DEPARTMENTS, DUTIES = 1000, 30
TODAY = date(2025, 1, 1)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
PHRASES = (["每月"] * 6 + [f"每月{d}日前" for d in (5, 10, 15, 20, 25, 28)] + ["每季度"] * 4
           + ["季后15日内"] * 4 + ["每半年"] * 4 + ["每年"] * 3 + ["3月底前完成", "9月底前完成", "年底前完成"])


def plan_yaml(rng: random.Random) -> str:
    lines = ["version: 1", "plan:", "  id: bench", "  title: 基准", "  issued: 2025-01-01", "  year: 2025",
             "  coordinator: d0", "  remind: {before: [5, 2, 0], overdue_every: 0, escalate_after: 3}",
             "departments:"]
    lines += [f"  - {{id: d{i}, name: 部门{i}}}" for i in range(DEPARTMENTS)]
    lines.append("contacts:")
    lines += [f"  - {{department: d{i}, name: 联络员{i}, email: c{i}@example.org}}" for i in range(DEPARTMENTS)]
    lines.append("duties:")
    for i in range(DEPARTMENTS):
        for j, phrase in enumerate(rng.sample(PHRASES, DUTIES)):
            lines.append(f"  - {{id: t{i}-{j}, title: 任务{i}-{j}, lead: [d{i}], schedule: {phrase}}}")
    return "\n".join(lines) + "\n"


def ours(url: str, plan_file: Path) -> float:
    data = read_plan(plan_file, TODAY)
    engine = make_engine(url)
    cal = calendar_for("CN")
    began = time.perf_counter()
    with Session(engine) as session:
        store_plan(session, data, calendar=cal, today=TODAY, horizon_days=365, now=utcnow())
        session.commit()
    with Session(engine) as session:
        plan_deliveries(session, NOW, calendars=lambda _: cal, horizon_days=365)
        session.commit()
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed


def baseline(source_url: str, target_url: str) -> tuple[int, float]:
    """The same occurrence and delivery rows, inserted with one executemany per table."""
    source, target = make_engine(source_url), make_engine(target_url)
    with source.connect() as conn:
        tables = {t: [dict(r._mapping) for r in conn.execute(select(t))]
                  for t in (Occurrence.__table__, Delivery.__table__)}
    source.dispose()
    with target.begin() as conn:  # parents first, rows already carry ids
        conn.execute(text("DELETE FROM delivery"))
        conn.execute(text("DELETE FROM occurrence"))
    began = time.perf_counter()
    with target.begin() as conn:
        for table, rows in tables.items():
            conn.execute(insert(table), rows)
    elapsed = time.perf_counter() - began
    target.dispose()
    return sum(len(r) for r in tables.values()), elapsed


def run(name: str, make_url) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plan_file = Path(tmp) / "bench.yaml"
        plan_file.write_text(plan_yaml(random.Random(2025)), encoding="utf-8")
        ours_url, base_url = make_url(tmp, "ours"), make_url(tmp, "base")
        for url in (ours_url, base_url):
            upgrade(url)
        # The baseline database needs the same departments, duties and contacts (foreign keys).
        ours_t = ours(ours_url, plan_file)
        seed(base_url, plan_file)
        rows, base_t = baseline(ours_url, base_url)
    print(f"planning on {name}: {DEPARTMENTS} departments x {DUTIES} duties, one year ({rows:,} rows)")
    print(f"  raw executemany baseline : {base_t:7.2f} s = {rows / base_t:>10,.0f} rows/s")
    print(f"  duban plan load + planner: {ours_t:7.2f} s = {rows / ours_t:>10,.0f} rows/s")
    print(f"  ratio (duban / baseline) : {ours_t / base_t:.2f}x (target <= 3x)")


def seed(url: str, plan_file: Path) -> None:
    """Departments, contacts and duties without timing (the baseline then replaces the rest)."""
    engine = make_engine(url)
    with Session(engine) as session:
        store_plan(session, read_plan(plan_file, TODAY), calendar=calendar_for("CN"), today=TODAY,
                   horizon_days=0, now=utcnow())
        session.commit()
    engine.dispose()


def main() -> None:
    run("SQLite", lambda tmp, name: f"sqlite:///{tmp}/{name}.db")
    if pg := pg_url():
        run("PostgreSQL", lambda _tmp, _name: fresh_pg(pg))


if __name__ == "__main__":
    main()
