"""What the coordinators were told about contacts who cannot be reached, so each problem is told once.

A problem is a contact and a reason: the channel and how it failed (`telegram:gone`, a chat that
blocked the bot; `email:refused`, a mailbox the relay refuses; `none:none`, no address at all).
A contact left with no channel because one was disabled is still that channel's problem, so a
blocked chat is told once, not again the next day as "no channel". The memory is a KeyValue row
per contact (`unreachable:<contact>`: the problems told and a fingerprint of the contact's
addresses), undated: it is forgotten for a channel when the contact is reached on it again, and
entirely when the contact's addresses change (a new chat, another email address), so the next
failure is news again. No schema change; rows are written insert-if-absent and compare-and-swap,
so two dispatchers failing the same contact at once tell it once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session

from db.bulk import insert_rows
from db.models import AddressState, ContactAddress, KeyValue

PREFIX = "unreachable:"
_TABLE = KeyValue.__table__
NO_CHANNEL = "none:none"


def problem(channel: str | None, addresses: dict[str, ContactAddress], *, gone: bool = False,
            permanent: bool = False) -> str:
    """The reason a contact could not be reached on `channel` (None: no channel reaches it)."""
    if channel is not None:
        return f"{channel}:{'gone' if gone else 'refused' if permanent else 'failing'}"
    for state, word in ((AddressState.disabled, "gone"), (AddressState.opted_out, "opted-out")):
        found = sorted(kind for kind, a in addresses.items() if a.state == state)
        if found:
            return f"{found[0]}:{word}"
    return NO_CHANNEL


def fingerprint(addresses: dict[str, ContactAddress]) -> str:
    """The contact's addresses (not their states: a disabled chat is the same chat), hashed so the
    memory holds no address."""
    pairs = sorted((kind, a.address) for kind, a in addresses.items())
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]


def remembered(session: Session, contact_ids: Iterable[int]) -> set[int]:
    """The contacts among these that have a problem told (one primary-key lookup)."""
    keys = [PREFIX + str(c) for c in set(contact_ids)]
    if not keys:
        return set()
    rows = session.connection().execute(select(_TABLE.c.key).where(_TABLE.c.key.in_(keys))).scalars()
    return {int(k.removeprefix(PREFIX)) for k in rows}


def first_time(session: Session, contact_id: int, reason: str, addresses: dict[str, ContactAddress],
               now: datetime) -> bool:
    """True when `reason` is news about this contact (and remember it), False when already told."""
    key, prints = PREFIX + str(contact_id), fingerprint(addresses)
    old = _value(session, key)
    if old is None:
        value = json.dumps({"addresses": prints, "told": [reason]})
        return insert_rows(session, _TABLE, [{"key": key, "value": value, "updated_at": now}], unique="key") == 1
    memory = json.loads(old)
    told = memory.get("told", []) if memory.get("addresses") == prints else []
    if reason in told:
        return False
    return _swap(session, key, old, json.dumps({"addresses": prints, "told": [*told, reason]}), now)


def reached(session: Session, contact_id: int, channel: str, now: datetime) -> None:
    """The contact was reached on `channel`: what was told about that channel (or about having
    none) is forgotten."""
    key = PREFIX + str(contact_id)
    old = _value(session, key)
    if old is None:
        return
    memory = json.loads(old)
    told = [t for t in memory.get("told", []) if not t.startswith((f"{channel}:", "none:"))]
    if not told:
        session.connection().execute(delete(_TABLE).where(_TABLE.c.key == key, _TABLE.c.value == old))
    elif told != memory.get("told"):
        _swap(session, key, old, json.dumps(memory | {"told": told}), now)


def _value(session: Session, key: str) -> str | None:
    """The stored value, read past the session's identity map (rows change by Core statements)."""
    return session.connection().execute(select(_TABLE.c.value).where(_TABLE.c.key == key)).scalar()


def _swap(session: Session, key: str, old: str, new: str, now: datetime) -> bool:
    """Replace `old` by `new` unless another dispatcher changed it meanwhile."""
    return session.connection().execute(update(_TABLE).where(_TABLE.c.key == key, _TABLE.c.value == old)
                                        .values(value=new, updated_at=now)).rowcount == 1
