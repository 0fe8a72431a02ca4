"""The planner fills the outbox for the right people at the right times, idempotently."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from db.models import Answer, Contact, Delivery, Department, Occurrence, utcnow
from db.queries import add_contact
from scheduler.answers.record import Actor, Refused, answer
from scheduler.calendar.workdays import calendar_for
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from tests.test_planfile import VALID, write

CN = calendar_for("CN")


def calendars(kind: str):
    return CN


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def world(engine, tmp_path):
    """The demo plan loaded on 2016-09-01 with a contact per role."""
    data = read_plan(write(tmp_path, VALID), date(2016, 9, 1))
    with Session(engine) as s:
        store_plan(s, data, calendar=CN, today=date(2016, 9, 1), horizon_days=120, now=utcnow())
        depts = {d.key: d.id for d in s.exec(select(Department))}
        for dept, name, role in [("epb", "环保局领导", "supervisor"), ("office", "办公室督查科", "primary"),
                                 ("edu", "教育局联络员", "primary")]:
            add_contact(s, s.get(Department, depts[dept]), name=name, role=role, language="zh",
                        addresses={"email": f"{role}-{dept}@example.org"})
        s.commit()
        contacts = {c.name: c.id for c in s.exec(select(Contact))}
    return engine, depts, contacts


def plan(engine, now) -> dict:
    with Session(engine) as s:
        report = plan_deliveries(s, now, calendars=calendars, horizon_days=120)
        s.commit()
    return report.as_json()


def deliveries(engine, **where) -> list[Delivery]:
    with Session(engine) as s:
        q = select(Delivery)
        for k, v in where.items():
            q = q.where(getattr(Delivery, k) == v)
        return list(s.exec(q.order_by(Delivery.send_at, Delivery.id)))


def water_due(engine) -> Occurrence:
    with Session(engine) as s:
        return s.exec(select(Occurrence).where(Occurrence.kind == "due")).one()


def test_lead_contacts_get_reminders_before_and_on_the_due_date(world):
    engine, _depts, contacts = world
    plan(engine, utc(2016, 9, 1))
    occ = water_due(engine)
    rows = deliveries(engine, occurrence_id=occ.id, contact_id=contacts["张三"])
    # plan policy before: [3, 1, 0] working days, at 09:30 Shanghai = 01:30 UTC.
    assert [(r.purpose, r.send_at) for r in rows] == [
        ("upcoming", utc(2016, 9, 27, 1, 30)), ("upcoming", utc(2016, 9, 29, 1, 30)), ("due", utc(2016, 9, 30, 1, 30))]
    assert all(not r.informational and r.status == "pending" for r in rows)


def test_planning_twice_adds_nothing(world):
    engine, *_ = world
    first = plan(engine, utc(2016, 9, 1))
    assert first["deliveries_added"] > 0
    assert plan(engine, utc(2016, 9, 1)) == {**first, "deliveries_added": 0}


def test_support_departments_get_informational_copies_only(world):
    engine, _depts, contacts = world
    plan(engine, utc(2016, 9, 1))
    office = deliveries(engine, contact_id=contacts["办公室督查科"])
    # The office supports 2-17 (copies, never chased) and coordinates (escalations of the overdue
    # 7-31 start, weekly summaries).
    copies = [r for r in office if r.purpose not in ("escalation", "weekly")]
    assert copies and all(r.informational and r.purpose in ("upcoming", "due") for r in copies)
    assert all(not r.informational for r in office if r.purpose in ("escalation", "weekly"))


def test_the_coordinator_gets_a_summary_on_each_weeks_first_working_day(world):
    engine, _, contacts = world
    plan(engine, utc(2016, 9, 1))  # a Thursday: this week's summary has gone by, next Monday's is planned
    plan(engine, utc(2016, 9, 30, 12))  # the week of 3 Oct first works on Saturday 8 Oct (调休)
    weekly = deliveries(engine, contact_id=contacts["办公室督查科"], purpose="weekly")
    assert [r.send_at for r in weekly] == [utc(2016, 9, 5, 1, 30), utc(2016, 10, 8, 1, 30)]
    assert {r.body for r in weekly} == {"demo"} and {r.occurrence_id for r in weekly} == {None}


def test_overdue_nudges_and_one_escalation_to_supervisor_and_coordinator(world):
    engine, _depts, contacts = world
    plan(engine, utc(2016, 10, 11, 2))  # 2-17 was due 2016-09-30; escalate_after 3 = 2016-10-10
    occ = water_due(engine)
    nudges = deliveries(engine, occurrence_id=occ.id, contact_id=contacts["张三"], purpose="overdue")
    assert nudges[0].send_at == utc(2016, 10, 11, 1, 30) and len(nudges) >= 5
    escalations = deliveries(engine, occurrence_id=occ.id, purpose="escalation")
    assert sorted(r.contact_id for r in escalations) == sorted([contacts["环保局领导"], contacts["办公室督查科"]])
    plan(engine, utc(2016, 10, 20, 2))
    assert len(deliveries(engine, occurrence_id=occ.id, purpose="escalation")) == 2  # once, not again


def test_answering_done_cancels_pending_and_planning_again_adds_nothing_for_it(world):
    engine, _depts, contacts = world
    plan(engine, utc(2016, 9, 1))
    occ = water_due(engine)
    with Session(engine) as s:
        outcome = answer(s, occ.id, "done", actor=Actor("张三", contact_id=contacts["张三"]), channel="cli",
                         now=utc(2016, 9, 2), evidence_url="https://example.org/water.html")
        s.commit()
        assert outcome.changed and outcome.occurrence.status == "done"
    assert {r.status for r in deliveries(engine, occurrence_id=occ.id)} == {"cancelled"}
    assert plan(engine, utc(2016, 9, 3))["deliveries_added"] == 0
    with Session(engine) as s:
        again = answer(s, occ.id, "done", actor=Actor("张三", contact_id=contacts["张三"]), channel="telegram",
                       now=utc(2016, 9, 4))
        s.commit()
        log = s.exec(select(Answer).where(Answer.occurrence_id == occ.id).order_by(Answer.id)).all()
    assert again.changed is False
    assert [(a.action, a.changed, a.channel) for a in log] == [("done", True, "cli"), ("done", False, "telegram")]


def test_a_contact_of_another_department_is_refused_and_the_attempt_logged(world):
    engine, _depts, contacts = world
    occ = water_due(engine)
    with Session(engine) as s, pytest.raises(Refused):
        answer(s, occ.id, "done", actor=Actor("教育局联络员", contact_id=contacts["教育局联络员"]),
               channel="telegram", now=utc(2016, 9, 2))
    with Session(engine) as s:
        assert s.get(Occurrence, occ.id).status == "open"
        assert [a.action for a in s.exec(select(Answer))] == ["refused"]


def test_snooze_moves_the_next_reminder(world):
    engine, _depts, contacts = world
    plan(engine, utc(2016, 9, 1))
    occ = water_due(engine)
    wake = utc(2016, 9, 29, 6)
    with Session(engine) as s:
        answer(s, occ.id, "snooze", actor=Actor("张三", contact_id=contacts["张三"]), channel="cli",
               now=utc(2016, 9, 26), snooze_until=wake)
        s.commit()
    plan(engine, utc(2016, 9, 26))
    pending = deliveries(engine, occurrence_id=occ.id, contact_id=contacts["张三"], status="pending")
    before_due = [(r.purpose, r.send_at) for r in pending if r.purpose != "overdue"]
    assert before_due == [("due", wake), ("due", utc(2016, 9, 30, 1, 30))]
    assert all(r.send_at >= wake for r in pending)


def test_help_queues_a_notice_to_the_coordinating_office(world):
    engine, _depts, contacts = world
    occ = water_due(engine)
    with Session(engine) as s:
        answer(s, occ.id, "help", actor=Actor("张三", contact_id=contacts["张三"]), channel="email",
               now=utc(2016, 9, 2), note="水质数据还没拿到")
        s.commit()
    help_rows = deliveries(engine, purpose="help")
    assert [(r.contact_id, r.body) for r in help_rows] == [(contacts["办公室督查科"], "张三: 水质数据还没拿到")]


def test_a_moved_deadline_cancels_the_old_reminders_and_plans_new_ones(world, tmp_path):
    engine, _depts, _contacts = world
    plan(engine, utc(2016, 9, 1))
    edited = read_plan(write(tmp_path, VALID.replace("9月底前完成", "10月底前完成"), "edited.yaml"), date(2016, 9, 1))
    with Session(engine) as s:
        store_plan(s, edited, calendar=CN, today=date(2016, 9, 1), horizon_days=120, now=utcnow())
        s.commit()
    plan(engine, utc(2016, 9, 1, 12))
    with Session(engine) as s:
        dues = s.exec(select(Occurrence).where(Occurrence.kind == "due").order_by(Occurrence.due)).all()
    old, new = dues
    assert {r.status for r in deliveries(engine, occurrence_id=old.id)} == {"cancelled"}
    assert deliveries(engine, occurrence_id=new.id, purpose="due")[0].send_at == utc(2016, 10, 31, 1, 30)


def test_an_unknown_occurrence_or_action_is_a_clear_error(world):
    engine, _depts, _contacts = world
    from db.queries import NotFound

    with Session(engine) as s:
        with pytest.raises(NotFound, match="no occurrence #999999"):
            answer(s, 999999, "done", actor=Actor("x", coordinator=True), channel="cli", now=utc(2016, 9, 1))
        with pytest.raises(ValueError, match="unknown action"):
            answer(s, water_due(engine).id, "explode", actor=Actor("x", coordinator=True), channel="cli",
                   now=utc(2016, 9, 1))
        with pytest.raises(ValueError, match="Not a web link"):
            answer(s, water_due(engine).id, "done", actor=Actor("x", coordinator=True), channel="cli",
                   now=utc(2016, 9, 1), evidence_url="javascript:alert(1)")


