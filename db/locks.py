"""Work that one instance of the deployment does at a time.

`try_take` / `wait_for`: PostgreSQL transaction-level advisory locks, held until the transaction
that took them ends (commit, rollback, or a dead connection), so an instance killed mid-way never
leaves one behind. SQLite serialises writers in the database itself (one machine, one writer at a
time), so there they are always granted. `Leadership`: one instance does a thing for as long as it
lives (polling Telegram), and another takes over within seconds when it dies."""

from __future__ import annotations

import contextlib
import fcntl
import os

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

PLANS = "duban:plans"  # the occurrences and the outbox's plan: planning, loading a plan
MIGRATIONS = "duban:migrations"  # `duban db upgrade` started by several instances at once
TELEGRAM_POLLING = "duban:telegram-polling"  # Telegram answers one getUpdates caller at a time


# Advisory locks belong to the whole server: the key names the database and schema too, so two
# deployments (or test runs) sharing one PostgreSQL server never wait for each other.
_KEY = "hashtextextended(:name || '@' || current_database() || '.' || current_schema(), 0)"


def _postgresql(session: Session | Connection) -> bool:
    bind = session if isinstance(session, Connection) else session.get_bind()
    return bind.dialect.name == "postgresql"


def try_take(session: Session, name: str) -> bool:
    """Take lock `name` for the session's transaction; False at once when another instance holds it."""
    if not _postgresql(session):
        return True
    return bool(session.execute(text(f"SELECT pg_try_advisory_xact_lock({_KEY})"), {"name": name}).scalar())


def wait_for(session: Session | Connection, name: str) -> None:
    """Take lock `name` for the session's transaction, waiting while another instance holds it."""
    if _postgresql(session):
        session.execute(text(f"SELECT pg_advisory_xact_lock({_KEY})"), {"name": name})


class Leadership:
    """Being the one instance that does `name` (polling Telegram) while it lives: a session-level
    advisory lock on a connection of its own. The server frees it the moment that connection ends,
    so when the leader dies (killed, its machine gone, its connection terminated) the next
    instance to try takes over. SQLite (one machine): an exclusive lock on a file beside the
    database, which the operating system frees when the process dies."""

    def __init__(self, engine: Engine, name: str):
        self.engine, self.name = engine, name
        self._held: Connection | int | None = None

    def try_lead(self) -> bool:
        """True when this instance leads now (it already did, or it just took the lock)."""
        if self._held is None:
            self._held = self._take_pg() if self.engine.dialect.name == "postgresql" else self._take_file()
        return self._held is not None

    def still_leading(self) -> bool:
        """Whether the lock is still held: False (and let go) when its connection broke."""
        if not isinstance(self._held, Connection):
            return self._held is not None
        try:
            self._held.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            self.resign()
            return False

    def resign(self) -> None:
        held, self._held = self._held, None
        if isinstance(held, Connection):
            # Closed, never back to the pool: the server frees a session's locks when it ends.
            with contextlib.suppress(SQLAlchemyError):
                held.invalidate()
                held.close()
        elif held is not None and held >= 0:
            os.close(held)  # closing the descriptor drops the flock

    def _take_pg(self) -> Connection | None:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = conn.execute(text(f"SELECT pg_try_advisory_lock({_KEY})"), {"name": self.name}).scalar()
        except SQLAlchemyError:
            conn.close()
            raise
        if taken:
            return conn
        conn.close()
        return None

    def _take_file(self) -> int | None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return -1  # a database only this process sees: nobody else to lead
        fd = os.open(f"{database}.{self.name.replace(':', '-')}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            os.close(fd)
            return None
