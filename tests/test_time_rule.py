"""The one time rule (issue 17 #3): what people type and read is in the deployment's time zone
(DUBAN_TIMEZONE, Asia/Shanghai by default) unless an offset is typed; answers can be back-dated.
Each door (CLI, board, API) with and without an offset, the formats printed, the monthly report
counting a back-dated answer, and the feeds' all-day dates. Both databases."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from db.models import Answer, Duty, Event, Occurrence, Plan
from scheduler import feeds, moments
from scheduler.access import feed_tokens
from scheduler.answers.events import record_event
from scheduler.answers.record import Actor, answer
from scheduler.calendar.workdays import calendar_for
from scheduler.reports.monthly import Month, month_report
from scheduler.reports.weekly import weekly_summary
from scheduler.settings import Settings
from tests.board_world import client, csrf_of, load, logged_in
from tests.test_cli_reminders import EVENT_DUTY
from tests.test_planfile import VALID, write
from tests.web_world import (
    NOW,
    PUBLIC,
    api_client,
    app_for,
    load_demo,
    occurrence,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")  # for scripts: offset, whole seconds
SHOWN = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b")  # for people: to the minute


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the rule itself -------------------------------------------------------------------------------

def test_a_moment_without_an_offset_is_the_zones_wall_clock_and_one_with_an_offset_is_kept():
    assert moments.read_moment("2016-09-29", SHANGHAI) == utc(2016, 9, 28, 16)
    assert moments.read_moment("2016-09-29 09:00", SHANGHAI) == utc(2016, 9, 29, 1)
    assert moments.read_moment("2016-09-29T09:00", ZoneInfo("UTC")) == utc(2016, 9, 29, 9)
    with_offset = moments.read_moment("2016-09-29T01:00:00+00:00", SHANGHAI)
    assert with_offset == utc(2016, 9, 29, 1) and with_offset.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="2016-09-30 09:00"):
        moments.read_moment("yesterday", SHANGHAI)
    with pytest.raises(ValueError, match="out of range"):
        moments.read_moment("9999-12-31 23:59", SHANGHAI)


def test_moments_are_shown_on_the_zones_clock_to_the_minute_and_stamped_to_the_second():
    moment = datetime(2016, 9, 29, 1, 0, 7, 123456, tzinfo=UTC)
    assert moments.shown(moment, SHANGHAI) == "2016-09-29 09:00"
    assert moments.stamp(moment, SHANGHAI) == "2016-09-29T09:00:07+08:00"
    assert moments.shown(None, SHANGHAI, "—") == "—"
    assert moments.shown(datetime(2016, 9, 29, 1), SHANGHAI) == "2016-09-29 09:00"  # naive rows are UTC
    late_evening = utc(2016, 9, 29, 16, 30)  # 00:30 on the 30th in Shanghai
    assert moments.local_day(late_evening, SHANGHAI) == date(2016, 9, 30)


def test_the_zone_defaults_to_shanghai_and_a_wrong_one_is_one_clear_message(cli, monkeypatch):
    assert Settings(_env_file=None).zone == SHANGHAI
    assert Settings(_env_file=None, timezone="UTC").zone.key == "UTC"
    for wrong in ("Mars/Olympus", "Asia", "+08:00", "../etc/passwd"):
        monkeypatch.setenv("DUBAN_TIMEZONE", wrong)
        result = cli("occurrences")
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        assert "DUBAN_TIMEZONE" in result.stderr and "未知的时区" in result.stderr
        assert "Asia/Shanghai" in result.stderr  # what to write instead


# --- the CLI's doors ---------------------------------------------------------------------------------

@pytest.fixture
def loaded(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_SECRET_FILE", str(tmp_path / "secret.key"))
    assert cli("db", "upgrade").exit_code == 0
    result = cli("plan", "load", str(write(tmp_path, VALID + EVENT_DUTY)))
    assert result.exit_code == 0, result.output
    return cli


def _occurrence(cli, duty: str, department: str, due: str, kind: str | None = None) -> int:
    """The id of a demo duty's occurrence (by key) for a department, due on `due`."""
    rows = cli.json("occurrences", "--department", department)
    return next(r["id"] for r in rows if r["duty"] == duty and r["due"] == due and kind in (None, r["kind"]))


