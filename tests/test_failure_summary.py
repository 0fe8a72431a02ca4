"""The coordinator's failure summary (issue 17): everyone who could not be reached in one run is
told in one message per coordinator, however the batches fall; a problem is told once, not every
day, and told again only when it is news: after the contact was reached on that channel, or its
address changed. Real dispatcher and email channel, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from db.addresses import insert_contacts, set_address
from db.models import Contact, Department, utcnow
from duban import wiring
from duban.service import Planning, tick
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings

CN = calendar_for("CN")
COORDINATOR = "wang@example.org"
PLAN = """\
version: 1
plan: {id: daily, title: 每日督办, issued: 2016-09-01, year: 2016, coordinator: office,
       remind: {before: [0], at: "09:00", overdue_every: 1, escalate_after: 0}}
departments: [{id: office, name: 市政府办公室}, {id: epb, name: 市环保局}]
contacts: [{department: office, name: 王五, email: wang@example.org}]
duties: [{id: air, title: 空气质量日报, lead: [epb], schedule: 每个工作日}]
"""
FIRST = date(2016, 9, 5)  # a Monday
DAYS = [d for d in (FIRST + timedelta(days=n) for n in range(10)) if CN.is_workday(d)]


@pytest.fixture
def office(engine, tmp_path: Path):
    """A daily duty for 市环保局, whose six contacts are reminded every working day."""
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1),
                   horizon_days=30, now=utcnow())
        epb = s.exec(select(Department).where(Department.key == "epb")).one()
        insert_contacts(s, epb.id, [(f"联络员{i}", {"email": f"c{i}@example.org"}) for i in range(4)]
                        + [("无邮箱甲", {}), ("无邮箱乙", {})])
        s.commit()
    return engine


class Days:
    """`duban tick` at 09:00 each working day, with the real email channel."""

    def __init__(self, engine, smtp, batch: int = 200):
        settings = Settings(_env_file=None, database_url=str(engine.url), smtp_url=smtp.url(),
                            mail_from="duban@example.org", secret_key="summary-test-secret-0123456789abcdef",
                            dispatch_batch=batch, retry_base_seconds=0)
        self.dispatcher = wiring.dispatcher(engine, settings, wiring.channels(settings))
        self.planning = Planning(wiring.calendars(settings), horizon_days=30)
        self.engine, self.smtp = engine, smtp

    def run(self, day: date) -> list[str]:
        """Tick on `day`; the notices the coordinator got (their plain text)."""
        seen = len(self.smtp.messages)
        asyncio.run(tick(self.engine, self.planning, self.dispatcher, datetime(day.year, day.month, day.day, 1,
                                                                                tzinfo=UTC)))
        return [r.message.get_body(("plain",)).get_content() for r in self.smtp.messages[seen:]
                if r.rcpt_tos[0] == COORDINATOR and "系统通知" in r.message["Subject"]]


def test_everyone_unreachable_in_a_run_is_in_one_summary_however_the_batches_fall(office, smtp_server):
    smtp_server.reject("c1@example.org")
    smtp_server.reject("c2@example.org")
    [summary] = Days(office, smtp_server, batch=1).run(DAYS[0])  # one contact a batch: five batches
    for who in ("联络员1 无法送达：邮件服务器拒绝了收件人 c1@example.org", "联络员2 无法送达", "无邮箱甲 无法送达：没有渠道能送达此联系人",
                "无邮箱乙 无法送达"):
        assert who in summary
    assert "以下 4 个问题需要处理" in summary and "联络员0" not in summary and "联络员3" not in summary


def test_a_problem_is_told_once_not_every_day(office, smtp_server):
    smtp_server.reject("c1@example.org")
    days = Days(office, smtp_server)
    told = [days.run(day) for day in DAYS]
    assert [len(t) for t in told] == [1] + [0] * (len(DAYS) - 1)
    assert len([r for r in smtp_server.messages if r.rcpt_tos[0] == "c0@example.org"]) == len(DAYS)


def test_a_contact_reached_again_and_lost_again_is_news_again(office, smtp_server):
    smtp_server.reject("c1@example.org")
    days = Days(office, smtp_server)
    assert len(days.run(DAYS[0])) == 1
    smtp_server.heal()
    assert days.run(DAYS[1]) == [] and any(r.rcpt_tos[0] == "c1@example.org" for r in smtp_server.messages)
    smtp_server.reject("c1@example.org")
    [again] = days.run(DAYS[2])
    assert "联络员1 无法送达" in again and "无邮箱甲" not in again  # the others were told and are no news
    assert days.run(DAYS[3]) == []


def test_a_new_address_that_fails_too_is_news(office, smtp_server):
    smtp_server.reject("c1@example.org")
    days = Days(office, smtp_server)
    assert len(days.run(DAYS[0])) == 1
    with Session(office) as s:
        c1 = s.exec(select(Contact).where(Contact.name == "联络员1")).one()
        set_address(s, c1.id, "email", "c1-new@example.org", utcnow())
        s.commit()
    smtp_server.reject("c1-new@example.org")
    [again] = days.run(DAYS[1])
    assert "c1-new@example.org" in again and "无邮箱" not in again
    assert days.run(DAYS[2]) == []
