"""iCal feeds: strict parsers expand them to exactly the planner's occurrences; the URL, its ETag
and 304s, revocation and scope; `duban feed export` gives the URL's bytes. Both databases."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject
from fastapi.testclient import TestClient
from ical.calendar_stream import IcsCalendarStream
from sqlmodel import Session, select

from db.models import Department, Duty, Occurrence
from scheduler import feeds
from scheduler.access import feed_tokens
from scheduler.answers.events import record_event
from scheduler.answers.record import Actor, answer
from scheduler.calendar.workdays import calendar_for
from tests.test_planfile import VALID
from tests.web_world import NOW, PUBLIC, SECRET, app_for, load_demo, path_of, signer

SPECIAL = "公开,通知;说明：第一行\n第二行"
PLAN = VALID.replace("""  - department: 市环境保护局
    name: 张三
    email: zhang@example.org
""", """  - department: 市环境保护局
    name: 张三
    email: zhang@example.org
  - department: edu
    name: 李四
    email: li@example.org
""") + """  - id: daily
    title: 每日舆情监测
    lead: [epb]
    schedule: {every: day, from: 2016-09-20, until: 2016-10-31}
  - id: weekly
    title: 每周动态
    lead: [epb]
    schedule: {every: week, from: 2016-09-01, until: 2016-10-31}
  - id: m31
    title: 月末报送
    lead: [epb]
    schedule: {every: month, due_on: day 31, from: 2016-08-01, until: 2016-12-31}
  - id: plus
    title: 季后报送
    lead: [epb]
    schedule: {every: quarter, due_on: +10 workdays, from: 2016-07-01, until: 2017-06-30}
  - id: odd
    title: "@SPECIAL@"
    lead: [epb]
    schedule: {due: 2016-10-20}
  - id: incident
    title: 突发事件信息发布
    lead: [epb]
    schedule: {after_event: 突发事件, within: 5 hours}
""".replace("@SPECIAL@", SPECIAL.replace("\n", "\\n"))


@pytest.fixture
def world(engine, tmp_path):
    load_demo(engine, tmp_path, PLAN)
    with Session(engine) as session:
        record_event(session, "incident", department="epb", happened_at=datetime(2016, 9, 27, 1, tzinfo=UTC),
                     note=None, recorded_by="test", calendar_of=calendar_for)
        session.commit()
    return engine


def scope(engine, ref: str) -> feed_tokens.Scope:
    with Session(engine) as session:
        return feed_tokens.scope_of(session, ref)


def feed(engine, ref: str = "epb") -> bytes:
    with Session(engine) as session:
        return feeds.feed_bytes(session, feed_tokens.scope_of(session, ref), public_url=PUBLIC)


def planned(engine, department: str | None = "epb") -> dict[str, set[date]]:
    """What the planner has: each feed UID's deadline days, from the occurrence rows."""
    wanted: dict[str, set[date]] = defaultdict(set)
    with Session(engine) as session:
        data = feeds.load(session, scope(engine, department or "all"))
        assert data.rows
        for row in data.rows:
            wanted[feeds._uid(row)].add(row.occ.due)
        for occ in session.exec(select(Occurrence).where(Occurrence.status != "cancelled")):
            dept = session.get(Department, occ.department_id)
            assert department is None or dept.key != department or any(r.occ.id == occ.id for r in data.rows)
    return dict(wanted)


def by_icalendar(body: bytes) -> dict[str, set[date]]:
    found: dict[str, set[date]] = defaultdict(set)
    cal = icalendar.Calendar.from_ical(body)
    for ev in recurring_ical_events.of(cal).between(date(2015, 1, 1), date(2019, 1, 1)):
        start = ev["dtstart"].dt
        found[str(ev["uid"])].add(start.date() if isinstance(start, datetime) else start)
    return dict(found)


def by_vobject(body: bytes) -> dict[str, set[date]]:
    found: dict[str, set[date]] = defaultdict(set)
    [cal] = list(vobject.readComponents(body.decode()))
    for ev in cal.vevent_list:
        if hasattr(ev, "recurrence_id"):
            continue  # an override of an instance the master already yields
        days = ev.getrruleset(addRDate=True) if ev.getrruleset() is not None else [ev.dtstart.value]
        found[ev.uid.value] |= {d.date() if isinstance(d, datetime) else d for d in days}
    return dict(found)


