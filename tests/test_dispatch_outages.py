"""The dispatcher at the edges: a channel that cannot send to anyone is waited out, not spent (the
breaker, scheduler/outbox/breaker.py)
against a real SMTP server that is down, refuses the sender or refuses every recipient alike,
on SQLite and PostgreSQL. Nothing is lost, nothing goes twice, and the coordinator hears of the
outage once when it starts and once when it ends. A contact's deliveries due together are one
message however the batches fall."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from db import outbox
from db.addresses import insert_contacts
from db.models import Delivery, Department, utcnow
from db.queries import add_contact
from duban import wiring
from duban.service import Planning, tick
from scheduler.calendar.workdays import calendar_for
from scheduler.channels.base import Limits, Message, Receipt
from scheduler.messages.render import Renderer
from scheduler.outbox import breaker
from scheduler.outbox.dispatcher import Dispatcher, DispatchPolicy
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings
from tests.test_i18n import CJK, english_words, visible

CN = calendar_for("CN")
SEND_AT = datetime(2016, 9, 14, 1, tzinfo=UTC)  # 09:00 in Shanghai on the due day
PEOPLE = 12
COORDINATOR = "wang@example.org"
PLAN = """\
version: 1
plan: {id: burst, title: 突发, issued: 2016-09-01, year: 2016, coordinator: office,
       remind: {before: [0], at: "09:00", overdue_every: 0, escalate_after: 0}}