def _tick(cli, now: str) -> dict:
    """`duban tick --now NOW --json`: its JSON, after what the console channel printed."""
    result = cli("tick", "--now", now, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout[result.stdout.rindex("\n{\n") + 1:] if "\n{\n" in result.stdout
                      else result.stdout)


def test_tick_now_without_an_offset_is_shanghai_time(loaded):
    # The demo plan reminds at 09:30 (Shanghai): 09:29 sends what was due before, 09:30 the day's own.
    before = _tick(loaded, "2016-09-30 09:29")
    assert before["now"] == "2016-09-30T09:29:00+08:00"
    on_time = _tick(loaded, "2016-09-30 09:30")
    assert on_time["now"] == "2016-09-30T09:30:00+08:00" and on_time["deliveries_sent"] >= 1
    again = _tick(loaded, "2016-09-30T01:30:00+00:00")  # the same moment, with its offset
    assert again["now"] == "2016-09-30T09:30:00+08:00" and again["deliveries_sent"] == 0


def test_tick_now_takes_a_date_alone_and_prints_it_as_people_read_it(loaded, monkeypatch):
    assert _tick(loaded, "2016-09-29")["now"] == "2016-09-29T00:00:00+08:00"
    printed = loaded("tick", "--now", "2016-09-29 08:00")
    assert printed.exit_code == 0 and any(line.startswith("2016-09-29 08:00 ") for line in printed.stdout.splitlines())
    assert "+00:00" not in printed.stdout
    monkeypatch.setenv("DUBAN_TIMEZONE", "UTC")  # asked for: UTC in and out
    assert _tick(loaded, "2016-09-29")["now"] == "2016-09-29T00:00:00+00:00"
    bad = loaded("tick", "--now", "29/09/2016")
    assert bad.exit_code != 0 and "2016-09-30 09:00" in bad.stderr + bad.output


def test_event_record_at_without_an_offset_is_shanghai_time_and_with_one_is_kept(loaded, monkeypatch):
    local = loaded.json("event", "record", "demo/1-6", "--at", "2016-09-30 15:00")
    assert local["happened_at"] == "2016-09-30T15:00:00+08:00" and local["due"] == "2016-10-10"
    assert local["deadline"] == "2016-10-10T23:59:59+08:00"
    offset = loaded.json("event", "record", "demo/1-6", "--at", "2016-09-30T07:00:00+00:00")
    assert offset["happened_at"] == "2016-09-30T15:00:00+08:00"
    monkeypatch.setenv("DUBAN_TIMEZONE", "UTC")
    in_utc = loaded.json("event", "record", "demo/1-6", "--at", "2016-09-30 17:00")  # 01:00 on 1 Oct in Shanghai
    assert in_utc["happened_at"] == "2016-09-30T17:00:00+00:00"
    printed = loaded("event", "record", "demo/1-6", "--at", "2016-09-30 17:00")
    assert "at 2016-09-30 17:00" in printed.stdout


def test_snooze_until_without_an_offset_is_shanghai_time(loaded):
    occ = _occurrence(loaded, "2-17", "epb", "2016-09-30", "due")
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).date()
    result = loaded.json("answer", str(occ), "snooze", "--until", f"{day} 09:00")
    assert result["snoozed_until"] == f"{day}T09:00:00+08:00"
    with Session(_engine(loaded)) as session:
        stored = session.get(Occurrence, occ).snoozed_until
    assert moments.as_utc(stored) == datetime.combine(day, datetime.min.time(), SHANGHAI).replace(hour=9)


def _engine(cli):
    from db.engine import make_engine

    return make_engine(cli.db_url)