def by_ical(body: bytes) -> dict[str, set[date]]:
    found: dict[str, set[date]] = defaultdict(set)
    for ev in IcsCalendarStream.calendar_from_ics(body.decode()).timeline:
        found[ev.uid].add(ev.start.date() if isinstance(ev.start, datetime) else ev.start)
    return dict(found)


def by_libical(body: bytes) -> dict[str, set[date]]:
    """libical 3 (Debian's gir1.2-ical-3.0, run by the system python3): RFC checks, then expansion."""
    with tempfile.NamedTemporaryFile(suffix=".ics") as f:
        f.write(body)
        f.flush()
        out = subprocess.run(["/usr/bin/python3", str(Path(__file__).with_name("libical_expand.py")), f.name],
                             capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["errors"] == 0 and result["restrictions_ok"]
    assert all(len(days) == len(set(days)) for days in result["uids"].values())  # no instance twice
    return {uid: {date.fromisoformat(d) for d in days} for uid, days in result["uids"].items()}


@pytest.mark.parametrize("parse", [by_icalendar, by_vobject, by_ical, by_libical])
@pytest.mark.parametrize("ref", ["epb", "all"])
def test_strict_parsers_expand_the_feed_to_exactly_the_planners_occurrences(world, parse, ref):
    wanted = planned(world, None if ref == "all" else ref)
    assert parse(feed(world, ref)) == wanted
    assert len(wanted["daily@demo+epb"]) > 20 and len(wanted["m31@demo+epb"]) == 5


def test_working_day_shifts_and_clamped_days_become_rdate_and_exdate(world):
    cal = icalendar.Calendar.from_ical(feed(world))
    series = {str(e["uid"]): e for e in cal.walk("VEVENT") if "recurrence-id" not in e}
    daily = series["daily@demo+epb"]
    assert daily["rrule"]["FREQ"] == ["WEEKLY"]
    assert date(2016, 10, 3) in days(daily["exdate"])  # 国庆 holiday: a weekday the rule has, the planner not
    assert date(2016, 10, 8) in days(daily["rdate"])  # a Saturday made a working day
    assert date(2016, 9, 30) in days(series["m31@demo+epb"]["rdate"])  # day 31 clamped to the 30th
    plus = series["plus@demo+epb"]  # +10 workdays: no rule fits, DTSTART alone and RDATEs
    assert plus["rrule"]["COUNT"] == [1] and date(2017, 1, 16) in days(plus["rdate"])


def days(prop) -> set[date]:
    return {d.dt for p in (prop if isinstance(prop, list) else [prop]) for d in p.dts}


def test_one_override_per_answered_occurrence_marked_done_with_who_and_when(world):
    with Session(world) as session:
        occ = session.exec(select(Occurrence).join(Duty).where(Duty.key == "m31", Occurrence.due == date(2016, 10, 31))
                           ).one()
        answer(session, occ.id, "done", actor=Actor("张三", coordinator=True), channel="web",
               now=datetime(2016, 10, 28, 3, tzinfo=UTC), evidence_url="https://epb.example.gov.cn/a?b=1,2;c")
        session.commit()
    body = feed(world)
    cal = icalendar.Calendar.from_ical(body)
    [override] = [e for e in cal.walk("VEVENT") if e.get("recurrence-id") and str(e["uid"]) == "m31@demo+epb"]
    assert override["recurrence-id"].dt == date(2016, 10, 31)
    assert str(override["summary"]) == "✅ 月末报送（张三 2016-10-28 11:00）"
    assert "成果 Evidence：https://epb.example.gov.cn/a?b=1,2;c" in str(override["description"])
    assert not any("Evidence" in str(e["description"]) for e in cal.walk("VEVENT") if e is not override)
    [instance] = [e for e in recurring_ical_events.of(cal).at(date(2016, 10, 31)) if str(e["uid"]) == "m31@demo+epb"]
    assert str(instance["summary"]).startswith("✅")
    assert by_ical(body) == by_icalendar(body) == by_libical(body) == planned(world)


def test_feed_carries_names_refresh_timezones_alarms_and_links(world):
    body = feed(world)
    text = body.decode()
    cal = icalendar.Calendar.from_ical(body)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text and str(cal["x-wr-calname"]) == "督办 · 市环保局"
    assert str(cal["name"]) == "督办 · 市环保局" and "VTODO" not in text
    [event] = [e for e in cal.walk("VEVENT") if str(e["uid"]).startswith("incident.event-")]
    assert event["dtstart"].dt == datetime(2016, 9, 27, 6, tzinfo=UTC)  # 09:00 Beijing + 5 hours
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    water = next(e for e in cal.walk("VEVENT") if str(e["uid"]) == "2-17.due-2016-09-30@demo+epb")
    assert isinstance(water["dtstart"].dt, date) and not isinstance(water["dtstart"].dt, datetime)
    assert [a["trigger"].dt for a in water.walk("VALARM")] == [
        -feeds.timedelta(days=3) + feeds.timedelta(hours=9, minutes=30),
        -feeds.timedelta(days=1) + feeds.timedelta(hours=9, minutes=30), feeds.timedelta(hours=9, minutes=30)]
    assert "每季度向社会公开饮用水水源水质" in str(water["description"]) and PUBLIC in str(water["description"])


def test_a_summary_with_newlines_commas_semicolons_and_chinese_round_trips(world):
    body = feed(world)
    ics = [str(e["summary"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    vob = [e.summary.value for e in next(vobject.readComponents(body.decode())).vevent_list]
    ica = [e.summary for e in IcsCalendarStream.calendar_from_ics(body.decode()).timeline]
    assert SPECIAL in ics and SPECIAL in vob and SPECIAL in ica


def test_identical_data_gives_identical_bytes(world):
    assert feed(world) == feed(world) and feed(world, "all") == feed(world, "all")


def test_http_feed_with_etag_304_and_revocation(world):
    with Session(world) as session:
        token = feed_tokens.ensure(session, scope(world, "epb"), signer(), NOW)
        session.commit()
    url = path_of(feed_tokens.urls(PUBLIC, token).https)
    with TestClient(app_for(world)) as client:
        first = client.get(url)
        assert first.status_code == 200 and first.headers["content-type"] == "text/calendar; charset=utf-8"
        assert first.content == feed(world)
        etag = first.headers["etag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        since = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304
        head = client.head(url)
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(first.content)) and head.headers["etag"] == etag
        assert client.head(url, headers={"If-None-Match": etag}).status_code == 304
        with Session(world) as session:
            occ = session.exec(select(Occurrence).join(Duty).where(Duty.key == "odd")).one()
            answer(session, occ.id, "done", actor=Actor("张三", coordinator=True), channel="web", now=NOW)
            session.commit()
        changed = client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag and "✅" in changed.text
        assert client.get(url.replace(token, token[:-2] + "xx")).status_code == 404
        with Session(world) as session:
            assert feed_tokens.revoke(session, scope(world, "epb"), NOW) == 1
            session.commit()
        gone = client.get(url)
        assert gone.status_code == 404 and "epb" not in gone.text and "市环保局" not in gone.text


def test_another_departments_token_reads_only_its_own_feed(world):
    with Session(world) as session:
        edu = feed_tokens.ensure(session, scope(world, "edu"), signer(), NOW)
        li = feed_tokens.contact_feed_url(session, session.exec(select(
            feeds.Contact).where(feeds.Contact.name == "李四")).one(), now=NOW, signer=signer())
        session.commit()
    with TestClient(app_for(world)) as client:
        for url in (path_of(feed_tokens.urls(PUBLIC, edu).https), path_of(li)):
            text = client.get(url).text
            assert "+edu" in text and "+epb" not in text and "市环保局" not in text


def test_cli_url_is_stable_until_revoked_and_export_is_the_urls_bytes(world, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DUBAN_SECRET_KEY", SECRET)
    monkeypatch.setenv("DUBAN_PUBLIC_URL", PUBLIC)
    shown = cli("feed", "url", "市环保局")
    assert shown.exit_code == 0
    https, webcal, google = shown.stdout.split()
    assert https.startswith(f"{PUBLIC}/feeds/") and https.endswith(".ics")
    assert webcal == "webcal://" + https.removeprefix("http://")
    assert google == "https://calendar.google.com/calendar/r?cid=" + webcal
    assert cli("feed", "url", "epb").stdout == shown.stdout
    assert cli("feed", "export", "epb", "-o", str(tmp_path / "epb.ics")).exit_code == 0
    with TestClient(app_for(world)) as client:
        assert client.get(path_of(https)).content == (tmp_path / "epb.ics").read_bytes()
        assert cli("feed", "revoke", "epb").exit_code == 0
        assert client.get(path_of(https)).status_code == 404
        new = cli("feed", "url", "epb").stdout.split()[0]
        assert new != https and client.get(path_of(new)).status_code == 200
    all_feed = cli("feed", "export", "all")
    assert all_feed.exit_code == 0 and "+edu" in all_feed.stdout and "+epb" in all_feed.stdout
    missing = cli("feed", "url", "nobody")
    assert missing.exit_code != 0 and "找不到部门或联系人" in missing.output


def test_reminder_footer_shows_the_contacts_current_feed_link_once_they_have_one(world):
    from scheduler.messages.render import Context, Renderer

    with Session(world) as session:
        zhang = session.exec(select(feeds.Contact).where(feeds.Contact.name == "张三")).one()
        assert feed_tokens.contact_feed_urls(session, [zhang.id], signer()) == {}
        url = feed_tokens.contact_feed_url(session, zhang, now=NOW, signer=signer())
        assert feed_tokens.contact_feed_urls(session, [zhang.id], signer()) == {zhang.id: url}
        assert feed_tokens.revoke(session, feed_tokens.Scope("contact", contact_id=zhang.id), NOW) == 1
        assert feed_tokens.contact_feed_urls(session, [zhang.id], signer()) == {}
        again = feed_tokens.contact_feed_url(session, zhang, now=NOW, signer=signer())
        assert again != url and feed_tokens.contact_feed_urls(session, [zhang.id], signer()) == {zhang.id: again}
        url = again
    ctx = Context(contact_name="张三", language="zh", items=[], coordinator=None, public_url=PUBLIC,
                  unsubscribe_url=f"{PUBLIC}/u/x", feed_url=url)
    rendered = Renderer().render("notice", "email", ctx)
    assert url in rendered.text and url in rendered.html


def test_a_reloaded_plan_with_a_new_title_changes_the_etag_and_the_bytes(world, tmp_path):
    with Session(world) as session:
        token = feed_tokens.ensure(session, scope(world, "epb"), signer(), NOW)
        session.commit()
    url = path_of(feed_tokens.urls(PUBLIC, token).https)
    with TestClient(app_for(world)) as client:
        before = client.get(url)
        (tmp_path / "again").mkdir()
        load_demo(world, tmp_path / "again", PLAN.replace("每周动态", "每周工作动态"))
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and "每周工作动态" in after.text and "每周动态" not in after.text


def test_fetches_are_noted_hourly_and_feed_list_shows_whose_url_is_used(world, cli):
    with Session(world) as session:
        token = feed_tokens.ensure(session, scope(world, "epb"), signer(), NOW)
        feed_tokens.ensure(session, scope(world, "edu"), signer(), NOW)
        session.commit()
    url = path_of(feed_tokens.urls(PUBLIC, token).https)
    moments = iter([NOW, NOW + timedelta(minutes=30), NOW + timedelta(hours=2)])
    clock = {"now": NOW}
    with TestClient(app_for(world, lambda: clock["now"])) as client:
        seen = []
        for at in moments:
            clock["now"] = at
            assert client.get(url).status_code == 200
            with Session(world) as session:
                seen.append(feed_tokens.find(session, token).last_used_at)
    assert seen == [NOW, NOW, NOW + timedelta(hours=2)]  # the half-hour fetch wrote nothing
    listed = {i["of"]: i for i in cli.json("feed", "list")}
    # 04:00 UTC as Shanghai reads it (DUBAN_TIMEZONE), to the second for scripts, to the minute for people
    assert listed["市环保局"]["last_used_at"] == "2016-09-26T12:00:00+08:00" and listed["市教育局"]["last_used_at"] is None
    table = cli("feed", "list").stdout
    assert "市环保局" in table and "2016-09-26 12:00" in table
