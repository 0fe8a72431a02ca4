"""Shared send windows (table SendWindow): how many posts one rate-limited recipient (a group
robot) had lately, for every instance of the deployment at once. Each take is a compare-and-swap
on the row's version in its own short transaction, so two dispatchers (processes, machines)
never both take the last free slot, on SQLite as on PostgreSQL, without holding a lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.models import SendWindow

TABLE = SendWindow.__table__
MARGIN = 1.0  # seconds added to every window: posts arrive a little after they leave


def take(session_factory: Callable[[], Session], key: str, rates: list[tuple[int, float]],
         clock: Callable[[], float], *, slots: int = 1, margin: float = MARGIN) -> float:
    """Take `slots` slots at once for posts to `key` now on the wall `clock` (unix seconds; read
    again for each compare-and-swap, so a slot lost to another instance is retried as of then),
    under every (count, seconds) rate, each window `margin` seconds longer: 0 when taken (post
    now), else the seconds until as many may be free (a rate smaller than `slots` is waited for
    until it is empty)."""
    longest = max(seconds for _, seconds in rates) + margin
    while True:
        wall = clock()
        with session_factory() as session:
            row = session.get(SendWindow, key)
            if row is None:
                if _create(session, key, [wall] * slots):
                    return 0.0
                continue
            if row.blocked_until is not None and (wait := _seconds_until(row.blocked_until, wall)) > 0:
                return wait
            recent = [t for t in row.sent if t > wall - longest]
            if (wait := _wait(recent, rates, wall, slots, margin)) > 0:
                return wait
            swapped = session.connection().execute(
                update(TABLE).where(TABLE.c.key == key, TABLE.c.version == row.version)
                .values(sent=recent + [wall] * slots, version=row.version + 1)).rowcount
            session.commit()
            if swapped:
                return 0.0


def _create(session: Session, key: str, sent: list[float]) -> bool:
    session.add(SendWindow(key=key, sent=sent))
    try:
        session.commit()
        return True
    except IntegrityError:  # another instance made the row at the same moment: take from it
        session.rollback()
        return False


def _wait(recent: list[float], rates: list[tuple[int, float]], wall: float, slots: int, margin: float) -> float:
    """Seconds until every rate has room for `slots` more posts after `recent` (oldest first)."""
    wait = 0.0
    for count, seconds in rates:
        inside = [t for t in recent if t > wall - seconds - margin]
        if (over := len(inside) + min(slots, count) - count) > 0:  # the `over` oldest must leave
            wait = max(wait, inside[over - 1] + seconds + margin - wall)
    return wait


def block(session_factory: Callable[[], Session], key: str, until: datetime) -> None:
    """The platform throttles `key` until `until` (wall clock): no instance posts to it before."""
    with session_factory() as session:
        row = session.get(SendWindow, key) or SendWindow(key=key)
        if row.blocked_until is None or _aware(row.blocked_until) < until:
            row.blocked_until, row.version = until, row.version + 1
        session.add(row)
        session.commit()


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _seconds_until(t: datetime, wall: float) -> float:
    return _aware(t).timestamp() - wall
