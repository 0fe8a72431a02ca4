"""Sending reminders through the Telegram channel under Telegram's limits and faults: flood
control (429 with retry_after), per-chat pacing, 5xx, a blocked bot, a chat that is gone, a group
that became a supergroup; and `duban tick` sending through it. Real PTB, a local Bot API server,
a real SMTP server for the email fallback, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from db import addresses
from db.models import Attempt, Contact, Delivery
from tests.bot_world import DUE_EVE, LI, WANG, ZHANG, department_id
from tests.telegram_server import CHAT_NOT_FOUND, SERVER_ERROR, Flood

# PTB 22 announces, each time it builds a RetryAfter, that retry_after will become a timedelta
# (bot/channel.py reads both forms).
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after` will be of type")
BRIEFING_EVE = datetime(2016, 9, 27, 1, 30, tzinfo=UTC)  # Li Si's reminder: the briefing is due 28 Sep


def more_contacts(world, chats: list[int], department: str = "epb") -> None:
    """More contacts of `department`, each bound to one of `chats` (repeats share a group chat)."""
    dept = department_id(world.engine, department)
    with Session(world.engine) as s:
        addresses.insert_contacts(s, dept, [(f"联络员{i}", {"telegram": str(chat), "email": f"c{i}@example.org"})
                                            for i, chat in enumerate(chats)], role="backup")
        s.commit()


def statuses(world, now: datetime = DUE_EVE) -> dict[str, int]:
    """How many deliveries due by `now` are in each status (later ones wait their turn)."""
    with Session(world.engine) as s:
        rows = s.exec(select(Delivery.status).where(Delivery.send_at <= now)).all()
    return {k: rows.count(k) for k in set(rows)}


def test_a_429_storm_delays_but_delivers_everything_and_honours_retry_after(world):
    chats = list(range(7000, 7020))
    more_contacts(world, chats)
    world.tg.flood = Flood(per_second=5)  # the server allows 5/s; the bot is told it may send 40/s
    world.dispatch(DUE_EVE, telegram_rate_per_second=40)
    assert statuses(world) == {"sent": 42}  # 21 digests of two duties each
    assert all(len(world.tg.sent_to(chat)) == 1 for chat in [ZHANG, *chats])
    sends = world.tg.calls("sendMessage")
    refused = [i for i, c in enumerate(sends) if c.status == 429]
    assert refused, "the storm did not happen"
    for i in refused:  # the next try waited at least as long as Telegram asked
        wait = sends[i].error["parameters"]["retry_after"]
        assert sends[i + 1].at - sends[i].at >= wait - 0.05
    with Session(world.engine) as s:
        failed = s.exec(select(Attempt).where(Attempt.ok == False)).all()
    assert len(failed) == 2 * len(refused) and all("retry after" in a.error and not a.permanent for a in failed)


def test_sending_at_the_configured_rate_draws_no_429(world):
    chats = list(range(7000, 7020))
    more_contacts(world, chats)
    world.tg.flood = Flood(per_second=10)
    world.dispatch(DUE_EVE, telegram_rate_per_second=10)
    assert statuses(world) == {"sent": 42}
    assert [c.status for c in world.tg.calls("sendMessage")] == [200] * 21


def test_one_chat_gets_at_most_one_message_a_second(world):
    more_contacts(world, [-5001] * 4)  # four contacts share the bureau's group chat
    world.tg.flood = Flood(per_second=30, chat_seconds=1)
    world.dispatch(DUE_EVE, telegram_chat_seconds=1)
    times = [c.at for c in world.tg.calls("sendMessage") if c.params["chat_id"] == -5001]
    assert len(times) == 4 and len(world.tg.sent_to(-5001)) == 4
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.95
    assert world.tg.state.too_many == 0


def test_server_errors_are_retried(world):
    world.tg.fail_next(SERVER_ERROR, times=2)
    world.dispatch(DUE_EVE)
    assert len(world.tg.sent_to(ZHANG)) == 1 and statuses(world) == {"sent": 2}
    with Session(world.engine) as s:
        tries = s.exec(select(Attempt).order_by(Attempt.id)).all()
    assert [(a.ok, a.permanent) for a in tries][:6] == [(False, False)] * 2 * 2 + [(True, False)] * 2


def test_a_blocked_bot_unbinds_the_chat_falls_back_to_email_and_tells_the_coordinator(world, smtp_server):
    world.tg.block(ZHANG)
    world.dispatch(DUE_EVE, smtp_url=smtp_server.url(), mail_from="duban@example.org")
    assert world.chat_of("张三") is None
    assert [r.rcpt_tos[0] for r in smtp_server.messages] == ["zhang@example.org"]
    told = world.tg.sent_to(WANG)  # water and air failed for 张三: one notice (a day) for the contact
    assert len(told) == 1 and all("张三" in m.text and "blocked" in m.text for m in told)
    with Session(world.engine) as s:
        rows = s.exec(select(Delivery).where(Delivery.send_at <= DUE_EVE)).all()
    assert sorted((d.channel, d.status) for d in rows) == sorted(
        [("", "failed"), ("", "failed"), ("email", "sent"), ("email", "sent"), ("telegram", "sent")])
    assert [c.status for c in world.tg.calls("sendMessage") if c.params["chat_id"] == ZHANG] == [403]  # not retried


def test_a_chat_that_is_gone_is_treated_like_a_blocked_bot(world, smtp_server):
    world.tg.block(LI, CHAT_NOT_FOUND)
    world.dispatch(BRIEFING_EVE, smtp_url=smtp_server.url(), mail_from="duban@example.org")
    assert world.chat_of("Li Si") is None
    assert "li@example.org" in [r.rcpt_tos[0] for r in smtp_server.messages]
    assert any("Li Si" in m.text for m in world.tg.sent_to(WANG))


def test_a_group_that_became_a_supergroup_is_followed(world):
    with Session(world.engine) as s:
        contact_id = s.exec(select(Contact.id).where(Contact.name == "Li Si")).one()
        addresses.bind(s, contact_id, "telegram", "-5001", BRIEFING_EVE)
        s.commit()
    world.tg.migrate(-5001, -1005001)
    world.dispatch(BRIEFING_EVE)
    assert len(world.tg.sent_to(-1005001)) == 1 and world.tg.sent_to(-5001) == []
    assert world.chat_of("Li Si") == -1005001
    with Session(world.engine) as s:
        mine = s.exec(select(Delivery.status).where(Delivery.contact_id == contact_id,
                                                    Delivery.send_at <= BRIEFING_EVE)).all()
    assert mine == ["sent"]


def test_duban_tick_sends_telegram_reminders(world, cli, monkeypatch):
    for name, value in {"DUBAN_TELEGRAM_TOKEN": world.tg.token, "DUBAN_TELEGRAM_API_URL": world.tg.url,
                        "DUBAN_SECRET_KEY": "tick-tests-secret-key-0123456789abcdef",
                        "DUBAN_HORIZON_DAYS": "60"}.items():
        monkeypatch.setenv(name, value)
    printed = cli.json("tick", "--now", DUE_EVE.isoformat())
    assert printed["messages"] == 1
    [message] = world.tg.sent_to(ZHANG)
    assert "饮用水水质信息公开" in message.text and message.buttons()
    assert cli.json("tick", "--now", (DUE_EVE + timedelta(minutes=1)).isoformat())["messages"] == 0
