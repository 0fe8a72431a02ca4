"""A small Duban world for web tests: the demo plan loaded, an app and a signer on a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db import addresses
from db.models import Contact, ContactAddress, Department, Duty, Occurrence, utcnow
from scheduler.access.links import Signer
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings
from tests.test_planfile import VALID, write
from web.app import create_app

SECRET = "web-tests-secret-0123456789abcdef"
PUBLIC = "http://testserver"
NOW = datetime(2016, 9, 26, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing


def load_demo(engine: Engine, tmp_path: Path, text: str = VALID) -> None:
    """The demo plan (市环保局 with contact 张三, 市教育局, 市政府办公室 coordinating), stored."""
    data = read_plan(write(tmp_path, text, "demo.yaml"), date(2016, 8, 1))
    with Session(engine) as session:
        store_plan(session, data, calendar=calendar_for("CN"), today=date(2016, 8, 1), horizon_days=400, now=utcnow())
        session.commit()


def settings(**extra: object) -> Settings:
    return Settings(secret_key=SECRET, public_url=PUBLIC, **extra)


def app_for(engine: Engine, now: datetime | Callable[[], datetime] = NOW, **extra: object) -> FastAPI:
    clock = now if callable(now) else (lambda: now)
    return create_app(engine, settings(**extra), clock=clock)


def signer(now: datetime = NOW) -> Signer:
    return Signer(SECRET, PUBLIC, now=lambda: now)


def contact(engine: Engine, name: str = "张三") -> Contact:
    with Session(engine) as session:
        return session.exec(select(Contact).where(Contact.name == name)).one()


def email_of(engine: Engine, name: str = "张三") -> ContactAddress | None:
    """The contact's email address row (its state says whether it is used)."""
    with Session(engine) as session:
        return addresses.address(session, contact(engine, name).id, "email")


def occurrence(engine: Engine, duty_key: str = "2-17", department: str = "epb", due: date | None = None,
               ) -> Occurrence:
    """The occurrence of a demo duty for a department (the first, or the one due on `due`)."""
    with Session(engine) as session:
        query = (select(Occurrence).join(Duty).join(Department, Occurrence.department_id == Department.id)
                 .where(Duty.key == duty_key, Department.key == department)
                 .order_by(Occurrence.due, Occurrence.id))
        if due is not None:
            query = query.where(Occurrence.due == due)
        return session.exec(query).first()


def path_of(url: str) -> str:
    return url.removeprefix(PUBLIC)


def coordinator_token(engine: Engine, username: str = "office", now: datetime = NOW) -> str:
    """A coordinator user (as the board would have it) and an API token for it."""
    from argon2 import PasswordHasher

    from db.models import User
    from scheduler.access.api_tokens import issue

    with Session(engine) as session:
        user = User(username=username, password_hash=PasswordHasher().hash("secret"), display_name="督办科")
        session.add(user)
        session.flush()
        token = issue(session, user, now)
        session.commit()
    return token


def api_client(engine: Engine, tmp_path: Path, plan: str = VALID) -> TestClient:
    """The demo plan loaded and a client of the API carrying a coordinator's bearer token."""
    load_demo(engine, tmp_path, plan)
    client = TestClient(app_for(engine))
    client.headers["authorization"] = f"Bearer {coordinator_token(engine)}"
    return client
