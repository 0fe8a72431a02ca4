"""Group robots end to end: bound with `duban robots`, reminded through the outbox, signed, split,
held to the platform's rate for the whole deployment, and disabled (with the coordinator told once
and nothing lost) when the platform refuses them for good. The platform is a local fake
(scheduler/channels/dingtalk/tests/fake.py) that checks signatures, shapes and sizes as DingTalk
documents them and counts what it would refuse."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from db import outbox
from db.models import Answer, Contact, Delivery, Department, Occurrence, Robot, SendWindow
from db.vocabulary import DeliveryStatus, Purpose
from duban import wiring
from duban.service import Planning, tick
from scheduler.channels.dingtalk.tests.fake import DingTalkFake
from scheduler.channels.robot.fake import ManualClock
from scheduler.channels.wecom.tests.fake import WeComFake
from scheduler.outbox.policy import Slot
from scheduler.outbox.rows import reminder, to_rows
from scheduler.settings import Settings

KEY = "robots-test-secret-key-0123456789abcdef"
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
SEND_AT = datetime(2016, 9, 14, 1, tzinfo=UTC)  # 09:00 in Shanghai on the due day
MOBILE = "13800138000"


def plan(duties: int, escalate_after: int = 0) -> str:
    rows = "\n".join(f"  - {{id: t{n:03d}, title: 督办任务{n:03d}号, lead: [epb], schedule: 9月14日前完成}}"
                     for n in range(1, duties + 1))
    return f"""\
version: 1
plan: {{id: robots, title: 群机器人, issued: 2016-09-01, year: 2016, coordinator: office,
       remind: {{before: [0], at: "09:00", overdue_every: 0, escalate_after: {escalate_after}}}}}
departments: [{{id: office, name: 市政府办公室}}, {{id: epb, name: 市环保局}}]
contacts:
  - {{department: office, name: 李主任, email: li@example.org}}
  - {{department: epb, name: 张三, email: zhang@example.org}}
