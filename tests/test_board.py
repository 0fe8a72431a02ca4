"""scheduler/reports/board.py: the board's numbers, on SQLite and PostgreSQL. The demo plan for
exact expectations; a city (bench/board_world.py) for the counts done in SQL, checked against
counting every row in Python."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from db.models import Answer, Attempt, Delivery, Department, Duty, Occurrence, Plan
from db.vocabulary import Action, OccurrenceStatus
from scheduler.answers.help import reply, resolve
from scheduler.answers.record import Actor, answer
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.reports.board import (
    GROUPS_PER_PAGE,
    ROWS_PER_GROUP,
    ROWS_PER_PAGE,
    Filter,
    board_page,
    due_per_day,
    history,
    scores,
    today,
)
from scheduler.reports.monthly import outcome_of
from tests.board_world import city, load
from tests.test_planfile import write
from tests.web_world import NOW, contact, occurrence

OFFICE = Actor(name="督办科", coordinator=True)


def _answer(engine, occ_id: int, action: str, at: datetime, note: str | None = None) -> None:
    with Session(engine) as session:
        answer(session, occ_id, action, actor=OFFICE, channel="web", now=at, note=note)
        session.commit()


def _page(engine, f: Filter | None = None, now: datetime = NOW):
    with Session(engine) as session:
        return board_page(session, now, f or Filter())


def test_rates_count_what_is_due_by_today(engine, tmp_path):
    load(engine, tmp_path)
    # 2016-09-26 in Beijing: epb has 2-17 (07-31) and 1-1 (07-28, 08-28) due; edu has 1-1 twice.
    on_time = occurrence(engine, "1-1", "epb", date(2016, 8, 28))
    _answer(engine, on_time.id, "done", datetime(2016, 8, 28, 15, 59, tzinfo=UTC))  # 23:59 Beijing, on the day
    late = occurrence(engine, "1-1", "epb", date(2016, 7, 28))
    _answer(engine, late.id, "done", datetime(2016, 7, 28, 16, 0, tzinfo=UTC))  # 00:00 Beijing, the day after
    waived = occurrence(engine, "1-1", "edu", date(2016, 7, 28))
    _answer(engine, waived.id, "waive", NOW)
    with Session(engine) as session:
        ids = dict(session.exec(select(Department.key, Department.id)).all())
        found = scores(session, today(session, NOW), [ids["epb"], ids["edu"], ids["office"]], 2016)
    epb, edu, office = found[ids["epb"]], found[ids["edu"]], found[ids["office"]]
    assert (epb.counts["on_time"], epb.counts["late"], epb.counts["overdue"], epb.counted) == (1, 1, 1, 3)
    assert epb.completion_rate == 2 / 3 and epb.on_time_rate == 1 / 3
    assert (edu.counts["waived"], edu.counted, edu.completion_rate) == (1, 1, 0.0)
    assert office.counted == 0 and office.completion_rate is None  # nothing of its own due: no rate, not 0%


def test_overdue_rows_most_days_first_and_upcoming_soonest_first(engine, tmp_path):
    load(engine, tmp_path)
    b = _page(engine, Filter(view="rows"))
    days = [(i.duty_key, i.department, i.days_overdue, i.outcome) for i in b.rows]
    assert days == [("1-1", "市教育局", 60, "overdue"), ("1-1", "市环保局", 60, "overdue"),
                    ("2-17", "市环保局", 57, "overdue"), ("1-1", "市教育局", 29, "overdue"),
                    ("1-1", "市环保局", 29, "overdue")]
    assert b.counts == {"overdue": 5, "upcoming": 4, "help": 0} and b.page.total == 5
    upcoming = _page(engine, Filter(status="upcoming", view="rows", sort="due")).rows
    assert [i.due for i in upcoming] == sorted(i.due for i in upcoming) and len(upcoming) == 4
    assert upcoming[0].due == date(2016, 9, 28) and upcoming[-1].due == date(2016, 9, 30)
    assert all(i.outcome == "open" and i.days_overdue == 0 for i in upcoming)
    later = _page(engine, Filter(view="rows"), NOW + timedelta(days=1))  # a day later, Beijing time
    assert later.rows[0].days_overdue == 61


def test_departments_view_groups_with_counts_and_the_most_urgent_first(engine, tmp_path):
    load(engine, tmp_path)
    b = _page(engine)
    groups = [(g.name, g.count, g.first_due, g.days_overdue) for g in b.groups]
    assert groups == [("市教育局", 2, date(2016, 7, 28), 60), ("市环保局", 3, date(2016, 7, 28), 60)]
    epb = b.groups[1]
    assert [i.duty_key for i in epb.items] == ["1-1", "2-17", "1-1"][:ROWS_PER_GROUP]
    assert epb.score.counted == 3 and epb.score.counts["overdue"] == 3 and epb.key == "epb"
    by_count = _page(engine, Filter(sort="count"))
    assert [g.name for g in by_count.groups] == ["市环保局", "市教育局"]


def test_filters_department_plan_period_search_and_status(engine, tmp_path):
    load(engine, tmp_path)
    with Session(engine) as session:
        ids = dict(session.exec(select(Department.key, Department.id)).all())
        plan_id = session.exec(select(Plan.id)).one()
    only_epb = _page(engine, Filter(departments=(ids["epb"],), view="rows"))
    assert {i.department for i in only_epb.rows} == {"市环保局"} and only_epb.page.total == 3
    assert _page(engine, Filter(plan_id=plan_id, view="rows")).page.total == 5
    assert _page(engine, Filter(plan_id=plan_id + 1, view="rows")).page.total == 0
    august = _page(engine, Filter(first=date(2016, 8, 1), last=date(2016, 8, 31), view="rows"))
    assert [i.due for i in august.rows] == [date(2016, 8, 28)] * 2
    by_title = _page(engine, Filter(search="饮用水", view="rows"))
    assert [i.duty_key for i in by_title.rows] == ["2-17"]
    by_alias = _page(engine, Filter(search="环境保护", view="rows"))  # 市环境保护局, an alias of 市环保局
    assert {i.department for i in by_alias.rows} == {"市环保局"} and by_alias.page.total == 3
    assert _page(engine, Filter(search="100%_", view="rows")).page.total == 0  # LIKE's wildcards are text
    done = occurrence(engine, "2-17")
    _answer(engine, done.id, "done", NOW)
    assert [i.occurrence_id for i in _page(engine, Filter(status="done", view="rows")).rows] == [done.id]
    assert _page(engine, Filter(status="done", view="rows")).rows[0].outcome == "late"
    assert _page(engine, Filter(status="waived", view="rows")).page.total == 0
    assert _page(engine).counts["overdue"] == 4


def test_help_requests_wait_until_resolved_with_their_replies(engine, tmp_path):
    load(engine, tmp_path)
    late = occurrence(engine, "2-17")
    zhang = contact(engine)
    with Session(engine) as session:
        asked = answer(session, late.id, "help", actor=Actor("张三", contact_id=zhang.id), channel="telegram",
                       now=NOW - timedelta(hours=2), note="数据口径不清楚").answer
        session.commit()
        session.refresh(asked)
    b = _page(engine)
    assert b.counts["help"] == 1 and b.help_page.total == 1
    request = b.help[0]
    assert (request.answer_id, request.note, request.asked_by, request.department, request.duty) == (
        asked.id, "数据口径不清楚", "张三", "市环保局", "饮用水水质信息公开")
    assert request.asked_at == NOW - timedelta(hours=2) and request.replies == []
    assert [i.occurrence_id for i in _page(engine, Filter(status="help", view="rows")).rows] == [late.id]
    with Session(engine) as session:
        reply(session, asked.id, "按去年口径填报", actor=OFFICE, signed="督办科", now=NOW)
        session.commit()
    replied = _page(engine).help[0]
    assert [(r.note, r.actor) for r in replied.replies] == [("按去年口径填报", "督办科")]
    with Session(engine) as session:
        resolve(session, asked.id, actor=OFFICE, now=NOW)
        session.commit()
    after = _page(engine)
    assert after.help == [] and after.counts["help"] == 0
    assert _page(engine, Filter(status="help", view="rows")).page.total == 0


def test_due_per_day_leaves_out_cancelled_ones(engine, tmp_path):
    load(engine, tmp_path)
    with Session(engine) as session:
        per_day = due_per_day(session, 2016)
        session.exec(update(Occurrence).where(Occurrence.due == date(2016, 9, 28))
                     .values(status=OccurrenceStatus.cancelled))
        session.commit()
        assert due_per_day(session, 2016).get(date(2016, 9, 28)) is None
    assert per_day[date(2016, 9, 28)] == 2 and date(2016, 1, 1) not in per_day
    assert sum(per_day.values()) >= 9


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin"])  # Berlin: a zone with summer time
def test_city_counts_in_sql_match_every_row_counted_in_python(engine, zone):
    """The per-department outcomes (on time by the plan's local date), the groups and the
    heat-map, counted in SQL, equal what outcome_of says of each row; done times sit on both
    sides of local midnight, in winter and in summer time."""
    city(engine, departments=40, duties=8, help_requests=5)
    with Session(engine) as session:
        session.exec(update(Plan).values(timezone=zone))
        rows = session.exec(select(Occurrence, Plan).join(Duty, Occurrence.duty_id == Duty.id)
                            .join(Plan, Duty.plan_id == Plan.id)).all()
        for n, (occ, _) in enumerate(rows):  # done at 23:59:59, 00:00 or 00:00:01 local, around its due date
            if occ.status == OccurrenceStatus.done:
                midnight = datetime.combine(occ.due + timedelta(days=1), datetime.min.time()).replace(
                    tzinfo=ZoneInfo(zone))
                occ.done_at = (midnight + timedelta(seconds=(n % 3) - 1)).astimezone(UTC)
                session.add(occ)
        session.commit()
        t = today(session, NOW)
        departments = list(session.exec(select(Department.id)).all())
        counted = scores(session, t, departments, 2016)
        expected: dict[int, Counter] = {d: Counter() for d in departments}
        for occ, plan in session.exec(select(Occurrence, Plan).join(Duty, Occurrence.duty_id == Duty.id)
                                      .join(Plan, Duty.plan_id == Plan.id)).all():
            outcome = outcome_of(occ, plan, t.by_plan[plan.id])
            if occ.status != OccurrenceStatus.cancelled and outcome != "open" and occ.due.year == 2016:
                expected[occ.department_id][outcome] += 1
        assert {d: {k: v for k, v in s.counts.items() if v} for d, s in counted.items()} == {
            d: dict(c) for d, c in expected.items()}
        assert sum(c["late"] for c in expected.values()) > 0 and sum(c["on_time"] for c in expected.values()) > 0
        overdue = sum(c["overdue"] for c in expected.values())
    b = _page(engine, Filter(sort="department"))
    assert b.counts["overdue"] == overdue and b.page.total == 40
    assert [g.name for g in b.groups] == sorted(g.name for g in b.groups)  # code-point order on both databases
    assert len(b.groups) == GROUPS_PER_PAGE and all(len(g.items) == min(g.count, ROWS_PER_GROUP) for g in b.groups)
    second = _page(engine, Filter(sort="department", page=2))
    assert second.groups[0].name > b.groups[-1].name and second.page.number == 2
    rows = _page(engine, Filter(view="rows", page=3))
    assert rows.page.total == overdue and len(rows.rows) == ROWS_PER_PAGE
    assert _page(engine, Filter(view="rows", page=10_000)).page.number == rows.page.pages  # past the end: the last


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
    _answer(engine, occ.id, "done", NOW, note="电话确认")
    with Session(engine) as session:
        h = history(session, occ.id, NOW)
    assert [i.kind for i in h.items] == ["delivery", "attempt", "answer"]
    assert "421 try later" in str(h.items[1].text) and "电话确认" in str(h.items[2].text)
    assert str(h.items[1].text) == "发送逾期未完成提醒（email）失败：421 try later"  # each reader's language
    assert h.items[1].text.say("en") == "sending overdue reminder via email failed: 421 try later"
    assert h.items[2].at.utcoffset() == timedelta(hours=8)  # shown in the plan's time zone
    assert h.outcome == "late" and h.days_overdue == 57


def test_a_reply_and_a_resolution_are_in_the_history_in_the_readers_words(engine, tmp_path):
    load(engine, tmp_path)
    occ = occurrence(engine, "2-17")
    with Session(engine) as session:
        asked = answer(session, occ.id, "help", actor=Actor("张三", contact_id=contact(engine).id),
                       channel="email", now=NOW).answer
        reply(session, asked.id, "已电话联系", actor=OFFICE, signed="督办科", now=NOW, resolve_too=True)
        session.commit()
        actions = [a.action for a in session.exec(select(Answer).order_by(Answer.id))]
        h = history(session, occ.id, NOW)
    assert actions == [Action.help, Action.reply, Action.resolve]
    said = [str(i.text) for i in h.items]
    assert "督办科 回复 (web) — 已电话联系" in said and "督办科 标记已解决 (web)" in said
    assert any(i.text.say("en").startswith("reply by") for i in h.items)


NEW_YORK_PLAN = """\
version: 1
plan: {id: ny, title: 纽约办事处, issued: 2016-07-01, year: 2016, timezone: America/New_York, coordinator: nyo}
departments:
  - {id: nyo, name: 驻纽约办事处}
duties:
  - {id: n1, title: 周报, lead: [nyo], schedule: {due: 2016-09-25}}
  - {id: n2, title: 月报, lead: [nyo], schedule: {due: 2016-09-24}}
"""


def test_each_plan_counts_overdue_by_its_own_today(engine, tmp_path):
    """At 10:00 in Beijing it is still the 25th in New York: a New York duty due on the 25th is not
    overdue yet, one due on the 24th is (1 day); done on the 24th at 23:00 New York time is on time."""
    load(engine, tmp_path)
    with Session(engine) as session:
        store_plan(session, read_plan(write(tmp_path, NEW_YORK_PLAN, "ny.yaml"), date(2016, 8, 1)),
                   calendar=calendar_for("CN"), today=date(2016, 8, 1), horizon_days=400, now=NOW)
        session.commit()
    overdue = _page(engine, Filter(view="rows", search="驻纽约"))
    assert [(i.duty, i.days_overdue) for i in overdue.rows] == [("月报", 1)]
    upcoming = _page(engine, Filter(status="upcoming", view="rows", search="驻纽约"))
    assert [(i.duty, i.due) for i in upcoming.rows] == [("周报", date(2016, 9, 25))]
    assert _page(engine).counts["overdue"] == 6  # the demo's 5 and New York's one
    monthly = occurrence(engine, "n2", "nyo")
    _answer(engine, monthly.id, "done", datetime(2016, 9, 25, 3, tzinfo=UTC))  # 23:00 on the 24th in New York
    with Session(engine) as session:
        t = today(session, NOW)
        nyo = session.exec(select(Department.id).where(Department.key == "nyo")).one()
        epb = session.exec(select(Department.id).where(Department.key == "epb")).one()
        found = scores(session, t, [nyo, epb], 2016)
    assert found[nyo].counts["on_time"] == 1 and found[nyo].counted == 1
    assert found[epb].counts["overdue"] == 3


def test_an_empty_board(engine):
    b = _page(engine)
    assert b.counts == {"overdue": 0, "upcoming": 0, "help": 0} and b.groups == [] and b.help == []
    assert (b.page.number, b.page.pages, b.page.total) == (1, 1, 0) and b.due_per_day == {}
