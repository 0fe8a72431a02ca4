"""A burst for the outbox's fault and cluster tests: one occurrence whose department has `n`
contacts, so `n` separate emails fall due at one moment, and the environment of a dispatcher
process that sends them to a test SMTP server."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from db.addresses import insert_contacts
from db.models import Delivery, Department, utcnow
from scheduler.calendar.workdays import calendar_for
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan

CN = calendar_for("CN")
SEND_AT = datetime(2016, 9, 14, 1, tzinfo=UTC)  # 09:00 in Shanghai on the due day
LEASE = 30
PLAN = """\
version: 1
plan: {id: burst, title: 突发, issued: 2016-09-01, year: 2016,
       remind: {before: [0], at: "09:00", overdue_every: 0, escalate_after: 0}}
departments: [{id: epb, name: 市环保局}]
duties: [{id: water, title: 饮用水水质信息公开, lead: [epb], schedule: 9月14日前完成}]
"""


def burst(engine, tmp_path: Path, n: int) -> None:
    """One occurrence, `n` contacts of its department (c0@example.org ...): `n` separate messages
    due at SEND_AT."""
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN,
                   today=date(2016, 9, 1), horizon_days=60, now=utcnow())
        dept = s.exec(select(Department)).one()
        insert_contacts(s, dept.id, [(f"联络员{i}", {"email": f"c{i}@example.org"}) for i in range(n)])
        plan_deliveries(s, SEND_AT - timedelta(days=1), calendars=lambda _: CN, horizon_days=60)
        s.commit()
        assert s.exec(select(func.count()).select_from(Delivery)).one() == n


def env(engine, smtp, **extra: str) -> dict[str, str]:
    """A dispatcher process's environment: this database, this SMTP server, a lease of LEASE
    seconds, batches of 50, retries at once; `extra` (DUBAN_... variables) over all of it."""
    return {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "DUBAN_SMTP_URL": smtp.url(), "DUBAN_MAIL_FROM": "duban@example.org",
            "DUBAN_SECRET_KEY": "crash-tests-secret-key-0123456789abcdef", "DUBAN_LEASE_SECONDS": str(LEASE),
            "DUBAN_RETRY_BASE_SECONDS": "0", "DUBAN_DISPATCH_BATCH": "50", "DUBAN_LOG_LEVEL": "WARNING"} | extra


def status_counts(engine) -> Counter:
    with Session(engine) as s:
        return Counter(dict(s.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()))
