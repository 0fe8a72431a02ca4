"""Fixtures for the bot's end-to-end tests: a loaded plan with contacts bound to chats, the fake
Bot API server (tests/telegram_server.py), the real bot (`serve_bot`, real PTB) running in a
thread, and the dispatcher sending through the real Telegram channel.

Registered in conftest.py (pytest_plugins).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channel import TelegramChannel
from bot.runner import serve_bot
from db import addresses
from db.models import Contact, Department, Duty, Occurrence, utcnow
from duban import wiring
from duban.service import Planning, tick
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings
from tests.telegram_server import Sent, TelegramServer

CN = calendar_for("CN")
ZHANG, CHIEF, LI, WANG, STRANGER = 1001, 1002, 2001, 3001, 9009  # chat ids (private chats: = user ids)
DUE_EVE = datetime(2016, 9, 13, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, the working day before 14 Sep
PLAN = """\
version: 1
plan:
  id: demo
  title: 政务公开督办
  issued: 2016-09-01
  year: 2016
  coordinator: office
  remind: {before: [1, 0], at: "09:30", overdue_every: 0, escalate_after: 0}
departments:
  - {id: office, name: 市政府办公室}
  - {id: epb, name: 市环保局}
  - {id: edu, name: 市教育局}
contacts:
  - {department: office, name: 王五, email: wang@example.org, telegram: 3001}
  - {department: epb, name: 张三, email: zhang@example.org, telegram: 1001}
  - {department: epb, name: 环保局局长, role: supervisor, telegram: 1002}
  - {department: edu, name: Li Si, email: li@example.org, telegram: 2001, lang: en}
  - {department: edu, name: 赵六, email: zhao@example.org}
duties:
  - id: water
    title: 饮用水水质信息公开
    requirement: 每季度向社会公开饮用水水源水质。
    outlet: 市环保局网站
    lead: [epb]
    schedule: 9月14日前完成
  - id: air
    title: 空气质量信息公开
    lead: [epb]
    schedule: 9月14日前完成
  - id: briefing
    title: 媒体吹风会
    lead: [edu]
    schedule: 每月28日前
  - id: interpret
    title: 重要政策文件解读
    lead: [edu]
    schedule: 文件公开后3个工作日内
"""


class Clock:
    """The bot's and the dispatcher's 'now', moved by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    engine: Engine
    tg: TelegramServer
    settings: Settings
    clock: Clock

    def contact(self, name: str) -> Contact:
        with Session(self.engine) as s:
            return s.exec(select(Contact).where(Contact.name == name)).one()

    def chat_of(self, name: str) -> int | None:
        """The Telegram chat the contact is reached at (None: unbound or disabled)."""
        with Session(self.engine) as s:
            chat = addresses.usable(s, self.contact(name).id, "telegram")
            return None if chat is None else int(chat)

    def occurrence(self, duty: str, period: str | None = None) -> Occurrence:
        with Session(self.engine) as s:
            q = select(Occurrence).join(Duty).where(Duty.key == duty).order_by(Occurrence.due)
            rows = [o for o in s.exec(q) if period is None or o.period == period]
            return rows[0]

    def refresh(self, occ: Occurrence) -> Occurrence:
        with Session(self.engine) as s:
            return s.get(Occurrence, occ.id)

    def dispatch(self, now: datetime | None = None, **overrides):
        """Plan and send as of `now` through the Telegram channel (and email when configured)."""
        settings = Settings(_env_file=None, **(self.settings.model_dump() | overrides))
        channel = TelegramChannel.from_settings(settings)
        dispatcher = wiring.dispatcher(self.engine, settings, wiring.channels(settings, {"telegram": channel}))
        planning = Planning(wiring.calendars(settings), horizon_days=60)

        async def run():
            try:
                return await tick(self.engine, planning, dispatcher, now or self.clock())
            finally:
                for c in dispatcher.channels.values():
                    if hasattr(c, "close"):
                        await c.close()

        return asyncio.run(run())

    # -- talking to the bot through the server ---------------------------------------------
    def say(self, chat: int, text: str, **kwargs) -> Sent:
        """Write `text` in `chat` and return the bot's next message there."""
        before = len(self.tg.sent_to(chat))
        self.tg.send_text(chat, text, **kwargs)
        return self.tg.wait_for(lambda: self.tg.sent_to(chat)[before:] and self.tg.sent_to(chat)[before],
                                f"the bot's reply to {text!r} in chat {chat}")

    def press(self, chat: int, message: Sent, data: str, **kwargs) -> dict:
        """Press the button `data` under `message`; returns the bot's answerCallbackQuery."""
        _, query = self.tg.press(chat, message.message_id, data, **kwargs)
        return self.tg.wait_for(lambda: self.tg.answer_to(query), f"the answer to pressing {data!r}")


class RunningBot:
    """`serve_bot` in its own thread and event loop, as `duban run --only bot` runs it."""

    def __init__(self, world: World):
        self.world = world
        self.error: BaseException | None = None
        self._ready = threading.Event()

    def _run(self) -> None:
        async def main():
            self.loop, self.stop_event = asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await serve_bot(self.world.engine, self.world.settings, self.stop_event, clock=self.world.clock)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc
            self._ready.set()

    def start(self) -> RunningBot:
        polls = len(self.world.tg.calls("getUpdates"))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._ready.wait(10)
        self.world.tg.wait_for(lambda: self.error or len(self.world.tg.calls("getUpdates")) > polls,
                               "the bot to start polling")
        assert self.error is None, self.error
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
            self.thread.join(30)
        assert not self.thread.is_alive(), "serve_bot did not return after stop was set"
        assert self.error is None, self.error


def load_world(engine: Engine, tmp_path: Path, plan: str = PLAN) -> None:
    (tmp_path / "plan.yaml").write_text(plan, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1),
                   horizon_days=60, now=utcnow())
        s.commit()


def settings_for(engine: Engine, tg: TelegramServer, **overrides) -> Settings:
    values = {"database_url": engine.url.render_as_string(hide_password=False), "telegram_token": tg.token,
              "telegram_api_url": tg.url, "telegram_poll_timeout": 1,
              "secret_key": "bot-tests-secret-key-0123456789abcdef",
              "public_url": "https://duban.example.org", "retry_base_seconds": 0, "send_tries": 3,
              "telegram_chat_seconds": 0.05}  # the per-chat pause has tests of its own
    return Settings(_env_file=None, **(values | overrides))


@pytest.fixture
def world(engine, tmp_path, telegram_server) -> World:
    load_world(engine, tmp_path)
    return World(engine, telegram_server, settings_for(engine, telegram_server), Clock(DUE_EVE))


@pytest.fixture
def bot(world):
    running = RunningBot(world).start()
    yield running
    running.stop()


def department_id(engine: Engine, key: str) -> int:
    with Session(engine) as s:
        return s.exec(select(Department.id).where(Department.key == key)).one()
