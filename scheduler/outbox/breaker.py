"""Channel pauses (a circuit breaker): a channel that cannot send to anyone is waited out, not spent.

When a channel fails as a whole (relay down, login refused, sender refused, 4xx), the dispatcher
trips its breaker: the channel is paused until a probe time that backs off (base, doubling, up to
a maximum). Deliveries for it stay pending and keep their attempts. At the probe time one
dispatcher sends again; the first success resumes the channel, a further channel-wide failure
pauses it longer. The state is a KeyValue row per channel (`channel-paused:<name>`), so every
dispatcher, /healthz and /metrics sharing the database see the same pause, and only the process
that opens (inserts) or ends (deletes) it tells the coordinators: once per outage, once when it ends.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from db.bulk import insert_rows
from db.models import KeyValue

PREFIX = "channel-paused:"


@dataclass(frozen=True)
class Pause:
    """One channel's outage: since when, until when no one sends, how many probes failed, why."""

    channel: str
    since: datetime
    until: datetime
    failures: int
    error: str

    def as_json(self) -> dict:
        return asdict(self) | {"since": self.since.isoformat(), "until": self.until.isoformat()}


@dataclass(frozen=True)
class Backoff:
    """How long a pause lasts: `base` after the first failure, doubling, never more than `most`."""

    base: timedelta = timedelta(seconds=15)
    most: timedelta = timedelta(minutes=2)

    def after(self, failures: int) -> timedelta:
        return min(self.base * 2 ** min(failures - 1, 30), self.most)


def _read(row: KeyValue) -> Pause:
    data = json.loads(row.value)
    return Pause(channel=row.key.removeprefix(PREFIX), since=datetime.fromisoformat(data["since"]),
                 until=datetime.fromisoformat(data["until"]), failures=data["failures"], error=data["error"])


def _value(pause: Pause) -> str:
    data = pause.as_json()
    del data["channel"]
    return json.dumps(data, ensure_ascii=False)


def paused(session: Session) -> dict[str, Pause]:
    """Every paused channel, by name."""
    rows = session.exec(select(KeyValue).where(col(KeyValue.key).startswith(PREFIX))).all()
    return {p.channel: p for p in map(_read, rows)}


def trip(session: Session, channel: str, error: str, now: datetime, backoff: Backoff) -> tuple[Pause, bool]:
    """Pause `channel` (or pause it longer); True with the pause when this call opened the outage."""
    fresh = Pause(channel, since=now, until=now + backoff.after(1), failures=1, error=error[:500])
    if insert_rows(session, KeyValue.__table__, [{"key": PREFIX + channel, "value": _value(fresh),
                                                  "updated_at": now}], unique="key"):
        return fresh, True
    row = session.get(KeyValue, PREFIX + channel, with_for_update=True, populate_existing=True)
    if row is None:  # resumed by another dispatcher in between: this failure opens a new outage
        return trip(session, channel, error, now, backoff)
    old = _read(row)
    longer = Pause(channel, since=old.since, until=now + backoff.after(old.failures + 1),
                   failures=old.failures + 1, error=error[:500])
    session.execute(update(KeyValue).where(KeyValue.key == row.key)
                    .values(value=_value(longer), updated_at=now))
    return longer, False


def resume(session: Session, channel: str) -> Pause | None:
    """End `channel`'s pause; the pause when this call ended it (None: not paused, or another did)."""
    row = session.get(KeyValue, PREFIX + channel, populate_existing=True)
    if row is None:
        return None
    pause = _read(row)
    gone = session.execute(delete(KeyValue).where(KeyValue.key == row.key, KeyValue.value == row.value))
    return pause if gone.rowcount else None
