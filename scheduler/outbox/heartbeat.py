"""The service's heartbeat: when it last planned and dispatched, kept in KeyValue so /healthz (in
any process sharing the database) can tell a live clock from a stopped one."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from db.models import KeyValue

log = logging.getLogger(__name__)
PLANNED, DISPATCHED = "heartbeat:planned", "heartbeat:dispatched"


def beat(engine: Engine, key: str, now: datetime) -> None:
    """Record that `key` (PLANNED or DISPATCHED) just ran, as of `now`."""
    try:
        with Session(engine) as session:
            session.merge(KeyValue(key=key, value=now.astimezone(UTC).isoformat(), updated_at=now))
            session.commit()
    except SQLAlchemyError as exc:  # two instances beating at once, a database blip: never fatal
        log.warning("heartbeat %s not recorded: %s", key, type(exc).__name__)


def last_beats(session: Session) -> dict[str, datetime]:
    """The recorded beats by key; an empty dict when nothing ran yet."""
    rows = session.exec(select(KeyValue).where(col(KeyValue.key).in_((PLANNED, DISPATCHED)))).all()
    return {r.key: datetime.fromisoformat(r.value) for r in rows}
