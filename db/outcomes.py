"""Where the dispatcher writes a sent message's outcome: `writer(session)`, one per batch.

On PostgreSQL, written while the next message is being prepared.

The dispatcher must make each message's outcome (its attempts, its status `sent`) durable before
the next message goes, so that a crash repeats at most the message in flight. Written as three
statements and a commit that costs four round trips per message, and the dispatcher waits for
each. Here it is one statement (a data-modifying CTE) on a connection of the dispatcher's own, in
autocommit and pipeline mode: `send` puts it on the wire and returns at once, the server runs it
while the dispatcher renders the next message, and `wait` (before that message goes) sends the
Sync that commits it and reads how many rows were still held. SQLite, one local writer with no
round trips to save, writes it in the session (db/outbox.py's mark_sent), committed with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from db.models import Attempt, Delivery
from db.outbox import mark_sent
from db.vocabulary import DeliveryStatus

TRIED = ("delivery_id", "channel", "at", "ok", "permanent", "error", "provider_message_id")  # an attempt's columns


def writer(session: Session) -> Outcomes | SessionOutcomes:
    """The outcomes' writer for one batch of `session`'s: pipelined on PostgreSQL, else the session."""
    engine = session.get_bind()
    return Outcomes(engine) if engine.dialect.name == "postgresql" else SessionOutcomes(session)


class SessionOutcomes:
    """Outcomes written in the session at once (SQLite), committed with it."""

    def __init__(self, session: Session):
        self._session, self._lost = session, []

    def send(self, ids: list[int], holder: str, tries: list[dict], **values: object) -> None:
        if mark_sent(self._session.connection(), ids, holder, tries, **values) < len(ids):
            self._lost = ids

    def wait(self) -> list[int]:
        """The ids the last outcome marked in vain (their lease had run out)."""
        lost, self._lost = self._lost, []
        return lost

    close = wait


class Outcomes:
    """The dispatcher's own connection for outcomes; one outcome in flight at a time."""

    def __init__(self, engine: Engine):
        self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._raw = raw = self._conn.connection.dbapi_connection
        # As SQLite's synchronous=NORMAL (db/engine.py): a commit does not wait for its WAL to reach
        # the disk. A dispatcher killed loses nothing (the server has the commit); only a crash of
        # the database server itself may undo its last fraction of a second, and those reminders
        # then repeat: never lost, never corrupt.
        raw.execute("SET synchronous_commit TO off")
        self._stack = ExitStack()
        self._pipeline = self._stack.enter_context(raw.pipeline())
        self._cursor = raw.cursor()
        self._pending: list[int] | None = None

    def send(self, ids: list[int], holder: str, tries: list[dict], **values: object) -> None:
        """Record `tries` and mark `ids` sent with `values` where `holder` still holds them: on the
        wire, committed by the next `wait`."""
        params = {f"t{i}_{c}": t[c] for i, t in enumerate(tries) for c in TRIED}
        params |= {f"v_{k}": v for k, v in values.items()}
        params |= {"ids": ids, "holder": holder, "sent": str(DeliveryStatus.sent),
                   "claimed": str(DeliveryStatus.claimed)}
        with self._as_sqlalchemy():
            self._cursor.execute(_statement(len(tries), tuple(sorted(values))), params)
        self._pending = ids

    def wait(self) -> list[int]:
        """Commit the outcome on the wire; the ids it marked in vain (their lease had run out)."""
        ids, self._pending = self._pending, None
        if ids is None:
            return []
        with self._as_sqlalchemy():
            self._pipeline.sync()
            (held,) = self._cursor.fetchone()
        return ids if held < len(ids) else []

    def close(self) -> list[int]:
        """Wait for the last outcome, then give the connection back to the pool (or, broken, drop it)."""
        try:
            return self.wait()
        finally:
            try:
                with self._as_sqlalchemy():
                    if not self._raw.broken:  # leaving the pipeline talks to the server
                        # back to the pool as it came: other work there waits for its commits
                        self._cursor.execute("RESET synchronous_commit")
                        self._stack.close()
            finally:
                self._stack.pop_all()
                if self._raw.broken:  # never back to the pool
                    self._conn.invalidate()
                self._conn.close()

    @contextmanager
    def _as_sqlalchemy(self) -> Iterator[None]:
        """psycopg's errors as SQLAlchemy raises them for its own statements (a lost connection as
        OperationalError with connection_invalidated), so callers catch one kind."""
        try:
            yield
        except psycopg.Error as exc:
            raise DBAPIError.instance("outcome of a sent message", None, exc, psycopg.Error,
                                      connection_invalidated=self._raw.broken) from exc


@cache
def _statement(tries: int, columns: tuple[str, ...]) -> str:
    rows = ", ".join("(" + ", ".join(f"%(t{i}_{c})s" for c in TRIED) + ")" for i in range(tries))
    sets = "".join(f", {c} = %(v_{c})s" for c in columns)
    return (f"WITH tried AS (INSERT INTO {Attempt.__tablename__} ({', '.join(TRIED)}) VALUES {rows}), "
            f"marked AS (UPDATE {Delivery.__tablename__} SET status = %(sent)s{sets} "
            "WHERE id = ANY(%(ids)s::bigint[]) AND status = %(claimed)s AND claimed_by = %(holder)s RETURNING 1) "
            "SELECT count(*) FROM marked")
