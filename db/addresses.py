"""Contacts' addresses on channels (table ContactAddress): read them, set them from a plan or the
CLI, bind and unbind chats, opt out and back in, disable what a channel reports gone.

Every address is a string (an email address, a chat id written in decimal); `channel` is a
registered channel's address kind. Nothing here commits: the caller's session does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from db.models import AddressState, Contact, ContactAddress


def addresses_of(session: Session, contact_ids: Iterable[int]) -> dict[int, dict[str, ContactAddress]]:
    """Every address of these contacts, by contact and channel (one query)."""
    found: dict[int, dict[str, ContactAddress]] = defaultdict(dict)
    ids = list(set(contact_ids))
    if ids:
        for row in session.exec(select(ContactAddress).where(col(ContactAddress.contact_id).in_(ids))):
            found[row.contact_id][row.channel] = row
    return found


def address(session: Session, contact_id: int, channel: str) -> ContactAddress | None:
    """The contact's address on `channel`, whatever its state."""
    return session.exec(select(ContactAddress).where(ContactAddress.contact_id == contact_id,
                                                     ContactAddress.channel == channel)).first()


def usable(session: Session, contact_id: int, channel: str) -> str | None:
    """The contact's address on `channel` when it may be used (verified), else None."""
    row = address(session, contact_id, channel)
    return row.address if row is not None and row.usable else None


def set_address(session: Session, contact_id: int, channel: str, value: str | None, now: datetime) -> bool:
    """The address a plan file or the CLI gives (None: none). An opt-out is never undone here;
    any other state becomes verified. True when something changed."""
    row = address(session, contact_id, channel)
    if value is None:
        if row is None or row.state == AddressState.opted_out:
            return False  # an opted-out address is kept, so adding it back does not resubscribe
        session.delete(row)
        return True
    if row is None:
        session.add(ContactAddress(contact_id=contact_id, channel=channel, address=value, created_at=now,
                                   updated_at=now))
        return True
    state = AddressState.opted_out if row.state == AddressState.opted_out else AddressState.verified
    if (row.address, row.state) == (value, state):
        return False
    row.address, row.state, row.updated_at = value, state, now
    row.reason = row.reason if state == AddressState.opted_out else None
    session.add(row)
    return True


def bind(session: Session, contact_id: int, channel: str, value: str, now: datetime) -> None:
    """The contact is reached at `value` from now on (e.g. a chat that redeemed an invite)."""
    row = address(session, contact_id, channel) or ContactAddress(contact_id=contact_id, channel=channel,
                                                                   address=value, created_at=now)
    row.address, row.state, row.reason, row.updated_at = value, AddressState.verified, None, now
    session.add(row)


def holders(session: Session, channel: str, value: str) -> list[Contact]:
    """The active contacts reached at `value` on `channel` (a shared group chat may serve several)."""
    return list(session.exec(
        select(Contact).join(ContactAddress, ContactAddress.contact_id == Contact.id)
        .where(ContactAddress.channel == channel, ContactAddress.address == value,
               ContactAddress.state == AddressState.verified, Contact.active == True)
        .order_by(Contact.id)))


def _rows_at(session: Session, channel: str, value: str) -> list[ContactAddress]:
    return list(session.exec(select(ContactAddress).where(ContactAddress.channel == channel,
                                                          ContactAddress.address == value)))


def unbind(session: Session, channel: str, value: str) -> list[Contact]:
    """Remove the address `value` from every contact it is bound to; returns those contacts."""
    rows = _rows_at(session, channel, value)
    for row in rows:
        session.delete(row)
    return [session.get(Contact, row.contact_id) for row in rows]


def disable(session: Session, channel: str, value: str, reason: str, now: datetime) -> int:
    """The channel reports `value` gone (a blocked bot, a deleted chat): stop using it everywhere."""
    rows = [r for r in _rows_at(session, channel, value) if r.state == AddressState.verified]
    for row in rows:
        row.state, row.reason, row.updated_at = AddressState.disabled, reason[:500], now
        session.add(row)
    return len(rows)


def move(session: Session, channel: str, old: str, new: str, now: datetime) -> int:
    """The channel reports that `old` is now `new` (a group became a supergroup)."""
    rows = _rows_at(session, channel, old)
    for row in rows:
        row.address, row.updated_at = new, now
        session.add(row)
    return len(rows)


def opt_out(session: Session, contact_id: int, channel: str, now: datetime, reason: str) -> ContactAddress | None:
    """The person asked to stop on `channel`; the first opt-out's time counts. The address stays."""
    row = address(session, contact_id, channel)
    if row is not None and row.state != AddressState.opted_out:
        row.state, row.reason, row.updated_at = AddressState.opted_out, reason, now
        session.add(row)
    return row


def opted_out_at(row: ContactAddress | None) -> datetime | None:
    return row.updated_at if row is not None and row.state == AddressState.opted_out else None


def resubscribe(session: Session, contact_id: int, channel: str, now: datetime) -> datetime | None:
    """Undo an opt-out; returns when it was made (None: there was none)."""
    row = address(session, contact_id, channel)
    was = opted_out_at(row)
    if was is not None:
        row.state, row.reason, row.updated_at = AddressState.verified, None, now
        session.add(row)
    return was


def insert_contacts(session: Session, department_id: int, people: list[tuple[str, dict[str, str]]], *,
                    language: str = "zh", role: str = "primary") -> list[int]:
    """Many contacts at once, each (name, {channel: address}), in two INSERTs; their ids, in order."""
    ids = list(session.execute(insert(Contact).returning(Contact.id), [
        {"department_id": department_id, "name": name, "language": language, "role": role, "active": True}
        for name, _ in people]).scalars())
    rows = [{"contact_id": cid, "channel": channel, "address": value, "state": AddressState.verified}
            for cid, (_, found) in zip(ids, people, strict=True) for channel, value in found.items()]
    if rows:
        session.execute(insert(ContactAddress), rows)
    return ids
