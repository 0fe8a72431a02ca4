"""Loading plans into the database: idempotent, edits change only what changed (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from db.models import Department, Duty, Occurrence, utcnow
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import extend_horizon, store_plan
from tests.test_planfile import VALID, write

TODAY = date(2016, 8, 1)
CN = calendar_for("CN")


def load(engine, tmp_path, text, today=TODAY, horizon=200):
    data = read_plan(write(tmp_path, text), today)
    with Session(engine) as session:
        report = store_plan(session, data, calendar=CN, today=today, horizon_days=horizon, now=utcnow())
        session.commit()
    return report.changes


def occurrences(engine, **where) -> list[Occurrence]:
    with Session(engine) as session:
        query = select(Occurrence)
        for k, v in where.items():
            query = query.where(getattr(Occurrence, k) == v)
        return list(session.exec(query.order_by(Occurrence.due, Occurrence.id)).all())


def test_loading_twice_changes_nothing(engine, tmp_path):
    first = load(engine, tmp_path, VALID)
    assert first["departments_added"] == 3 and first["duties_added"] == 2 and first["occurrences_added"] > 0
    before = [(o.id, o.due, o.status) for o in occurrences(engine)]
    assert load(engine, tmp_path, VALID) == {}
    assert [(o.id, o.due, o.status) for o in occurrences(engine)] == before


def test_each_lead_department_gets_its_own_occurrences(engine, tmp_path):
    load(engine, tmp_path, VALID)
    with Session(engine) as session:
        depts = {d.key: d.id for d in session.exec(select(Department)).all()}
    monthly = occurrences(engine, kind="recurring", period="2016-08")
    assert sorted(o.department_id for o in monthly) == sorted([depts["epb"], depts["edu"]])
    assert {o.due for o in monthly} == {date(2016, 8, 28)}
    assert not occurrences(engine, department_id=depts["office"])  # support is never chased


def test_an_edited_deadline_moves_open_occurrences_and_keeps_answered_ones(engine, tmp_path):
    load(engine, tmp_path, VALID)
    start = occurrences(engine, kind="start")[0]
    with Session(engine) as session:
        row = session.get(Occurrence, start.id)
        row.status = "done"
        session.add(row)
        session.commit()
    changes = load(engine, tmp_path, VALID.replace("9月底前完成", "10月底前完成").replace("7月底前启动", "8月底前启动"))
    assert changes["duties_updated"] == 1
    assert changes["occurrences_cancelled"] == 1  # the old 9-30 due; the answered 7-31 start stays done
    dues = occurrences(engine, kind="due")
    assert [(o.due, o.status) for o in dues] == [(date(2016, 9, 30), "cancelled"), (date(2016, 10, 31), "open")]
    starts = occurrences(engine, kind="start")
    assert [(o.due, o.status) for o in starts] == [(date(2016, 7, 31), "done"), (date(2016, 8, 31), "open")]


def test_a_duty_removed_from_the_file_is_kept_inactive_with_its_open_occurrences_cancelled(engine, tmp_path):
    load(engine, tmp_path, VALID)
    water_only = VALID.split('  - id: "1-1"')[0]
    changes = load(engine, tmp_path, water_only)
    assert changes["duties_removed"] == 1
    with Session(engine) as session:
        gone = session.exec(select(Duty).where(Duty.key == "1-1")).one()
        assert gone.active is False
    assert {o.status for o in occurrences(engine, duty_id=gone.id)} == {"cancelled"}
    assert load(engine, tmp_path, water_only) == {}


def test_the_horizon_moves_forward_with_the_clock(engine, tmp_path):
    load(engine, tmp_path, VALID, horizon=30)
    last = max(o.due for o in occurrences(engine, kind="recurring"))
    with Session(engine) as session:
        from db.models import Plan

        plan = session.exec(select(Plan)).one()
        report = extend_horizon(session, plan, calendar=CN, today=date(2016, 12, 1), horizon_days=30, now=utcnow())
        session.commit()
    assert report.changes["occurrences_added"] > 0
    assert max(o.due for o in occurrences(engine, kind="recurring")) > last
