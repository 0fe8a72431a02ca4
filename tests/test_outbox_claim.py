"""Claiming on PostgreSQL takes whole contacts: a contact another dispatcher is claiming at the
same moment is skipped entirely (its digest is never split between two dispatchers), and the
claim waits for that other claim to commit rather than stopping while deliveries are due."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import text
from sqlmodel import Session, select

from db import outbox
from db.engine import make_engine
from db.models import Contact, Delivery
from tests.bursts import SEND_AT, burst

LEASE = timedelta(seconds=30)


def contacts_of(engine, ids: list[int]) -> set[int]:
    with Session(engine) as s:
        return set(s.exec(select(Delivery.contact_id).where(Delivery.id.in_(ids))))


def test_a_contact_being_claimed_elsewhere_is_skipped_whole(pg_url, tmp_path):
    engine = make_engine(pg_url)
    burst(engine, tmp_path, 3)
    with Session(engine) as s:
        first, *others = s.exec(select(Contact.id).order_by(Contact.id)).all()
    with Session(engine) as elsewhere:  # another dispatcher, between locking contact `first` and committing
        elsewhere.execute(text("SELECT id FROM contact WHERE id = :id FOR NO KEY UPDATE"), {"id": first})
        with Session(engine) as s:
            ids = outbox.claim(s, SEND_AT, "b", LEASE, limit=10)
        assert contacts_of(engine, ids) == set(others)
    with Session(engine) as s:  # the other claim ended without taking it: now it is this one's
        assert contacts_of(engine, outbox.claim(s, SEND_AT, "b", LEASE, limit=10)) == {first}
    engine.dispose()


def test_a_claim_that_finds_every_due_contact_being_claimed_waits_for_that_claim(pg_url, tmp_path, monkeypatch):
    engine = make_engine(pg_url)
    burst(engine, tmp_path, 2)
    holder = Session(engine)
    holder.execute(text("SELECT id FROM contact FOR NO KEY UPDATE"))
    pauses = []

    def pause(seconds: float) -> None:  # the other claim ends while this one waits
        pauses.append(seconds)
        holder.rollback()

    monkeypatch.setattr(outbox, "time", SimpleNamespace(sleep=pause))
    with Session(engine) as s:
        ids = outbox.claim(s, SEND_AT, "b", LEASE, limit=10)
    holder.close()
    assert len(pauses) == 1 and len(ids) == 2  # it tried again instead of stopping with deliveries due
    engine.dispose()
