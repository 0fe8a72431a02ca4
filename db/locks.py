"""Work that one instance of the deployment does at a time: PostgreSQL transaction-level advisory
locks, held until the transaction that took them ends (commit, rollback, or a dead connection), so
an instance killed mid-way never leaves one behind. SQLite serialises writers in the database
itself (one machine, one writer at a time), so there the lock is always granted."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

PLANS = "duban:plans"  # the occurrences and the outbox's plan: planning, loading a plan


# Advisory locks belong to the whole server: the key names the database and schema too, so two
# deployments (or test runs) sharing one PostgreSQL server never wait for each other.
_KEY = "hashtextextended(:name || '@' || current_database() || '.' || current_schema(), 0)"


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def try_take(session: Session, name: str) -> bool:
    """Take lock `name` for the session's transaction; False at once when another instance holds it."""
    if not _postgresql(session):
        return True
    return bool(session.execute(text(f"SELECT pg_try_advisory_xact_lock({_KEY})"), {"name": name}).scalar())


def wait_for(session: Session, name: str) -> None:
    """Take lock `name` for the session's transaction, waiting while another instance holds it."""
    if _postgresql(session):
        session.execute(text(f"SELECT pg_advisory_xact_lock({_KEY})"), {"name": name})