def test_a_back_dated_answer_counts_on_time_in_the_monthly_report(loaded):
    water = _occurrence(loaded, "2-17", "epb", "2016-09-30", "due")
    done = loaded.json("answer", str(water), "done", "--at", "2016-09-28 15:00", "--note", "电话确认")
    assert done["at"] == "2016-09-28T15:00:00+08:00" and done["status"] == "done" and done["changed"]
    edu = _occurrence(loaded, "1-1", "edu", "2016-09-28")
    assert loaded.json("answer", str(edu), "done")["changed"]  # clicked today: years late
    engine = _engine(loaded)
    with Session(engine) as session:
        assert moments.as_utc(session.get(Occurrence, water).done_at) == utc(2016, 9, 28, 7)
        entry = session.exec(select(Answer).where(Answer.occurrence_id == water)).one()
        assert moments.as_utc(entry.at) == utc(2016, 9, 28, 7) and "entered" in entry.origin
        report = month_report(session, Month(2016, 9), datetime.now(UTC))
    outcomes = {(line.duty_key, line.department, line.kind): line.outcome for line in report.lines
                if line.due in (date(2016, 9, 28), date(2016, 9, 30))}
    assert outcomes[("2-17", "市环保局", "due")] == "on_time"
    assert outcomes[("1-1", "市教育局", "recurring")] == "late"
    # confirmed by phone before the click: the earlier time counts
    redated = loaded.json("answer", str(edu), "done", "--at", "2016-09-27T02:00:00+00:00")
    assert redated["changed"] and redated["at"] == "2016-09-27T10:00:00+08:00"
    with Session(engine) as session:
        report = month_report(session, Month(2016, 9), datetime.now(UTC))
    assert next(line.outcome for line in report.lines
                if (line.duty_key, line.department) == ("1-1", "市教育局") and line.due == date(2016, 9, 28)) == "on_time"


def test_a_back_dated_answer_is_refused_in_the_future_or_before_the_duty_existed(loaded):
    water = _occurrence(loaded, "2-17", "epb", "2016-09-30", "due")
    future = loaded("answer", str(water), "done", "--at", "2199-01-01 09:00")
    assert future.exit_code == 1 and "2199-01-01 09:00" in future.stderr
    assert "还没有到" in future.stderr and "is in the future" in future.stderr
    early = loaded("answer", str(water), "done", "--at", "2016-07-27 23:59")  # the plan was issued on 28 July
    assert early.exit_code == 1 and "before the duty was handed over (2016-07-28 00:00)" in early.stderr
    assert "早于任务下达的时间" in early.stderr
    garbled = loaded("answer", str(water), "done", "--at", "昨天")
    assert garbled.exit_code != 0 and "not a time" in garbled.stderr + garbled.output
    assert loaded.json("occurrences", "--department", "epb", "--status", "done") == []
    event = loaded.json("event", "record", "demo/1-6", "--at", "2016-09-30 15:00")
    before_event = loaded("answer", str(event["occurrence"]), "done", "--at", "2016-09-30 14:59")
    assert before_event.exit_code == 1 and "(2016-09-30 15:00)" in before_event.stderr
    assert loaded.json("answer", str(event["occurrence"]), "done", "--at", "2016-09-30 15:00")["changed"]


def test_users_list_prints_local_minutes_and_scripts_get_the_offset(loaded, monkeypatch):
    from duban.cli import app

    added = loaded.runner.invoke(app, ["users", "add", "office", "--password-stdin"], input="correct horse\n")
    assert added.exit_code == 0, added.output
    [user] = loaded.json("users", "list")
    assert STAMP.match(user["created_at"]), user
    table = loaded("users", "list").stdout
    assert SHOWN.search(table) and "+00:00" not in table and not re.search(r"\d\d:\d\d:\d\d\.\d", table)
    created = datetime.fromisoformat(user["created_at"])
    assert moments.shown(created, SHANGHAI) in table
    monkeypatch.setenv("DUBAN_TIMEZONE", "UTC")
    assert loaded.json("users", "list")[0]["created_at"].endswith("+00:00")


# --- the board's and the API's doors ---------------------------------------------------------------

def test_the_board_back_dates_an_answer_confirmed_by_phone(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)  # the board's clock: 2016-09-26 10:00 in Shanghai
    occ = occurrence(engine, "2-17", due=date(2016, 9, 30))
    form = c.get(f"/occurrences/{occ.id}").text
    assert 'type="datetime-local" name="confirmed_at"' in form and "电话确认时间" in form and "（北京时间）" in form
    r = c.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "confirmed_at": "2016-09-25T15:00",
                                                      "note": "电话确认", "csrf": csrf})
    assert r.status_code == 303
    with Session(engine) as session:
        assert moments.as_utc(session.get(Occurrence, occ.id).done_at) == utc(2016, 9, 25, 7)
    page = c.get(f"/occurrences/{occ.id}").text
    assert 'id="done-at">2016-09-25 15:00<' in page and "按时完成" in page
    assert "<td>2016-09-25 15:00</td>" in page  # the history, on the same clock
    english = c.get(f"/occurrences/{occ.id}?lang=en").text
    assert "Confirmed by phone on" in english and "(Asia/Shanghai)" in english


