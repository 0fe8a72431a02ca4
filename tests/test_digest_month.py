"""What people read over a month of seed 000's plan (plans/yingkou-2016.yaml, issue 17): the real
planner, dispatcher and email channel into a real SMTP server, ticking every working day of
September 2016 at 09:00, with one contact per department and two for the coordinating office.

Every digest lists a duty, department and date once (the completion deadline and the quarter due
the same day are one item), the daily air-quality duty as one standing line, the most urgent
first under a count line. A contact who cannot be reached is told to each coordinator once, in
one summary for the run, and not again the next day.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from db import migrate
from db.engine import make_engine
from db.models import Delivery, Department, Occurrence, utcnow
from db.queries import add_contact
from db.vocabulary import DeliveryStatus
from duban import wiring
from duban.service import Planning, tick
from scheduler.access.links import Signer
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings
from tests.conftest import postgres_url
from tests.smtp_server import SmtpServer

PLAN = Path(__file__).resolve().parents[1] / "plans" / "yingkou-2016.yaml"
CN = calendar_for("CN")
SECRET = "digest-month-secret-0123456789abcdef"
PUBLIC = "https://duban.example.org"
AIR = "加强城市空气质量预测预报"  # 2-15: 每日 ... 7月底前启动 9月底前完成
OFFICE = ("wang@example.org", "mary@example.org")  # the coordinating office: zh and en
NOBODY, REFUSED = "审计联络员", "农委联络员"  # no address at all; a mailbox the relay refuses
DAYS = [date(2016, 9, 1) + timedelta(days=n) for n in range(30) if CN.is_workday(date(2016, 9, 1) + timedelta(days=n))]
ITEM = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)
COUNT = re.compile(r"共 (\d+) 项：逾期 (\d+) 项，今天到期 (\d+) 项，即将到期 (\d+) 项")


@dataclass
class Mail:
    day: date
    to: str
    subject: str
    body: str


@dataclass
class Month:
    engine: object
    mails: list[Mail]

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if m.to == address]


def _database(kind: str, tmp: Path):
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'duban.db'}"
        migrate.upgrade(url)
        return make_engine(url), None
    base, schema = postgres_url(), f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    migrate.upgrade(url)
    return make_engine(url), (admin, schema)


def _people(engine) -> None:
    """Seed 000's plan with one contact per department, two for the office, two who cannot be reached."""
    with Session(engine) as s:
        store_plan(s, read_plan(PLAN, date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1), horizon_days=60,
                   now=utcnow())
        for d in s.exec(select(Department).order_by(Department.id)).all():
            if d.key == "office":
                add_contact(s, d, name="王五", addresses={"email": OFFICE[0]}, language="zh", role="primary")
                add_contact(s, d, name="Mary", addresses={"email": OFFICE[1]}, language="en", role="backup")
            elif d.key == "audit":
                add_contact(s, d, name=NOBODY, addresses={}, language="zh", role="primary")
            else:
                name = REFUSED if d.key == "agri" else f"{d.key}联络员"
                add_contact(s, d, name=name, addresses={"email": f"{d.key}@example.org"}, language="zh",
                            role="primary")
        s.commit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def month(request, tmp_path_factory) -> Month:
    engine, cleanup = _database(request.param, tmp_path_factory.mktemp(f"month-{request.param}"))
    _people(engine)
    mails: list[Mail] = []
    with SmtpServer() as smtp:
        smtp.reject("agri@example.org")
        settings = Settings(_env_file=None, database_url=engine.url.render_as_string(hide_password=False),
                            smtp_url=smtp.url(), mail_from="督办 <duban@example.org>", public_url=PUBLIC,
                            secret_key=SECRET, retry_base_seconds=0)
        dispatcher = wiring.dispatcher(engine, settings, wiring.channels(settings))
        planning = Planning(wiring.calendars(settings), horizon_days=60)
        for day in DAYS:
            seen = len(smtp.messages)
            asyncio.run(tick(engine, planning, dispatcher, datetime(day.year, day.month, day.day, 1, tzinfo=UTC)))
            mails += [Mail(day, r.rcpt_tos[0], r.message["Subject"], r.message.get_body(("plain",)).get_content().replace("\r\n", "\n"))
                      for r in smtp.messages[seen:]]
    yield Month(engine, mails)
    engine.dispose()
    if cleanup:
        admin, schema = cleanup
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def items(body: str) -> list[str]:
    """A message's items, each as its block of text (from its number to the next)."""
    starts = [m.start() for m in ITEM.finditer(body)]
    end = body.find("\n——")
    return [body[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]


def answered_by(block: str, signer: Signer) -> list[int]:
    """The occurrences the "done" links of an item answer (the item's, and each deadline under a daily line)."""
    tokens = re.findall(r"(?:✅ 已完成|✅ Done)[：:] ?\S+/a/(\S+)", block)
    return [signer.verify_answer(t).occurrence_id for t in tokens]


def test_no_duty_department_and_date_is_listed_twice_in_any_message(month):
    signer = Signer(SECRET, PUBLIC, now=utcnow)
    with Session(month.engine) as s:
        key = {o.id: (o.duty_id, o.department_id, o.due) for o in s.exec(select(Occurrence))}
    digests = [m for m in month.mails if "督办汇总" in m.subject or "Duban digest" in m.subject]
    assert len(digests) > 300
    for mail in digests:
        shown = [key[o] for block in items(mail.body) for o in answered_by(block, signer)]
        assert shown and len(shown) == len(set(shown)), (mail.day, mail.to, Counter(shown).most_common(2))
        for block in items(mail.body):  # and by what a reader sees: title, department, dates
            title = block.split("\n", 1)[0]
            dept = re.search(r"(?:责任单位|Department)[：:] ?(.+)", block)[1]
            dates = re.findall(r"(?:截止日期|启动期限)：(\d{4}年\d+月\d+日)", block)
            assert len(dates) == len(set(dates)), (title, dept, dates)


def test_the_completion_deadline_and_the_quarter_due_that_day_are_one_item(month):
    epb = [m for m in month.to("epb@example.org") if m.day == date(2016, 9, 30)]
    [mail] = epb
    water = [b for b in items(mail.body) if "推动集中式生活饮用水水源水质监测信息公开" in b.split("\n", 1)[0]]
    due = [b for b in water if "2016年9月30日" in b]
    assert len(due) == 1 and "截止日期：2016年9月30日（完成时限、2016年第3季度；今天是最后一个工作日）" in due[0]


def open_air_days(day: date) -> int:
    """Working days from 1 Aug (the first daily occurrence) to `day`: nothing was answered."""
    return sum(CN.is_workday(date(2016, 8, 1) + timedelta(days=n)) for n in range((day - date(2016, 8, 1)).days + 1))


def test_the_daily_duty_is_one_standing_line_that_counts_the_open_days(month):
    signer = Signer(SECRET, PUBLIC, now=utcnow)
    with Session(month.engine) as s:
        due = {o.id: o.due for o in s.exec(select(Occurrence))}
    mails = month.to("epb@example.org")
    assert [m.day for m in mails] == DAYS  # one digest a working day
    for mail in mails:
        assert mail.body.count(AIR) == 1, mail.day  # the title once, however many days are open
        line = f"每个工作日：{AIR}（今日及此前未办 {open_air_days(mail.day)} 天"
        assert line in mail.body, (mail.day, re.findall(rf".*{AIR}.*", mail.body))
        [block] = [b for b in items(mail.body) if AIR in b]
        assert "启动期限：2016年7月31日" in block  # the duty's start, listed under the line
        line, *under = (due[o] for o in answered_by(block, signer))
        assert line == mail.day and date(2016, 7, 31) in under  # the line answers today's occurrence
    last = mails[-1].body  # 30 Sep: the completion deadline is that day's occurrence's twin
    assert f"每个工作日：{AIR}（今日及此前未办 {open_air_days(date(2016, 9, 30))} 天；2016年9月30日同为完成时限）" in last
    assert len(mails[0].body.encode()) < 12_000  # the digest was 66 items, 33 KB


def test_a_coordinators_escalations_show_the_daily_duty_as_one_line_too(month):
    for mail in month.to(OFFICE[0]):
        assert mail.body.count(AIR) <= 1, (mail.day, mail.subject)
    for mail in month.to(OFFICE[1]):
        assert mail.body.count("Every working day: " + AIR) == mail.body.count(AIR) <= 1


def status_rank(block: str) -> tuple[int, int]:
    """(0, -days) overdue, (1, 0) due today, (2, 0) coming up: from the item's first status."""
    status = re.search(r"已逾期 (\d+) 天|今天是最后一个工作日|还剩 \d+ 个工作日", block)
    if status[1]:
        return 0, -int(status[1])
    return (1, 0) if status[0].startswith("今天") else (2, 0)


def test_digests_open_with_a_count_line_and_list_the_most_urgent_first(month):
    digests = [m for m in month.mails if m.subject.startswith("【督办汇总】")]
    assert digests
    for mail in digests:
        lead = mail.body.split("\n\n", 2)[1]
        total, late, today, coming = map(int, COUNT.search(lead).groups())
        blocks = items(mail.body)
        assert total == len(blocks) == late + today + coming
        ranks = [status_rank(b) for b in blocks]
        assert ranks == sorted(ranks), (mail.day, mail.to)
        assert Counter(r[0] for r in ranks) == Counter({0: late, 1: today, 2: coming}) - Counter()


def notices(mails: list[Mail]) -> list[Mail]:
    return [m for m in mails if "系统通知" in m.subject or "Duban notice" in m.subject]


def test_each_coordinator_hears_of_who_cannot_be_reached_once_in_one_summary(month):
    for address in OFFICE:
        told = notices(month.to(address))
        assert [m.day for m in told] == [DAYS[0]]  # one message on the first day, none after
    [zh], [en] = notices(month.to(OFFICE[0])), notices(month.to(OFFICE[1]))
    assert f"{NOBODY} 无法送达：没有渠道能送达此联系人" in zh.body
    assert f"{REFUSED} 无法送达：邮件服务器拒绝了收件人 agri@example.org" in zh.body
    assert f"{NOBODY} cannot be reached: no channel reaches this contact" in en.body
    assert f"{REFUSED} cannot be reached: The mail server refused recipient agri@example.org" in en.body
    assert "2 个发送问题" in zh.subject and "2 delivery problems" in en.subject
    assert not any(m.to.startswith(("audit", "agri")) for m in month.mails)


def test_the_failures_go_on_every_day_but_are_told_once(month):
    with Session(month.engine) as s:
        failed = s.exec(select(Delivery.send_at).where(Delivery.status == DeliveryStatus.failed)).all()
    assert {at.date() for at in failed} == set(DAYS)  # every day's reminders fail for the two
    assert sum(len(notices(month.to(a))) for a in OFFICE) == 2  # told once, to each coordinator
