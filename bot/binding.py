"""Binding a Telegram chat to a contact with a one-time invite code, and unbinding it.

Only the code's SHA-256 is stored. A code works once and expires. Wrong codes are counted per
chat in the database (KeyValue, so the count survives restarts and is shared by every instance);
after `limit` failures within an hour the chat is refused until the hour has passed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, select

from db import addresses
from db.models import Contact, Department, InviteCode, KeyValue

CHAT = "telegram"  # the address kind of Telegram chats (the channel in bot/channel.py)

WINDOW = timedelta(hours=1)
Reason = Literal["unknown", "expired", "used", "limited"]


class BindError(Exception):
    """A /start code that does not bind; `reason` picks the message the chat gets."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Invite:
    code: str
    contact: Contact
    department: Department
    expires_at: datetime


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def new_invite(session: Session, contact: Contact, now: datetime, hours: int) -> Invite:
    """A fresh code for `contact`; Telegram deep links take up to 64 of [A-Za-z0-9_-]."""
    code = secrets.token_urlsafe(16)
    expires = now + timedelta(hours=hours)
    session.add(InviteCode(code_hash=code_hash(code), contact_id=contact.id, expires_at=expires, created_at=now))
    session.flush()
    return Invite(code, contact, session.get(Department, contact.department_id), expires)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def _failures(session: Session, chat: int, now: datetime) -> tuple[KeyValue, list[datetime]]:
    key = f"telegram.start-failures.{chat}"
    row = session.get(KeyValue, key) or KeyValue(key=key, value="[]")
    recent = [t for t in map(datetime.fromisoformat, json.loads(row.value)) if now - _aware(t) < WINDOW]
    return row, recent


def _fail(session: Session, row: KeyValue, recent: list[datetime], now: datetime, reason: Reason) -> BindError:
    row.value, row.updated_at = json.dumps([t.isoformat() for t in [*recent, now]]), now
    session.add(row)
    session.commit()  # the failure counts even though the caller gets an error
    return BindError(reason)


def redeem(session: Session, code: str, chat: int, now: datetime, limit: int) -> Contact:
    """Bind `chat` to the invite's contact; raises BindError. The caller commits."""
    row, recent = _failures(session, chat, now)
    if len(recent) >= limit:
        raise BindError("limited")
    invite = session.exec(select(InviteCode).where(InviteCode.code_hash == code_hash(code))).first()
    if invite is None:
        raise _fail(session, row, recent, now, "unknown")
    if invite.used_at is not None:
        raise _fail(session, row, recent, now, "used")
    if _aware(invite.expires_at) <= now:
        raise _fail(session, row, recent, now, "expired")
    # Claimed with a conditional UPDATE: of two chats racing for one code, exactly one wins.
    claimed = session.connection().execute(
        update(InviteCode).where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
        .values(used_at=now, used_by_chat=chat))
    if claimed.rowcount != 1:
        raise _fail(session, row, recent, now, "used")
    addresses.bind(session, invite.contact_id, CHAT, str(chat), now)
    return session.get(Contact, invite.contact_id)


def bound_contacts(session: Session, chat: int) -> list[Contact]:
    """The active contacts this chat answers for (a shared group chat may serve several)."""
    return addresses.holders(session, CHAT, str(chat))


def unbind(session: Session, chat: int) -> list[Contact]:
    """Remove the chat from every contact bound to it; returns those contacts."""
    return addresses.unbind(session, CHAT, str(chat))


def stop(session: Session, chat: int) -> tuple[int, bool]:
    """/stop: unbind the chat; (how many contacts it served, whether any still gets email)."""
    contacts = unbind(session, chat)
    return len(contacts), any(addresses.usable(session, c.id, "email") for c in contacts)
