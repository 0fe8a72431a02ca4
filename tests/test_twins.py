"""One obligation, one answer (issue 17): seed 000's water-quality duty (2-17) is due 30 Sep 2016 to
be completed and its third quarter ends that day. The reminder shows them as one item; answering
either, at any door, answers both, each in the log, and nothing more is sent about either."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from db.models import Answer, Contact, Delivery, Department, Duty, Occurrence, utcnow
from db.queries import add_contact
from db.vocabulary import DeliveryStatus, OccurrenceKind, OccurrenceStatus
from scheduler.access.links import Signer
from scheduler.answers.record import Actor, answer
from scheduler.calendar.workdays import calendar_for
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings

PLAN = Path(__file__).resolve().parents[1] / "plans" / "yingkou-2016.yaml"
CN = calendar_for("CN")
NOW = datetime(2016, 9, 26, 1, tzinfo=UTC)  # Monday before the deadline
SECRET = "twins-test-secret-key-0123456789abcdef"


@pytest.fixture
def water(engine):
    """The 30 Sep pair of 2-17 for 市环保局 (completion deadline first), with reminders planned."""
    with Session(engine) as s:
        store_plan(s, read_plan(PLAN, date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1), horizon_days=60,
                   now=utcnow())
        epb = s.exec(select(Department).where(Department.key == "epb")).one()
        add_contact(s, epb, name="张三", addresses={"email": "zhang@example.org"}, language="zh", role="primary")
        plan_deliveries(s, NOW, calendars=lambda _: CN, horizon_days=60)
        s.commit()
        duty = s.exec(select(Duty).where(Duty.key == "2-17")).one()
        pair = s.exec(select(Occurrence).where(Occurrence.duty_id == duty.id, Occurrence.department_id == epb.id,
                                               Occurrence.due == date(2016, 9, 30)).order_by(Occurrence.kind)).all()
    assert [(o.kind, o.period) for o in pair] == [(OccurrenceKind.due, "2016-09-30"),
                                                  (OccurrenceKind.recurring, "2016-Q3")]
    return engine, pair


def state(engine, pair) -> list[tuple[str, int]]:
    """Each occurrence's status and how many reminders it still has pending."""
    with Session(engine) as s:
        return [(s.get(Occurrence, o.id).status, len(s.exec(select(Delivery.id).where(
            Delivery.occurrence_id == o.id, Delivery.status == DeliveryStatus.pending)).all())) for o in pair]


def zhang(engine) -> Contact:
    with Session(engine) as s:
        return s.exec(select(Contact).where(Contact.name == "张三")).one()


def test_both_have_reminders_until_either_is_answered_then_neither(water):
    engine, (due, quarter) = water
    assert all(n > 0 for _, n in state(engine, (due, quarter)))
    with Session(engine) as s:
        outcome = answer(s, quarter.id, "done", actor=Actor("张三", contact_id=zhang(engine).id), channel="telegram",
                         now=NOW, origin="telegram:1001", note="已在网站公开")
        first, followed = outcome.answer.id, [a.id for a in outcome.twins]
        s.commit()
    assert state(engine, (due, quarter)) == [(OccurrenceStatus.done, 0), (OccurrenceStatus.done, 0)]
    with Session(engine) as s:
        log = s.exec(select(Answer).order_by(Answer.id)).all()
        done = s.get(Occurrence, due.id)
    assert [(a.occurrence_id, a.action, a.actor, a.channel, a.note) for a in log] == [
        (quarter.id, "done", "张三", "telegram", "已在网站公开"), (due.id, "done", "张三", "telegram", "已在网站公开")]
    assert log[1].origin == f"follows answer {first}; telegram:1001" and followed == [log[1].id]
    assert (done.done_by, done.note) == ("张三", "已在网站公开")
    with Session(engine) as s:  # planning again brings nothing back
        plan_deliveries(s, NOW + timedelta(hours=1), calendars=lambda _: CN, horizon_days=60)
        s.commit()
    assert state(engine, (due, quarter)) == [(OccurrenceStatus.done, 0), (OccurrenceStatus.done, 0)]


def test_a_snooze_snoozes_both_and_a_reopen_reopens_both(water):
    engine, (due, quarter) = water
    actor = Actor("市政府办公室", coordinator=True)
    with Session(engine) as s:
        answer(s, due.id, "snooze", actor=actor, channel="cli", now=NOW, snooze_until=NOW + timedelta(days=2))
        s.commit()
        assert [s.get(Occurrence, o.id).snoozed_until for o in (due, quarter)] == [NOW + timedelta(days=2)] * 2
        answer(s, due.id, "waive", actor=actor, channel="cli", now=NOW)
        s.commit()
    assert [st for st, _ in state(engine, (due, quarter))] == [OccurrenceStatus.waived] * 2
    with Session(engine) as s:
        answer(s, quarter.id, "reopen", actor=actor, channel="web", now=NOW)
        s.commit()
    assert [st for st, _ in state(engine, (due, quarter))] == [OccurrenceStatus.open] * 2


def test_a_request_for_help_is_asked_once(water):
    engine, (due, quarter) = water
    with Session(engine) as s:
        outcome = answer(s, due.id, "help", actor=Actor("张三", contact_id=zhang(engine).id), channel="email",
                         now=NOW, note="数据由市公用局提供")
        s.commit()
        asked = s.exec(select(Answer).where(Answer.action == "help")).all()
    assert outcome.twins == () and [a.occurrence_id for a in asked] == [due.id]
    assert [st for st, _ in state(engine, (due, quarter))] == [OccurrenceStatus.open] * 2


def test_the_link_in_the_email_answers_both(water):
    engine, (due, quarter) = water
    settings = Settings(_env_file=None, database_url=str(engine.url), secret_key=SECRET,
                        public_url="https://duban.example.org")
    signer = Signer(SECRET, "https://duban.example.org", now=lambda: NOW)
    link = signer.answer_url(due.id, "done", zhang(engine).id, "77")
    from web.app import create_app

    with TestClient(create_app(engine, settings, clock=lambda: NOW)) as web:
        path = re.sub(r"^https://duban\.example\.org", "", link)
        page = web.post(path)
    assert page.status_code == 200, page.text
    assert state(engine, (due, quarter)) == [(OccurrenceStatus.done, 0), (OccurrenceStatus.done, 0)]
