"""`duban contacts edit ID` and `duban contacts remove ID`, end to end against SQLite and PostgreSQL:
what is given changes and nothing else; a contact with history is deactivated, never deleted, and
the reminders still waiting for it are cancelled; a mistaken one without history goes entirely;
unknown ids and bad values are refused with a message in both languages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from db import queries
from db.engine import make_engine
from db.models import Contact, ContactAddress, Delivery
from tests.test_bad_input import said
from tests.test_planfile import VALID, write

BEFORE_DUE = "2016-09-26T01:30:00+00:00"  # the water duty is due 2016-09-30: reminders lie ahead


@pytest.fixture
def loaded(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_SECRET_FILE", str(tmp_path / "secret.key"))
    result = cli("plan", "load", str(write(tmp_path, VALID)))
    assert result.exit_code == 0, result.output + result.stderr
    return cli


def contact(cli, name: str) -> dict:
    return next(c for c in cli.json("contacts", "list") if c["name"] == name)


def deliveries(cli, contact_id: int) -> Counter:
    """The contact's deliveries by status."""
    engine = make_engine(cli.db_url)
    with Session(engine) as session:
        found = Counter(d.status for d in session.exec(select(Delivery).where(Delivery.contact_id == contact_id)))
    engine.dispose()
    return found


def as_utc(moment: datetime) -> datetime:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def refused(result, *words: str) -> str:
    assert result.exit_code == 1, result.output + result.stderr
    for w in words:
        assert w in said(result.stderr), result.stderr
    return result.stderr


# ---- edit ----

def test_edit_changes_what_is_given_and_nothing_else(loaded):
    zhang = contact(loaded, "张三")
    edited = loaded.json("contacts", "edit", str(zhang["id"]), "--name", "张三丰", "--email", "feng@example.org",
                         "--telegram", "12345", "--lang", "en")
    assert edited["changed"] == ["name", "language", "email", "telegram"]
    listed = contact(loaded, "张三丰")
    assert listed == {**zhang, "name": "张三丰", "email": "feng@example.org", "telegram": 12345, "lang": "en"}

    role = loaded.json("contacts", "edit", str(zhang["id"]), "--role", "backup")
    assert role["changed"] == ["role"] and contact(loaded, "张三丰")["role"] == "backup"
    again = loaded("contacts", "edit", str(zhang["id"]), "--role", "backup")
    assert again.exit_code == 0 and "没有变化 nothing changed" in again.stdout


def test_edit_with_empty_addresses_removes_them(loaded):
    zhang = contact(loaded, "张三")
    loaded.json("contacts", "edit", str(zhang["id"]), "--telegram", "-1001234567890")
    result = loaded("contacts", "edit", str(zhang["id"]), "--email", "", "--telegram", "")
    assert result.exit_code == 0 and "邮箱 email, Telegram" in result.stdout
    assert contact(loaded, "张三")["email"] is None and contact(loaded, "张三")["telegram"] is None


def test_edit_says_what_is_wrong_and_changes_nothing(loaded):
    zhang = contact(loaded, "张三")
    loaded.json("contacts", "add", "--department", "epb", "--name", "李四")
    refused(loaded("contacts", "edit", str(zhang["id"]), "--name", "李四"), "联系人已存在",
            "already has a contact called '李四'")
    refused(loaded("contacts", "edit", str(zhang["id"]), "--email", "zhang-at-example"),
            "邮箱地址无效 not an email address: 'zhang-at-example'")
    refused(loaded("contacts", "edit", str(zhang["id"]), "--telegram", "@zhang"),
            "Telegram 会话编号应为数字 a chat id is a number")
    refused(loaded("contacts", "edit", str(zhang["id"]), "--telegram", "0"), "chat id 0 is out of range")
    refused(loaded("contacts", "edit", str(zhang["id"]), "--name", "   "), "a name has 1-200 characters")
    refused(loaded("contacts", "edit", str(zhang["id"])), "没有要修改的内容 nothing to change")
    assert contact(loaded, "张三") == zhang


@pytest.mark.parametrize("command", [["edit", "999", "--name", "王五"], ["edit", "999"], ["remove", "999"]])
def test_an_unknown_id_is_named(loaded, command):
    refused(loaded("contacts", *command), "找不到联系人 999 / no contact with id 999: see duban contacts list")