departments: [{id: office, name: 市政府办公室}, {id: epb, name: 市环保局}]
contacts: [{department: office, name: 王五, email: wang@example.org}]
duties: [{id: water, title: 饮用水水质信息公开, lead: [epb], schedule: 9月14日前完成}]
"""


def people() -> list[str]:
    return [f"c{i}@example.org" for i in range(PEOPLE)]


@pytest.fixture
def burst(engine, tmp_path: Path):
    """One occurrence, PEOPLE contacts of its department: PEOPLE separate messages due at SEND_AT."""
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN,
                   today=date(2016, 9, 1), horizon_days=60, now=utcnow())
        epb = s.exec(select(Department).where(Department.key == "epb")).one()
        insert_contacts(s, epb.id, [(f"联络员{i}", {"email": address}) for i, address in enumerate(people())])
        plan_deliveries(s, SEND_AT - timedelta(days=1), calendars=lambda _: CN, horizon_days=60)
        s.commit()
    return engine


class Ticks:
    """`duban tick` in-process with the real email channel, its clock moved by hand."""

    def __init__(self, engine, smtp, batch: int = 200):
        settings = Settings(database_url=str(engine.url), smtp_url=smtp.url(), mail_from="duban@example.org",
                            secret_key="outage-test-secret-0123456789abcdef", dispatch_batch=batch)
        self.dispatcher = wiring.dispatcher(engine, settings, wiring.channels(settings))
        self.dispatcher.sleep = lambda _s: asyncio.sleep(0)  # in-process retry waits: not sat out
        self.planning = Planning(wiring.calendars(settings), horizon_days=60)
        self.engine, self.now = engine, SEND_AT

    def run(self, every: timedelta, times: int) -> None:
        for _ in range(times):
            asyncio.run(tick(self.engine, self.planning, self.dispatcher, self.now))
            self.now += every

    def reminders(self) -> list[Delivery]:
        with Session(self.engine) as s:
            return list(s.exec(select(Delivery).where(Delivery.purpose == "due")))

    def paused(self) -> dict[str, breaker.Pause]:
        with Session(self.engine) as s:
            return breaker.paused(s)


def arrived(smtp) -> Counter:
    return Counter(r.rcpt_tos[0] for r in smtp.messages)


def notices(smtp) -> list[str]:
    return [r.message["Subject"] for r in smtp.messages if r.rcpt_tos[0] == COORDINATOR]


def test_a_relay_down_longer_than_the_retry_budget_loses_nothing_and_is_told_once(burst, smtp_server, caplog):
    ticks = Ticks(burst, smtp_server)
    smtp_server.refuse_connections(count=10**6)
    with caplog.at_level(logging.WARNING, logger="scheduler.outbox.dispatcher"):
        ticks.run(every=timedelta(minutes=30), times=48)  # a day down: the 12-attempt budget spent many times
        down = ticks.paused()
        assert set(down) == {"email"} and down["email"].failures > 12
        assert {d.status for d in ticks.reminders()} == {"pending"}
        assert all(d.attempts == 0 for d in ticks.reminders())  # an outage spends no delivery's attempts
        smtp_server.heal()
        ticks.run(every=timedelta(minutes=5), times=3)
    assert arrived(smtp_server) - Counter({COORDINATOR: 2}) == Counter(people())  # each once
    assert {(d.status, d.attempts) for d in ticks.reminders()} == {("sent", 1)}
    assert ticks.paused() == {}
    said = notices(smtp_server)
    assert len(said) == 2 and "暂停" in said[0] and "恢复" in said[1]
    paused, back = (r.message.get_body(("plain",)).get_content() for r in smtp_server.messages
                    if r.rcpt_tos[0] == COORDINATOR)
    assert "渠道无法发送" in paused and "cannot send" not in paused  # a Chinese coordinator: Chinese only
    assert "暂不接受连接" in paused and "not accepting" not in paused  # the relay's error too
    assert "渠道已恢复" in back and "is back" not in back
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "email" in errors[0].getMessage()
    assert any("is back" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_a_relay_refusing_the_sender_pauses_email_and_resumes_on_its_own(burst, smtp_server):
    ticks = Ticks(burst, smtp_server)
    smtp_server.refuse_mail(count=10**6, reply="550 5.7.1 Sender address rejected: access denied")
    ticks.run(every=timedelta(seconds=10), times=4)
    assert "email" in ticks.paused() and {d.status for d in ticks.reminders()} == {"pending"}
    smtp_server.heal()
    ticks.run(every=timedelta(minutes=3), times=2)
    assert arrived(smtp_server) - Counter({COORDINATOR: 2}) == Counter(people())
    assert {d.status for d in ticks.reminders()} == {"sent"}


def test_every_recipient_refused_alike_is_the_relays_fault_not_theirs(burst, smtp_server):
    ticks = Ticks(burst, smtp_server)
    for address in people():
        smtp_server.reject(address, "554 Relay access denied")
    ticks.run(every=timedelta(seconds=10), times=2)
    assert "email" in ticks.paused()
    assert {d.status for d in ticks.reminders()} == {"pending"}  # the first refusals were reopened
    smtp_server.heal()
    ticks.run(every=timedelta(minutes=3), times=2)
    assert arrived(smtp_server) - Counter({COORDINATOR: 2}) == Counter(people())
    assert {d.status for d in ticks.reminders()} == {"sent"}


def test_one_unknown_mailbox_fails_alone_and_pauses_nothing(burst, smtp_server):
    ticks = Ticks(burst, smtp_server)
    smtp_server.reject("c3@example.org")  # 550 5.1.1 No such user here
    ticks.run(every=timedelta(minutes=1), times=2)
    assert ticks.paused() == {}
    statuses = Counter(d.status for d in ticks.reminders())
    assert statuses == {"sent": PEOPLE - 1, "failed": 1}
    assert arrived(smtp_server) - Counter({COORDINATOR: 1}) == Counter(set(people()) - {"c3@example.org"})
    assert len(notices(smtp_server)) == 1  # the coordinator hears of the one who cannot be reached


def test_each_coordinator_hears_of_an_unreachable_contact_in_their_own_language(burst, smtp_server):
    """The relay's refusal (550 5.1.1) reaches 王五 in Chinese only and Mary in English only."""
    with Session(burst) as s:
        office = s.exec(select(Department).where(Department.key == "office")).one()
        add_contact(s, office, name="Mary", addresses={"email": "mary@example.org"}, language="en", role="primary")
        s.commit()
    smtp_server.reject("c3@example.org")
    Ticks(burst, smtp_server).run(every=timedelta(minutes=1), times=2)
    said = {r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content() for r in smtp_server.messages
            if r.rcpt_tos[0] in (COORDINATOR, "mary@example.org")}
    data = ("550 5.1.1 No such user here", "c3@example.org", "饮用水水质信息公开", "市环保局", "市政府办公室", "突发",
            "联络员3")
    zh, en = (visible(re.sub(r"https?://\S+", " ", said[to]), *data) for to in (COORDINATOR, "mary@example.org"))
    assert "联络员3 无法送达：邮件服务器拒绝了收件人 c3@example.org" in said[COORDINATOR]
    assert "永久错误" in zh and english_words(zh) == set(), english_words(zh)
    assert "联络员3 cannot be reached: The mail server refused recipient c3@example.org" in said["mary@example.org"]
    assert "permanent, not retried" in en and not CJK.search(en), CJK.findall(en)


