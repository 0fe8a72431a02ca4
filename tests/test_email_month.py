"""A month of reminders through the real dispatcher and email channel into a real SMTP server.

The clock is moved through September 2016 one working day at a time (`tick` at 09:00 local),
and exactly the expected mails must arrive: who, what subject, which due date, which links.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from db.models import Attempt, Contact, Delivery, Department, utcnow
from duban import wiring
from duban.service import Planning, tick
from scheduler.access import feed_tokens
from scheduler.access.links import Signer
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings

CN = calendar_for("CN")
PLAN = """\
version: 1
plan:
  id: sept
  title: 九月督办
  issued: 2016-09-01
  year: 2016
  coordinator: office
  remind: {before: [1, 0], at: "09:00", overdue_every: 0, escalate_after: 2}
departments:
  - {id: office, name: 市政府办公室}
  - {id: epb, name: 市环保局}
  - {id: edu, name: 市教育局}
contacts:
  - {department: office, name: 王五, email: wang@example.org}
  - {department: epb, name: 张三, email: zhang@example.org}
  - {department: edu, name: Li Si, email: li@example.org, lang: en}
duties:
  - id: water
    title: 饮用水水质信息公开
    lead: [epb]
    schedule: 9月14日前完成
  - id: briefing
    title: 媒体吹风会
    lead: [edu]
    schedule: 每月28日前
"""
SECRET = "test-secret-for-links-0123456789abcdef"
PUBLIC = "https://duban.example.org"


@pytest.fixture
def month(engine, tmp_path, smtp_server):
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1),
                   horizon_days=60, now=utcnow())
        feed_tokens.contact_feed_url(s, s.exec(select(Contact).where(Contact.name == "张三")).one(),
                                     now=datetime(2016, 9, 1, tzinfo=UTC), signer=Signer(SECRET, PUBLIC, now=utcnow))
        s.commit()
    settings = Settings(database_url=str(engine.url), smtp_url=smtp_server.url(), mail_from="督办 <duban@example.org>",
                        public_url=PUBLIC, secret_key=SECRET, retry_base_seconds=0)
    dispatcher = wiring.dispatcher(engine, settings, wiring.channels(settings))
    planning = Planning(wiring.calendars(settings), horizon_days=60)
    day = date(2016, 9, 1)
    while day <= date(2016, 9, 30):
        if CN.is_workday(day):
            asyncio.run(tick(engine, planning, dispatcher, datetime(day.year, day.month, day.day, 1, tzinfo=UTC)))
        day += timedelta(days=1)
    asyncio.run(dispatcher.channels["email"].close())
    return smtp_server.messages


def test_exactly_the_expected_mails_arrive(month):
    who = Counter(r.rcpt_tos[0] for r in month)
    # 张三: the day before and the day of 14 Sep; Li Si: 27 and 28 Sep; 王五: four Monday summaries
    # and two escalations: 14 Sep overdue by 2 working days (18 Sep is a 调休 Sunday) on 19 Sep,
    # 28 Sep on 30 Sep.
    assert who == {"zhang@example.org": 2, "li@example.org": 2, "wang@example.org": 6}


def by(month, rcpt):
    return [r.message for r in month if r.rcpt_tos == (rcpt,)]


def test_subjects_and_due_dates(month):
    zhang = by(month, "zhang@example.org")
    assert all("饮用水水质信息公开" in m["Subject"] and "市环保局" in m["Subject"] for m in zhang)
    bodies = [m.get_body(("plain",)).get_content() for m in zhang]
    assert all("2016年9月14日" in b for b in bodies)
    li = by(month, "li@example.org")
    assert all("28 Sep 2016" in m.get_body(("plain",)).get_content() for m in li)  # English contact
    wang = by(month, "wang@example.org")
    weekly = [m["Subject"] for m in wang if "周报" in m["Subject"]]
    assert len(weekly) == 4 and "逾期1项" in weekly[2]  # 19 Sep: water is overdue
    escalations = [m["Subject"] for m in wang if "升级" in m["Subject"]]
    assert len(escalations) == 2 and "市环保局" in escalations[0] and "市教育局" in escalations[1]


def test_recipients_headers_and_both_parts(month):
    for r in month:
        m = r.message
        assert m["Message-ID"] and m["List-Unsubscribe"].startswith("<https://duban.example.org/u/")
        assert m.get_body(("html",)) is not None and m.get_body(("plain",)) is not None
    zhang = by(month, "zhang@example.org")[0]
    assert zhang["To"].addresses[0].display_name == "张三"


def test_reminders_carry_signed_answer_links_for_that_contact(month, engine):
    signer = Signer(SECRET, "https://duban.example.org", now=utcnow)  # the clock wiring signs by
    with Session(engine) as s:
        zhang = s.exec(select(Contact).where(Contact.name == "张三")).one()
    for m in by(month, "zhang@example.org"):
        links = set(re.findall(r"https://duban\.example\.org/a/[A-Za-z0-9_.\-]+", m.get_body(("plain",)).get_content()))
        answers = [signer.verify_answer(urlsplit(u).path.rsplit("/", 1)[1]) for u in links]
        assert sorted(a.action for a in answers) == ["done", "help", "snooze"]
        assert {a.contact_id for a in answers} == {zhang.id}


def test_every_delivery_is_sent_once_and_every_attempt_recorded(month, engine):
    with Session(engine) as s:
        sent = s.exec(select(Delivery).where(Delivery.status == "sent")).all()
        attempts = s.exec(select(Attempt)).all()
        office = s.exec(select(Department).where(Department.key == "office")).one()
        assert office.name == "市政府办公室"
    assert len(sent) == len(month) == len(attempts) and all(a.ok for a in attempts)
    assert {d.channel for d in sent} == {"email"}


def test_only_a_contact_with_a_feed_gets_its_link_in_the_footer(month, engine):
    with Session(engine) as s:
        zhang = s.exec(select(Contact).where(Contact.name == "张三")).one()
        url = feed_tokens.contact_feed_url(s, zhang, now=datetime(2016, 10, 1, tzinfo=UTC),
                                           signer=Signer(SECRET, PUBLIC, now=utcnow))
    for m in by(month, "zhang@example.org"):
        assert url in m.get_body(("plain",)).get_content() and url in m.get_body(("html",)).get_content()
    others = [r.message for r in month if r.rcpt_tos != ("zhang@example.org",)]
    assert others and not any("/feeds/" in m.get_body(("plain",)).get_content() for m in others)
