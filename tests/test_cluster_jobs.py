"""Jobs that must run once in a cluster: planning (the horizon's occurrences, reminders, digests,
weekly summaries, escalations) runs in one instance at a time under a PostgreSQL advisory lock;
another instance planning at the same moment skips its turn, and loading a plan waits for it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, select

from db import locks
from db.engine import make_engine
from db.models import Delivery, Occurrence
from duban.service import Planning, plan_all
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan

ROOT = Path(__file__).resolve().parents[1]
CN = calendar_for("CN")
PLANNING = Planning(lambda _kind: CN, horizon_days=120)
NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)


def load_example(engine) -> None:
    with Session(engine) as s:
        store_plan(s, read_plan(ROOT / "plans" / "example.yaml", date(2026, 3, 2)), calendar=CN,
                   today=date(2026, 3, 2), horizon_days=120, now=NOW)
        s.commit()


def count(engine, table) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_while_one_instance_plans_another_skips_its_turn_and_plans_the_next(pg_url):
    engine = make_engine(pg_url)
    load_example(engine)
    with Session(engine) as planning_elsewhere:
        assert locks.try_take(planning_elsewhere, locks.PLANS)
        skipped = plan_all(engine, PLANNING, NOW)
        assert skipped.skipped and skipped.as_json()["planned_elsewhere"]
        assert count(engine, Delivery) == 0
    planned = plan_all(engine, PLANNING, NOW)  # the other's transaction ended: the lock is free
    assert not planned.skipped and planned.added == count(engine, Delivery) > 0
    assert plan_all(engine, PLANNING, NOW).added == 0  # and planning again adds nothing
    engine.dispose()


def test_loading_a_plan_waits_for_the_instance_that_is_planning(pg_url):
    engine = make_engine(pg_url)
    loaded = threading.Event()

    def load() -> None:
        load_example(engine)
        loaded.set()

    with Session(engine) as planning_elsewhere:
        assert locks.try_take(planning_elsewhere, locks.PLANS)
        loader = threading.Thread(target=load)
        loader.start()
        deadline = time.monotonic() + 60
        while not waiting_for_advisory_lock(planning_elsewhere):
            assert time.monotonic() < deadline and not loaded.is_set(), "the load did not wait for the lock"
            time.sleep(0.02)
        assert not loaded.is_set()
    loader.join(timeout=60)
    assert loaded.is_set() and count(engine, Occurrence) > 0
    engine.dispose()


def waiting_for_advisory_lock(session: Session) -> bool:
    return session.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
                           ).scalar() > 0


def test_two_deployments_on_one_server_do_not_share_a_lock(pg_url, db_url):
    """The key names the schema: another schema's planning (another test run, another deployment
    on the same server) never makes this one skip."""
    mine, other = make_engine(pg_url), make_engine(db_url)
    load_example(mine)
    with Session(other) as s:
        assert locks.try_take(s, locks.PLANS)  # on SQLite it is always granted
        assert not plan_all(mine, PLANNING, NOW).skipped
    mine.dispose()
    other.dispose()