def two_duties_for_one_contact(engine, tmp_path: Path) -> None:
    """张三 of epb is due two duties at the same time: two deliveries, one digest."""
    (tmp_path / "plan.yaml").write_text(PLAN.replace(
        "duties: [", "duties: [{id: air, title: 空气质量, lead: [epb], schedule: 9月14日前完成}, "), encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN,
                   today=date(2016, 9, 1), horizon_days=60, now=utcnow())
        epb = s.exec(select(Department).where(Department.key == "epb")).one()
        add_contact(s, epb, name="张三", addresses={"email": "zhang@example.org"}, language="zh", role="primary")
        plan_deliveries(s, SEND_AT - timedelta(days=1), calendars=lambda _: CN, horizon_days=60)
        s.commit()


def test_what_one_contact_is_due_goes_as_one_message_across_batch_edges(engine, tmp_path, smtp_server):
    two_duties_for_one_contact(engine, tmp_path)
    ticks = Ticks(engine, smtp_server, batch=1)  # the old claim split the pair into two batches
    ticks.run(every=timedelta(minutes=1), times=1)
    assert arrived(smtp_server) == Counter({"zhang@example.org": 1})
    assert [(d.status, d.attempts) for d in ticks.reminders()] == [("sent", 1), ("sent", 1)]  # tries, not size


def test_a_contacts_failures_reach_the_coordinator_once_a_day_not_once_each(engine, tmp_path, smtp_server):
    two_duties_for_one_contact(engine, tmp_path)
    smtp_server.reject("zhang@example.org")
    Ticks(engine, smtp_server).run(every=timedelta(minutes=1), times=2)
    with Session(engine) as s:
        failed = s.exec(select(func.count()).select_from(Delivery).where(Delivery.status == "failed")).one()
    assert failed == 2 and len(notices(smtp_server)) == 1  # two of the contact's deliveries: one notice


class StealingChannel:
    """Accepts messages; during the first, the clock jumps past the lease and another dispatcher
    claims everything whose lease ran out (as a stalled send on a busy machine would let happen)."""

    name = "console"
    limits = Limits()

    def __init__(self, engine, clock: list[float], lease: timedelta):
        self.engine, self.clock, self.lease, self.sent = engine, clock, lease, []

    async def send(self, message: Message) -> Receipt:
        if not self.sent:
            self.clock[0] += 2 * self.lease.total_seconds()
            with Session(self.engine) as s:
                self.taken = outbox.claim(s, SEND_AT + 2 * self.lease, "other", self.lease, 100)
        self.sent.append(message.recipient)
        return Receipt()

    async def close(self) -> None:
        """Nothing to let go of: it holds no connection."""


def test_a_dispatcher_that_lost_its_lease_sends_none_of_what_was_taken_over(burst, caplog):
    clock, lease = [0.0], timedelta(seconds=30)
    channel = StealingChannel(burst, clock, lease)
    settings = Settings(database_url=str(burst.url), secret_key="lease-test-secret-0123456789abcdef",
                        channels=["console"])
    dispatcher = Dispatcher(lambda: Session(burst, expire_on_commit=False), {"console": channel},
                            Renderer(), wiring.signer(settings), wiring.calendars(settings), worker="this",
                            policy=DispatchPolicy(lease=lease), monotonic=lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="scheduler.outbox.dispatcher"):
        asyncio.run(dispatcher.run_once(SEND_AT))
    assert len(channel.sent) == 1  # the one in flight when the lease ran out, and no other
    assert len(channel.taken) == PEOPLE  # the other took every row, the one in flight included
    with Session(burst) as s:
        holders = Counter(s.exec(select(Delivery.claimed_by).where(Delivery.purpose == "due")))
    assert holders == {"other": PEOPLE}  # nothing marked by the dispatcher that lost them
    assert any("sent after their lease ran out" in r.getMessage() for r in caplog.records)
