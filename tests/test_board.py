"""scheduler/reports/board.py: the board's numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from db.models import Attempt, Delivery
from scheduler.answers.record import Actor, answer
from scheduler.reports.board import board, history
from tests.board_world import load
from tests.web_world import NOW, contact, occurrence

OFFICE = Actor(name="督办科", coordinator=True)


def _answer(engine, occ_id: int, action: str, at: datetime) -> None:
    with Session(engine) as session:
        answer(session, occ_id, action, actor=OFFICE, channel="web", now=at)
        session.commit()


def test_rates_count_what_is_due_by_today(engine, tmp_path):
    load(engine, tmp_path)
    # 2016-09-26 in Beijing: epb has 2-17 (07-31) and 1-1 (07-28, 08-28) due; edu has 1-1 twice.
    on_time = occurrence(engine, "1-1", "epb", date(2016, 8, 28))
    _answer(engine, on_time.id, "done", datetime(2016, 8, 28, 8, tzinfo=UTC))  # 16:00 Beijing, on the day
    late = occurrence(engine, "1-1", "epb", date(2016, 7, 28))
    _answer(engine, late.id, "done", datetime(2016, 8, 1, 2, tzinfo=UTC))
    waived = occurrence(engine, "1-1", "edu", date(2016, 7, 28))
    _answer(engine, waived.id, "waive", NOW)
    with Session(engine) as session:
        b = board(session, NOW)
    scores = {d.name: d for d in b.departments}
    epb, edu = scores["市环保局"], scores["市教育局"]
    assert (epb.counts["on_time"], epb.counts["late"], epb.counts["overdue"], epb.counted) == (1, 1, 1, 3)
    assert epb.completion_rate == 2 / 3 and epb.on_time_rate == 1 / 3
    assert (edu.counts["waived"], edu.counted, edu.completion_rate) == (1, 1, 0.0)
    assert "市政府办公室" not in scores  # nothing of its own due: no row rather than 0 of 0
    assert b.today == date(2016, 9, 26)


def test_overdue_upcoming_and_heatmap(engine, tmp_path):
    load(engine, tmp_path)
    with Session(engine) as session:
        b = board(session, NOW)
    days = [(late.duty_key, late.department, late.days_overdue) for late in b.overdue]
    assert days == [("1-1", "市教育局", 60), ("1-1", "市环保局", 60), ("2-17", "市环保局", 57),
                    ("1-1", "市教育局", 29), ("1-1", "市环保局", 29)]  # most overdue first
    upcoming = [(r.due, r.department) for r in b.upcoming]
    assert upcoming == sorted(upcoming, key=lambda u: u[0]) and len(upcoming) == 4
    assert upcoming[0][0] == date(2016, 9, 28) and upcoming[-1][0] == date(2016, 9, 30)
    assert all(NOW.date() <= due <= NOW.date() + timedelta(days=14) for due, _ in upcoming)
    assert b.due_per_day[date(2016, 9, 28)] == 2 and date(2016, 1, 1) not in b.due_per_day
    assert sum(b.due_per_day.values()) >= len(b.overdue) + len(upcoming)
    # a day later, Beijing time: the 09-28 items are still upcoming, the overdue ones one day older
    with Session(engine) as session:
        later = board(session, NOW + timedelta(days=1))
    assert [late.days_overdue for late in later.overdue][:1] == [61]


def test_history_lists_deliveries_attempts_and_answers_in_order(engine, tmp_path):
    load(engine, tmp_path)
    occ = occurrence(engine, "2-17")
    person = contact(engine)
    with Session(engine) as session:
        delivery = Delivery(occurrence_id=occ.id, contact_id=person.id, channel="email", purpose="overdue",
                            send_at=NOW - timedelta(hours=2), status="sent", idempotency_key="h-1")
        session.add(delivery)
        session.flush()
        session.add(Attempt(delivery_id=delivery.id, at=NOW - timedelta(hours=1), channel="email", ok=False,
                            error="421 try later"))
        session.commit()
    with Session(engine) as session:
        answer(session, occ.id, "done", actor=OFFICE, channel="web", now=NOW, note="电话确认")
        session.commit()
    with Session(engine) as session:
        h = history(session, occ.id, NOW)
    assert [i.kind for i in h.items] == ["delivery", "attempt", "answer"]
    assert "421 try later" in str(h.items[1].text) and "电话确认" in str(h.items[2].text)
    assert str(h.items[1].text) == "发送逾期未完成提醒（email）失败：421 try later"  # each reader's language
    assert h.items[1].text.say("en") == "sending overdue reminder via email failed: 421 try later"
    assert h.items[2].at.utcoffset() == timedelta(hours=8)  # shown in the plan's time zone
    assert h.outcome == "late" and h.days_overdue == 57