def test_the_board_refuses_a_confirmation_time_in_the_future_or_before_the_duty(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    occ = occurrence(engine, "2-17", due=date(2016, 9, 30))
    html = {"accept": "text/html"}
    future = c.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "confirmed_at": "2016-09-26T10:01",
                                                           "csrf": csrf}, headers=html)
    assert future.status_code == 400 and "还没有到" in future.text and "2016-09-26 10:00" in future.text
    english = c.post(f"/occurrences/{occ.id}/answer?lang=en",
                     data={"action": "done", "confirmed_at": "2016-07-01T09:00", "csrf": csrf}, headers=html)
    assert english.status_code == 400 and "before the duty was handed over (2016-07-28 00:00)" in english.text
    garbled = c.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "confirmed_at": "昨天下午",
                                                            "csrf": csrf}, headers=html)
    assert garbled.status_code == 400 and "时间格式错误" in garbled.text
    with Session(engine) as session:
        assert session.get(Occurrence, occ.id).status == "open"


def test_the_board_reads_times_in_the_configured_zone(engine, tmp_path):
    load(engine, tmp_path)
    c = client(engine, timezone="UTC")
    from tests.board_world import log_in

    assert log_in(c).status_code == 303
    csrf = csrf_of(c.get("/board").text)
    occ = occurrence(engine, "2-17", due=date(2016, 9, 30))
    assert "（UTC）" in c.get(f"/occurrences/{occ.id}").text  # the form says which clock it reads
    c.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "confirmed_at": "2016-09-25T15:00", "csrf": csrf})
    c.post("/events", data={"duty": "demo/3-1", "happened_at": "2016-09-26T01:30", "csrf": csrf})
    with Session(engine) as session:
        assert moments.as_utc(session.get(Occurrence, occ.id).done_at) == utc(2016, 9, 25, 15)
        event = session.exec(select(Event)).one()
        assert moments.as_utc(event.happened_at) == utc(2016, 9, 26, 1, 30)
    assert 'id="done-at">2016-09-25 15:00<' in c.get(f"/occurrences/{occ.id}").text