duties:
{rows}
"""


@pytest.fixture
def dingtalk():
    with DingTalkFake() as fake:
        yield fake


@pytest.fixture
def office(cli, tmp_path: Path, monkeypatch):
    """A plan whose duties fall due for 市环保局 on 14 Sep 2016 (the test writes how many)."""
    monkeypatch.setenv("DUBAN_SECRET_KEY", KEY)

    def load(duties: int = 1, escalate_after: int = 0) -> None:
        (tmp_path / "plan.yaml").write_text(plan(duties, escalate_after), encoding="utf-8")
        result = cli("plan", "load", str(tmp_path / "plan.yaml"))
        assert result.exit_code == 0, result.output

    return load


def bind(cli, fake: DingTalkFake, robot, *extra: str, department: str = "市环保局") -> int:
    result = cli("robots", "add", "--department", department, "--kind", "dingtalk", "--url", fake.url(robot),
                 "--secret", SECRET, "--keyword", "督办", "--mention", MOBILE, *extra, "--json")
    assert result.exit_code == 0, result.output
    return int(re.search(r'"id": (\d+)', result.stdout)[1])


def dispatcher(engine, wall=None):
    settings = Settings(database_url=str(engine.url), channels=["console"], secret_key=KEY)
    d = wiring.dispatcher(engine, settings, wiring.channels(settings))
    if wall is not None:
        d.wall = wall
    return settings, d


def run_tick(engine, now: datetime, wall=None):
    settings, d = dispatcher(engine, wall)
    return asyncio.run(tick(engine, Planning(wiring.calendars(settings), horizon_days=60), d, now))


def titles(posts) -> Counter:
    return Counter(t for p in posts for t in re.findall(r"督办任务\d{3}号", p.json["markdown"]["text"]))


def test_a_robot_bound_with_the_commands_posts_signed_reminders_with_keyword_mentions_and_answer_links(
        cli, engine, office, dingtalk):
    office()
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    robot_id = bind(cli, dingtalk, robot)

    listing = cli("robots", "list", "--json")
    assert listing.exit_code == 0 and '"department": "市环保局"' in listing.stdout
    assert robot.token not in listing.stdout and SECRET not in listing.stdout  # masked
    with Session(engine) as s:  # stored sealed too: a copy of the database posts into no group
        stored = str(s.exec(select(Robot)).one().model_dump())
    assert robot.token not in stored and SECRET not in stored
    tested = cli("robots", "test", str(robot_id))
    assert tested.exit_code == 0 and "accepted" in tested.stdout, tested.output

    # The schedule's clock is moved back to 2016; the signature is made with the real one.
    ticked = cli("tick", "--now", "2016-09-14T09:00:00+08:00")
    assert ticked.exit_code == 0, ticked.output

    assert dingtalk.rejected == [] and dingtalk.problems() == []
    _test, reminder_post = dingtalk.accepted(robot)
    body = reminder_post.json
    assert body["msgtype"] == "markdown" and body["at"]["atMobiles"] == [MOBILE]
    assert "督办任务001号" in body["markdown"]["text"] and f"@{MOBILE}" in body["markdown"]["text"]
    assert re.search(r"\]\(http[^)]*/a/[^)]+\)", body["markdown"]["text"])  # signed answer links
    with Session(engine) as s:  # the department's own contact is still reminded (not replaced)
        sent = {c.name for d, c in s.exec(select(Delivery, Contact).join(Contact)) if d.status == "sent"}
    assert "张三" in sent


def test_a_digest_too_long_for_one_post_is_split_into_whole_items_within_the_limit(
        cli, engine, office, dingtalk):
    office(200)
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    bind(cli, dingtalk, robot)

    run_tick(engine, SEND_AT)

    posts = dingtalk.accepted(robot)
    assert dingtalk.rejected == [] and 1 < len(posts) <= 20
    assert all(len(p.json["markdown"]["text"].encode()) <= 20000 for p in posts)
    seen = titles(posts)
    assert len(seen) == 200 and set(seen.values()) == {1}  # every duty once, none cut or repeated


def occurrences_of(engine, department: str) -> list[int]:
    with Session(engine) as s:
        dept = s.exec(select(Department).where(Department.name == department)).one()
        return list(s.exec(select(Occurrence.id).where(Occurrence.department_id == dept.id)
                           .order_by(Occurrence.id)))


def robot_contact(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(Contact.id).where(Contact.role == "robot")).one()


def queue_spread(engine, contact_id: int, occurrences: list[int], start: datetime, every: timedelta) -> None:
    """One reminder per occurrence for the robot, falling due one after another."""
    rows = [reminder(occ, contact_id, Slot(start.date(), Purpose.due, start + every * i))
            for i, occ in enumerate(occurrences)]
    with Session(engine) as s:
        outbox.insert_new(s, to_rows(rows))
        s.commit()


def most_in_a_minute(posts) -> int:
    times = sorted(p.at for p in posts)
    return max(sum(1 for t in times if first <= t < first + 60) for first in times)


def test_reminders_falling_due_faster_than_the_rate_merge_into_digests_at_most_20_a_minute(
        cli, engine, office, monkeypatch):
    clock = ManualClock()
    with DingTalkFake(clock=clock) as fake:
        office(200)
        robot = fake.add_robot(secret=SECRET, keyword="督办")
        bind(cli, fake, robot)
        occurrences = occurrences_of(engine, "市环保局")
        start = datetime.now(UTC)
        queue_spread(engine, robot_contact(engine), occurrences, start, timedelta(seconds=2))
        _, d = dispatcher(engine, wall=clock)
        for step in range(0, 10 * 60, 2):  # ten minutes, a dispatch every two seconds
            asyncio.run(d.run_once(start + timedelta(seconds=step)))
            clock.advance(2)

        posts = fake.accepted(robot)
        assert fake.rejected == []
        assert most_in_a_minute(posts) <= 20 and len(posts) < 200
        assert titles(posts) == Counter({t: 1 for t in titles(posts)}) and len(titles(posts)) == 200


def test_a_throttled_robot_waits_ten_minutes_for_every_instance_and_loses_nothing(
        cli, engine, office, dingtalk):
    office(3)
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    bind(cli, dingtalk, robot)
    dingtalk.fail_next(robot, "rate")

    run_tick(engine, SEND_AT)
    with Session(engine) as s:
        waiting = [d for d in s.exec(select(Delivery).join(Contact).where(Contact.role == "robot"))]
    assert {d.status for d in waiting} == {DeliveryStatus.pending} and {d.attempts for d in waiting} == {0}
    assert all(d.send_at >= SEND_AT + timedelta(minutes=10) for d in waiting)
    # A second instance at once finds the robot held too (the window is in the database).
    run_tick(engine, SEND_AT + timedelta(minutes=1))
    assert len(dingtalk.posts) == 1

    with Session(engine) as s:  # ten minutes later (the window's block is on the real clock)
        window = s.exec(select(SendWindow)).one()
        window.blocked_until = datetime.now(UTC) - timedelta(seconds=1)
        s.add(window)
        s.commit()
    run_tick(engine, SEND_AT + timedelta(minutes=11))
    assert set(titles(dingtalk.accepted(robot))) == {"督办任务001号", "督办任务002号", "督办任务003号"}


def test_a_robot_refused_for_good_is_disabled_its_reminders_go_to_the_contacts_it_replaced_and_the_coordinator_hears_once(
        cli, engine, office, dingtalk):
    office(2)
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    robot_id = bind(cli, dingtalk, robot, "--instead-of-contacts")
    dingtalk.remove_robot(robot)  # the group removed it: 300005 token is not exist

    run_tick(engine, SEND_AT)
    run_tick(engine, SEND_AT + timedelta(hours=1))

    listing = cli("robots", "list", "--json")
    assert '"working": false' in listing.stdout and "300005" in listing.stdout
    with Session(engine) as s:
        rows = s.exec(select(Delivery, Contact).join(Contact)).all()
    to_zhang = [d for d, c in rows if c.name == "张三" and d.occurrence_id is not None]
    assert {d.status for d in to_zhang} == {DeliveryStatus.sent} and len({d.occurrence_id for d in to_zhang}) == 2
    told = [d for d, c in rows if c.name == "李主任" and d.purpose == Purpose.notice]
    assert len(told) == 1 and f"duban robots enable {robot_id}" in told[0].body
    assert len(dingtalk.posts) == 1  # refused once, never posted to again


def test_answer_pages_opened_from_a_group_say_who_answered_and_are_safe_to_open_twice(
        cli, engine, office, dingtalk):
    office()
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    bind(cli, dingtalk, robot)
    run_tick(engine, SEND_AT)
    text = dingtalk.accepted(robot)[0].json["markdown"]["text"]
    done = re.search(r"\]\((http[^)#]*/a/[^)#]+)\)", text)[1]
    from fastapi.testclient import TestClient

    from web.app import create_app
    settings = Settings(database_url=str(engine.url), secret_key=KEY)
    with TestClient(create_app(engine, settings)) as web:
        path = done.split("/a/", 1)[1]
        form = web.get(f"/a/{path}")
        assert form.status_code == 200 and 'name="answered_by"' in form.text
        first = web.post(f"/a/{path}", data={"answered_by": "王五"})
        again = web.post(f"/a/{path}", data={"answered_by": "赵六"})
        opened = web.get(f"/a/{path}")
    assert first.status_code == 200
    assert "王五" in again.text and "王五" in opened.text  # the second visitor learns who answered
    with Session(engine) as s:
        answers = s.exec(select(Answer)).all()
    assert len(answers) == 1 and answers[0].actor.startswith("王五")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_burst_of_200_reminders_through_two_duban_run_processes_arrives_whole_at_most_20_posts_a_minute(
        cli, engine, office, dingtalk, db_url, tmp_path):
    office(200)
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    bind(cli, dingtalk, robot, "--instead-of-contacts")
    due = datetime.now(UTC) - timedelta(minutes=1)  # all due at once, already (the planner keeps them)
    queue_spread(engine, robot_contact(engine), occurrences_of(engine, "市环保局"), due, timedelta(0))

    env = {**os.environ, "DATABASE_URL": db_url, "DUBAN_SECRET_KEY": KEY, "DUBAN_DISPATCH_BATCH": "20"}
    runs = [subprocess.Popen([sys.executable, "-m", "duban", "run", "--only", "dispatch"], cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while len(titles(dingtalk.accepted(robot))) < 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # anything sent twice would arrive by now
    finally:
        for proc in runs:
            proc.send_signal(signal.SIGTERM)
        errors = [proc.communicate(timeout=60)[1] for proc in runs]

    posts = dingtalk.accepted(robot)
    assert dingtalk.rejected == [], errors
    assert most_in_a_minute(posts) <= 20
    assert titles(posts) == Counter({f"督办任务{n:03d}号": 1 for n in range(1, 201)}), errors


def test_a_removed_robot_posts_nothing_more_and_the_people_it_replaced_are_reminded_again(
        cli, engine, office, dingtalk):
    office()
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    robot_id = bind(cli, dingtalk, robot, "--instead-of-contacts")
    run_tick(engine, SEND_AT - timedelta(days=1))  # planned: the robot's reminder for tomorrow waits
    with Session(engine) as s:
        assert {c.role for d, c in s.exec(select(Delivery, Contact).join(Contact))
                if d.status == "pending" and d.occurrence_id is not None} == {"robot"}

    assert cli("robots", "remove", str(robot_id)).exit_code == 0
    run_tick(engine, SEND_AT)

    assert dingtalk.posts == [] and cli.json("robots", "list") == []
    with Session(engine) as s:
        sent = {c.name for d, c in s.exec(select(Delivery, Contact).join(Contact))
                if d.status == "sent" and d.occurrence_id is not None}
    assert sent == {"张三"}


def test_an_overdue_duty_is_escalated_into_the_coordinating_offices_group(cli, engine, office, dingtalk):
    office(escalate_after=1)
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")
    bind(cli, dingtalk, robot, department="市政府办公室")

    run_tick(engine, SEND_AT + timedelta(days=6))  # 20 Sep 2016: overdue past the escalation day

    (post,) = dingtalk.accepted(robot)
    assert "督办任务001号" in post.json["markdown"]["text"] and "逾期" in post.json["markdown"]["text"]


def test_a_digest_that_needs_more_than_20_wecom_posts_sends_20_and_the_rest_a_minute_later(
        cli, engine, office):
    clock = ManualClock()
    with WeComFake(clock=clock) as wecom:
        office(200)
        robot = wecom.add_robot()
        result = cli("robots", "add", "--department", "市环保局", "--kind", "wecom", "--url", wecom.url(robot))
        assert result.exit_code == 0, result.output
        _, d = dispatcher(engine, wall=clock)
        settings = Settings(database_url=str(engine.url), channels=["console"], secret_key=KEY)
        planning = Planning(wiring.calendars(settings), horizon_days=60)

        asyncio.run(tick(engine, planning, d, SEND_AT))
        first = list(wecom.accepted(robot))
        clock.advance(62)
        asyncio.run(tick(engine, planning, d, SEND_AT + timedelta(seconds=62)))

        posts = wecom.accepted(robot)
        assert len(first) == 20 and len(posts) > 20 and wecom.rejected == []
        assert all(len(p.json["markdown"]["content"].encode()) <= 4096 for p in posts)
        seen = Counter(t for p in posts for t in re.findall(r"督办任务\d{3}号", p.json["markdown"]["content"]))
        assert len(seen) == 200 and set(seen.values()) == {1}


def test_binding_refuses_what_no_platform_takes_with_a_clear_message(cli, office):
    office()
    url = "https://oapi.dingtalk.com/robot/send?access_token=t0k3n"
    cases = {("--url", "oapi.dingtalk.com/robot/send"): "https://",
             ("--url", url, "--mention", "张三"): "张三",
             ("--url", url, *[a for n in range(21) for a in ("--mention", f"1380013{n:04d}")]): "20",
             ("--url", url, "--keyword", "督" * 101): "100"}
    for args, named in cases.items():
        result = cli("robots", "add", "--department", "市环保局", "--kind", "dingtalk", *args)
        assert result.exit_code == 1 and named in result.stderr and "Traceback" not in result.output
    unknown = cli("robots", "add", "--department", "不存在的局", "--kind", "dingtalk", "--url", url)
    assert unknown.exit_code == 1 and "不存在的局" in unknown.stderr
    assert cli.json("robots", "list") == []