def test_a_group_robot_is_changed_with_the_robots_commands(loaded):
    epb = next(d["id"] for d in loaded.json("departments") if d["key"] == "epb")
    engine = make_engine(loaded.db_url)
    with Session(engine) as session:  # a robot's own contact, as `duban robots add` makes it
        robot = Contact(department_id=epb, name="环保局群", role="robot")
        session.add(robot)
        session.commit()
        robot_id = robot.id
    engine.dispose()
    for command in (["edit", str(robot_id), "--lang", "en"], ["remove", str(robot_id)]):
        refused(loaded("contacts", *command), f"contact {robot_id} is the group robot '环保局群'", "duban robots")


# ---- remove, and turning off and on ----

def test_a_contact_without_history_is_deleted_with_its_addresses(loaded):
    added = loaded.json("contacts", "add", "--department", "edu", "--name", "错加的", "--email", "oops@example.org")
    removed = loaded.json("contacts", "remove", str(added["id"]))
    assert removed == {"id": added["id"], "name": "错加的", "department": "市教育局", "removed": "deleted",
                       "cancelled": 0}
    assert "错加的" not in [c["name"] for c in loaded.json("contacts", "list")]
    engine = make_engine(loaded.db_url)
    with Session(engine) as session:
        assert session.exec(select(ContactAddress).where(ContactAddress.contact_id == added["id"])).all() == []
    engine.dispose()
    refused(loaded("contacts", "remove", str(added["id"])), f"no contact with id {added['id']}")


def test_a_contact_with_history_is_deactivated_and_its_pending_reminders_cancelled(loaded):
    zhang = contact(loaded, "张三")
    assert loaded("tick", "--now", BEFORE_DUE).exit_code == 0
    before = deliveries(loaded, zhang["id"])
    assert before["sent"] and before["pending"], before

    result = loaded("contacts", "remove", str(zhang["id"]))
    assert result.exit_code == 0, result.stderr
    assert f"已停用联系人 contact {zhang['id']} deactivated" in said(result.stdout)
    assert f"{before['pending']} 条待发提醒已取消" in said(result.stdout)
    after = deliveries(loaded, zhang["id"])
    assert after == Counter({"sent": before["sent"], "cancelled": before["pending"] + before["cancelled"]})
    assert contact(loaded, "张三")["active"] is False
    assert "张三 (已停用" in loaded("contacts", "list").stdout  # the table wraps the rest

    assert loaded("tick", "--now", "2016-09-30T01:30:00+00:00").exit_code == 0  # nothing more for 张三
    assert deliveries(loaded, zhang["id"]) == after

    back = loaded.json("contacts", "edit", str(zhang["id"]), "--active")
    assert back["changed"] == ["active"] and back["active"] is True
    assert loaded("tick", "--now", "2016-10-11T01:30:00+00:00").exit_code == 0  # overdue: reminded again
    assert deliveries(loaded, zhang["id"])["sent"] > before["sent"]


def test_turned_on_again_the_reminders_still_to_come_are_back(loaded):
    zhang = contact(loaded, "张三")
    assert loaded("tick", "--now", BEFORE_DUE).exit_code == 0
    engine = make_engine(loaded.db_url)
    later = datetime(2016, 9, 28, 12, tzinfo=UTC)  # between the reminders planned at BEFORE_DUE
    with Session(engine) as session:
        person = session.get(Contact, zhang["id"])
        cancelled = queries.deactivate_contact(session, person)
        back = queries.edit_contact(session, person, later, active=True)
        session.commit()
        pending = session.exec(select(Delivery).where(Delivery.contact_id == zhang["id"],
                                                      Delivery.status == "pending")).all()
    engine.dispose()
    assert back == ["active"] and 0 < len(pending) < cancelled
    assert all(as_utc(d.send_at) >= later for d in pending)


def test_edit_inactive_stops_the_reminders_as_remove_does(loaded):
    zhang = contact(loaded, "张三")
    assert loaded("tick", "--now", BEFORE_DUE).exit_code == 0
    pending = deliveries(loaded, zhang["id"])["pending"]
    result = loaded("contacts", "edit", str(zhang["id"]), "--inactive")
    assert result.exit_code == 0 and "停用 inactive (待发提醒已取消 pending reminders cancelled)" in said(result.stdout)
    assert pending and deliveries(loaded, zhang["id"])["pending"] == 0