def test_the_board_event_form_reads_shanghai_time(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    assert c.post("/events", data={"duty": "demo/3-1", "happened_at": "2016-09-26T07:30",
                                   "csrf": csrf}).status_code == 303
    with Session(engine) as session:
        assert moments.as_utc(session.exec(select(Event)).one().happened_at) == utc(2016, 9, 25, 23, 30)


@pytest.fixture
def api(engine, tmp_path):
    return api_client(engine, tmp_path, VALID + EVENT_DUTY)


def test_the_api_reads_times_without_an_offset_in_the_zone_and_back_dates_answers(api, engine):
    occ = occurrence(engine, due=date(2016, 9, 30))
    done = api.post(f"/api/occurrences/{occ.id}/answer", json={"action": "done", "at": "2016-09-25T15:00:00"})
    assert done.status_code == 200, done.text
    assert datetime.fromisoformat(done.json()["occurrence"]["done_at"]) == utc(2016, 9, 25, 7)
    other = occurrence(engine, "1-1", "edu", due=date(2016, 9, 28))
    offset = api.post(f"/api/occurrences/{other.id}/answer", json={"action": "done", "at": "2016-09-25T15:00:00Z"})
    assert datetime.fromisoformat(offset.json()["occurrence"]["done_at"]) == utc(2016, 9, 25, 15)
    future = api.post(f"/api/occurrences/{other.id}/answer", json={"action": "waive", "at": "2016-09-27T00:00:00"})
    assert future.status_code == 422 and "is in the future" in future.json()["detail"]
    event = api.post("/api/events", json={"duty": "demo/1-6", "happened_at": "2016-09-26T07:30:00"})
    assert event.status_code == 201, event.text
    with Session(engine) as session:
        stored = session.get(Event, event.json()["event_id"]).happened_at
    assert moments.as_utc(stored) == utc(2016, 9, 25, 23, 30)


# --- reports and feeds ---------------------------------------------------------------------------

def test_the_weekly_summary_counts_what_was_done_by_its_local_date(engine, tmp_path):
    load_demo(engine, tmp_path)
    now = utc(2016, 10, 3, 1)  # Monday 3 Oct, 09:00 in Shanghai: the week counted starts on 26 Sep
    occ = occurrence(engine, "1-1", "edu", due=date(2016, 9, 28))
    with Session(engine) as session:
        answer(session, occ.id, "done", actor=Actor("督办科", coordinator=True), channel="cli", now=now,
               at=datetime(2016, 9, 26, 0, 30, tzinfo=SHANGHAI))  # 25 Sep in UTC
        session.commit()
        plan = session.exec(select(Plan).join(Duty).where(Duty.id == occ.duty_id)).one()
        summary, _ = weekly_summary(session, plan, now, calendar_for("CN"))
    assert summary.start == date(2016, 9, 26)
    assert next(t.done for t in summary.departments if t.department == "市教育局") == 1


FEED_PLAN = VALID + """  - id: blast
    title: 突发事件信息发布
    lead: [epb]
    schedule: {after_event: 突发事件, within: 0 days}
"""


def test_a_feeds_all_day_date_is_the_local_date_not_the_utc_one(engine, tmp_path):
    load_demo(engine, tmp_path, FEED_PLAN)
    with Session(engine) as session:
        late_evening = record_event(session, "blast", department="epb", recorded_by="test", note=None,
                                    happened_at=datetime(2016, 9, 29, 23, 30, tzinfo=SHANGHAI),
                                    calendar_of=calendar_for)
        after_midnight = record_event(session, "blast", department="epb", recorded_by="test", note=None,
                                      happened_at=utc(2016, 9, 29, 16, 30), calendar_of=calendar_for)  # 30th, 00:30
        answer(session, after_midnight.occurrence.id, "done", actor=Actor("张三", coordinator=True), channel="cli",
               now=utc(2016, 9, 30, 1))
        first_uid, second_uid = (f"blast.event-{r.event.id}@demo+epb" for r in (late_evening, after_midnight))
        session.commit()
        scope = feed_tokens.scope_of(session, "epb")
        body = feeds.feed_bytes(session, scope, public_url=PUBLIC).decode()
        in_utc = feeds.feed_bytes(session, scope, public_url=PUBLIC, zone=ZoneInfo("UTC")).decode()
    events = {uid: block for block in body.split("BEGIN:VEVENT")[1:]
              for uid in re.findall(r"^UID:(.*?)\r$", block, flags=re.MULTILINE)}
    first, second = events[first_uid], events[second_uid]
    assert "DTSTART;VALUE=DATE:20160929" in first and "DTEND;VALUE=DATE:20160930" in first
    assert "DTSTART;VALUE=DATE:20160930" in second  # its UTC date is the 29th
    assert "张三 2016-09-30 09:00" in second.replace("\r\n ", "")
    assert "张三 2016-09-30 01:00" in in_utc.replace("\r\n ", "")


def test_the_feeds_etag_changes_with_the_zone(engine, tmp_path):
    load_demo(engine, tmp_path, FEED_PLAN)
    with Session(engine) as session:
        token = feed_tokens.ensure(session, feed_tokens.scope_of(session, "epb"), _signer(), NOW)
        session.commit()
    path = feed_tokens.urls(PUBLIC, token).https.removeprefix(PUBLIC)
    shanghai = TestClient(app_for(engine)).get(path).headers["etag"]
    assert TestClient(app_for(engine, timezone="UTC")).get(path).headers["etag"] != shanghai


def _signer():
    from tests.web_world import signer

    return signer()


# --- the bot's replies -----------------------------------------------------------------------------

@pytest.fixture
def utc_bot(engine, tmp_path, telegram_server):
    from tests.bot_world import DUE_EVE, Clock, RunningBot, World, load_world, settings_for

    load_world(engine, tmp_path)
    world = World(engine, telegram_server, settings_for(engine, telegram_server, timezone="UTC"), Clock(DUE_EVE))
    running = RunningBot(world).start()
    yield world
    running.stop()


def test_the_bots_replies_tell_times_on_the_deployments_clock(utc_bot):
    from tests.bot_world import ZHANG

    air = utc_bot.occurrence("air")
    reply = utc_bot.say(ZHANG, f"/snooze {air.id} 2016-09-20")  # 09:30 in the plan's Shanghai
    assert reply.text.startswith("已推迟到 9月20日 01:30")
