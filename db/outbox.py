"""The outbox's database side: insert-if-absent, claim with a lease, and status transitions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, Update, and_, bindparam, insert, or_, select, update
from sqlmodel import Session

from db.bulk import insert_rows
from db.models import Attempt, Contact, Delivery
from db.vocabulary import DeliveryStatus

CHUNK = 2000
CLAIM_TRIES = 5
TABLE = Delivery.__table__
ATTEMPT = Attempt.__table__


def insert_new(session: Session, rows: list[dict]) -> int:
    """Insert deliveries whose idempotency key is new; existing keys are left alone."""
    return insert_rows(session, TABLE, rows, unique="idempotency_key")


def set_status(session: Session, ids: Iterable[int], status: str, *, holder: str | None = None,
               **values: object) -> int:
    """Set `status` (and the other columns given) on the deliveries `ids`; with `holder`, only on
    those it still holds (claimed by it, lease not taken over). Returns how many rows changed."""
    return _set_status(session.connection(), list(ids), status, holder, values)


def _set_status(connection: Connection, ids: list[int], status: str, holder: str | None, values: dict) -> int:
    params = {f"v_{k}": v for k, v in values.items()} | {"v_status": status}
    if holder is not None:
        params["b_holder"] = holder
    columns, held = tuple(sorted(values)), holder is not None
    if len(ids) == 1:  # the dispatcher's usual case: "= ?" skips re-rendering an expanding IN per call
        return connection.execute(_status_update(columns, held, one=True), params | {"b_id": ids[0]}).rowcount
    changed = 0
    for i in range(0, len(ids), CHUNK):
        # A prepared Core UPDATE: building the statement and the ORM path (session
        # synchronisation) each cost more than running it; callers don't reread.
        changed += connection.execute(_status_update(columns, held), params | {"ids": ids[i:i + CHUNK]}).rowcount
    return changed


def mark_sent(connection: Connection, ids: list[int], holder: str, tries: list[dict], **values: object) -> int:
    """Record the attempts `tries` and mark `ids` sent with `values`, where `holder` still holds
    them; returns how many it held. (On PostgreSQL the dispatcher pipelines the same as one
    statement: db/outcomes.py.)"""
    connection.execute(insert(ATTEMPT), tries)
    return _set_status(connection, ids, DeliveryStatus.sent, holder, values)


@cache
def _status_update(columns: tuple[str, ...], held: bool, one: bool = False) -> Update:
    which = TABLE.c.id == bindparam("b_id") if one else TABLE.c.id.in_(bindparam("ids", expanding=True))
    if held:
        which = and_(which, TABLE.c.status == DeliveryStatus.claimed, TABLE.c.claimed_by == bindparam("b_holder"))
    return update(TABLE).where(which).values(status=bindparam("v_status"),
                                             **{c: bindparam(f"v_{c}") for c in columns})


def claim(session: Session, now: datetime, worker: str, lease: timedelta, limit: int) -> list[int]:
    """Lease due deliveries to `worker`: pending ones, and claimed ones whose lease ran out.

    Up to `limit` contacts' worth, each with every due delivery of that contact, so that what one
    contact is due goes out as one digest however the batches fall. On PostgreSQL the contacts are
    locked (FOR NO KEY UPDATE SKIP LOCKED, which planning's inserts do not wait for) and then their
    deliveries, so several dispatchers share the outbox without taking the same row, and two that
    claim at the same moment never split one contact's digest between them. One that finds every
    contact it wanted taken by another's claim in progress tries again when that one has committed.
    SQLite serialises writers, which gives the same guarantee.
    """
    for attempt in range(CLAIM_TRIES):
        if ids := _claim(session, now, worker, lease, limit):
            return ids
        if not session.execute(select(Delivery.id).where(_due(now)).limit(1)).first():
            return []
        time.sleep(0.01 * (attempt + 1))  # another dispatcher's claim commits within milliseconds
    return []


def _claim(session: Session, now: datetime, worker: str, lease: timedelta, limit: int) -> list[int]:
    due = _due(now)
    first = select(Delivery.contact_id).where(due).order_by(Delivery.send_at, Delivery.id).limit(limit)
    mine = (select(Contact.id).where(Contact.id.in_(first.scalar_subquery()))
            .with_for_update(skip_locked=True, key_share=True))
    pick = (select(Delivery.id).where(due, Delivery.contact_id.in_(mine.scalar_subquery()))
            .with_for_update(skip_locked=True))
    stmt = (update(Delivery).where(Delivery.id.in_(pick.scalar_subquery()))
            .values(status=DeliveryStatus.claimed, claimed_by=worker, lease_until=now + lease)
            .returning(Delivery.id))
    ids = [row[0] for row in session.execute(stmt)]
    session.commit()
    return ids


def renew(session: Session, ids: list[int], worker: str, until: datetime) -> set[int]:
    """Extend `worker`'s lease on `ids` to `until`; the ids it still held (the others were taken
    over after its lease ran out, and must not be sent by it)."""
    kept: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        stmt = (update(Delivery).where(Delivery.id.in_(ids[i:i + CHUNK]), Delivery.status == DeliveryStatus.claimed,
                                       Delivery.claimed_by == worker)
                .values(lease_until=until).returning(Delivery.id))
        kept.update(row[0] for row in session.execute(stmt))
    session.commit()
    return kept


def reopen(session: Session, ids: list[int], send_at: datetime) -> None:
    """Put failed deliveries back to pending at `send_at`, and cancel the fallbacks not yet sent:
    their failure turned out to be the channel's, not their recipients'."""
    if not ids:
        return
    session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.failed)
                    .values(status=DeliveryStatus.pending, send_at=send_at, lease_until=None))
    session.execute(update(Delivery).where(Delivery.fallback_of.in_(ids), Delivery.status == DeliveryStatus.pending)
                    .values(status=DeliveryStatus.cancelled, last_error="the channel, not the recipient, had failed"))


def _due(now: datetime):
    return or_(and_(Delivery.status == DeliveryStatus.pending, Delivery.send_at <= now),
               and_(Delivery.status == DeliveryStatus.claimed, Delivery.lease_until < now))
