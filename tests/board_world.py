"""The board's test worlds: the demo plan (plus an event duty), or a city (bench/board_world.py:
up to 1,000 departments and a year of occurrences, written in bulk); a coordinator; a logged-in
client."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench.board_world import World, build_world
from scheduler.access.users import add_user
from tests.test_planfile import VALID
from tests.web_world import NOW, app_for, load_demo

USER, PASSWORD = "office", "correct horse battery"
EVENT_DUTY = """
  - id: "3-1"
    title: 政策解读
    lead: [epb]
    schedule: {after_event: 文件公开, within: 3 workdays}
"""
XSS = "<script>alert(1)</script>"


def load(engine: Engine, tmp_path: Path, *, title: str | None = None) -> None:
    """The demo plan with an event-triggered duty; `title` replaces the title of duty 2-17."""
    text = VALID + EVENT_DUTY
    if title is not None:
        text = text.replace("title: 饮用水水质信息公开", f"title: {title!r}")
    load_demo(engine, tmp_path, text)
    with Session(engine) as session:
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()


def city(engine: Engine, departments: int = 1000, duties: int = 30, help_requests: int = 30) -> World:
    """A city's year on the board at NOW (2016-09-26), and the coordinator who logs in."""
    with Session(engine) as session:
        world = build_world(session, departments=departments, duties=duties, year=NOW.year, today=NOW.date(),
                            now=NOW, help_requests=help_requests)
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    return world


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def client(engine: Engine, now: datetime | Callable[[], datetime] = NOW, *, address: str = "testclient",
           **settings: object) -> TestClient:
    """A browser at `address` (the connection's peer) on an app with these extra settings."""
    return TestClient(app_for(engine, now, **settings), follow_redirects=False, client=(address, 50000))


def log_in(c: TestClient, username: str = USER, password: str = PASSWORD, headers: dict | None = None):
    form = c.get("/login")
    return c.post("/login", data={"username": username, "password": password, "csrf": csrf_of(form.text),
                                  "next": "/board"}, headers=headers)


def logged_in(engine: Engine, now: datetime = NOW) -> tuple[TestClient, str]:
    """A client with a coordinator's session, and that session's CSRF token."""
    c = client(engine, now)
    assert log_in(c).status_code == 303
    return c, csrf_of(c.get("/board").text)
