"""Adding a channel is one module, its template and its tests: a group-robot channel defined in
this file alone (its layout template written by the test into the templates folder) registers
itself and gets the reminders of the contacts who have an address for it. And the dispatcher's
source names no channel: it asks the registry."""

from __future__ import annotations

import ast
import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlmodel import Session, select

import scheduler.outbox.dispatcher
from db import addresses
from db.addresses import insert_contacts
from db.models import AddressState, Contact, Delivery, Department
from duban import wiring
from duban.service import Planning, tick
from scheduler.calendar.workdays import calendar_for
from scheduler.channels import registry
from scheduler.channels.base import Limits, Message, Receipt, TransportError
from scheduler.messages.render import Layout
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings

CN = calendar_for("CN")
SEND_AT = datetime(2016, 9, 14, 1, tzinfo=UTC)  # 09:00 in Shanghai on the due day
PLAN = """\
version: 1
plan: {id: robots, title: 群机器人, issued: 2016-09-01, year: 2016, coordinator: office,
       remind: {before: [0], at: "09:00", overdue_every: 0, escalate_after: 0}}
departments: [{id: office, name: 市政府办公室}, {id: epb, name: 市环保局}]
duties: [{id: water, title: 饮用水水质信息公开, lead: [epb], schedule: 9月14日前完成}]
"""
ROBOT_LAYOUT = """\
{% import lang ~ "/_words.j2" as w %}
ROBOT {{ ctx.contact_name }}: {% block lead %}{% endblock %}
{% for i in items %}
- {{ i.title }} #{{ i.occurrence_id }}
{% endfor %}
"""


class RobotChannel:
    """A group-robot webhook, as a test double: it keeps what it was asked to post."""

    name = "robot"
    limits = Limits(per_second=20)
    posted: ClassVar[list[Message]] = []

    async def send(self, message: Message) -> Receipt:
        if message.recipient.address == "room-gone":
            raise TransportError("robot: this room was dissolved", disable=True)
        self.posted.append(message)
        return Receipt(provider_id=f"robot-{len(self.posted)}")

    async def close(self) -> None:
        """Nothing to let go of: it holds no connection."""


@pytest.fixture
def robot():
    """The robot channel registered as its module would register it, and taken away after."""
    RobotChannel.posted = []
    registry.register(registry.ChannelSpec(
        name="robot", address="robot", priority=5, build=lambda settings: RobotChannel(),
        layout=Layout("robot", "_robot.j2", max_text=2000), limits=RobotChannel.limits))
    yield RobotChannel
    registry.unregister("robot")


@pytest.fixture
def office(engine, tmp_path: Path):
    """One due reminder for each of three contacts: two in robot rooms, one by email only."""
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(tmp_path / "plan.yaml", date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1),
                   horizon_days=60, now=SEND_AT - timedelta(days=13))
        epb = s.exec(select(Department).where(Department.key == "epb")).one()
        insert_contacts(s, epb.id, [("张三", {"robot": "room-1", "email": "zhang@example.org"}),
                                    ("李四", {"robot": "room-2"}), ("王五", {"email": "wang@example.org"})])
        s.commit()
    return engine


def dispatch(engine, tmp_path: Path) -> dict[str, str]:
    """`duban tick` at SEND_AT with DUBAN_CHANNELS=robot,console; each contact's delivery channel."""
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "_robot.j2").write_text(ROBOT_LAYOUT, encoding="utf-8")
    settings = Settings(database_url=str(engine.url), channels=["robot", "console"], templates_dir=templates,
                        secret_key="robot-test-secret-0123456789abcdef")
    dispatcher = wiring.dispatcher(engine, settings, wiring.channels(settings))
    asyncio.run(tick(engine, Planning(wiring.calendars(settings), horizon_days=60), dispatcher, SEND_AT))
    with Session(engine) as s:
        return {c.name: d.channel for d, c in s.exec(select(Delivery, Contact).join(Contact))
                if d.status == "sent"}


def test_a_channel_defined_in_one_file_gets_the_reminders_of_contacts_with_an_address_for_it(
        office, robot, tmp_path):
    sent = dispatch(office, tmp_path)
    assert sent == {"张三": "robot", "李四": "robot", "王五": "console"}  # preferred by its priority
    posted = {m.recipient.address: m for m in robot.posted}
    assert set(posted) == {"room-1", "room-2"} and posted["room-1"].recipient.name == "张三"
    assert posted["room-1"].text.startswith("ROBOT 张三:") and "饮用水水质信息公开" in posted["room-1"].text
    assert posted["room-1"].html is None  # its layout has no HTML part


def test_a_setting_naming_an_unregistered_channel_is_refused_with_the_known_ones():
    known = ", ".join(registry.names())
    assert known.startswith("telegram, email, ") and known.endswith(", console")
    with pytest.raises(ValueError, match=re.escape(f"unknown channel 'robot': the known channels are {known}")):
        Settings(channels=["robot"])


def test_the_dispatcher_names_no_channel():
    source = Path(scheduler.outbox.dispatcher.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    for channel in ("email", "telegram", "console", "smtp", "mail"):
        assert not [n for n in names if channel in n.lower()], channel
        assert not [s for s in strings if channel in s.lower()], channel


def test_an_address_the_channel_reports_gone_is_disabled_by_the_dispatcher_in_its_own_session(
        office, robot, tmp_path):
    with Session(office) as s:
        li = s.exec(select(Contact.id).where(Contact.name == "李四")).one()
        addresses.bind(s, li, "robot", "room-gone", SEND_AT)
        s.commit()
    sent = dispatch(office, tmp_path)
    assert "李四" not in sent  # permanent: not retried, and the console is no fallback
    with Session(office) as s:
        gone = addresses.address(s, li, "robot")
    assert (gone.address, gone.state, gone.reason) == ("room-gone", AddressState.disabled,
                                                       "robot: this room was dissolved")
