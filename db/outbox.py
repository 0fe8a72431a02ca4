"""The outbox's database side: insert-if-absent, claim with a lease, and status transitions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Update, and_, bindparam, or_, select, update
from sqlmodel import Session

from db.bulk import insert_rows
from db.models import Delivery

CHUNK = 2000
TABLE = Delivery.__table__


def insert_new(session: Session, rows: list[dict]) -> int:
    """Insert deliveries whose idempotency key is new; existing keys are left alone."""
    return insert_rows(session, TABLE, rows, unique="idempotency_key")


def set_status(session: Session, ids: Iterable[int], status: str, **values: object) -> None:
    """Set `status` (and the other columns given) on the deliveries `ids`."""
    ids = list(ids)
    params = {f"v_{k}": v for k, v in values.items()} | {"v_status": status}
    columns = tuple(sorted(values))
    if len(ids) == 1:  # the dispatcher's usual case: "= ?" skips re-rendering an expanding IN per call
        session.connection().execute(_status_update(columns, one=True), params | {"b_id": ids[0]})
        return
    for i in range(0, len(ids), CHUNK):
        # A prepared Core UPDATE on the session's connection: building the statement and the
        # ORM path (session synchronisation) each cost more than running it; callers don't reread.
        session.connection().execute(_status_update(columns), params | {"ids": ids[i:i + CHUNK]})


@cache
def _status_update(columns: tuple[str, ...], one: bool = False) -> Update:
    which = TABLE.c.id == bindparam("b_id") if one else TABLE.c.id.in_(bindparam("ids", expanding=True))
    return update(TABLE).where(which).values(status=bindparam("v_status"),
                                             **{c: bindparam(f"v_{c}") for c in columns})


def claim(session: Session, now: datetime, worker: str, lease: timedelta, limit: int) -> list[int]:
    """Lease up to `limit` due deliveries to `worker`: pending ones, and claimed ones whose lease ran out.

    On PostgreSQL the rows are locked with SKIP LOCKED, so several dispatchers share the outbox
    without taking the same row; SQLite serialises writers, which gives the same guarantee.
    """
    due = or_(and_(Delivery.status == "pending", Delivery.send_at <= now),
              and_(Delivery.status == "claimed", Delivery.lease_until < now))
    pick = (select(Delivery.id).where(due).order_by(Delivery.send_at, Delivery.id).limit(limit)
            .with_for_update(skip_locked=True))
    stmt = (update(Delivery).where(Delivery.id.in_(pick.scalar_subquery()))
            .values(status="claimed", claimed_by=worker, lease_until=now + lease)
            .returning(Delivery.id))
    ids = [row[0] for row in session.execute(stmt)]
    session.commit()
    return ids
