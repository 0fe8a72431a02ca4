"""The dispatcher's outcome connection on PostgreSQL (db/outcomes.py): an outcome on the wire is
committed by `wait`, one for rows no longer held is reported, and the connection goes back to the
pool as it came."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, text
from sqlmodel import Session, select

from db import outbox
from db.models import Attempt, Delivery
from db.outcomes import Outcomes
from tests.bursts import SEND_AT, burst

NOW = datetime(2016, 9, 14, 1, 0, 5, tzinfo=UTC)


def tried(delivery_id: int) -> dict:
    return {"delivery_id": delivery_id, "channel": "email", "at": NOW, "ok": True, "permanent": False,
            "error": None, "provider_message_id": f"m{delivery_id}"}


def test_an_outcome_is_committed_by_wait_and_lost_rows_are_reported(pg_url, tmp_path):
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)  # one connection: the pool's state shows
    burst(engine, tmp_path, 2)
    with Session(engine) as s:
        held, taken = outbox.claim(s, SEND_AT, "me", timedelta(seconds=30), limit=10)
        s.execute(text("UPDATE delivery SET claimed_by = 'other' WHERE id = :id"), {"id": taken})
        s.commit()
    outcomes = Outcomes(engine)
    outcomes.send([held], "me", [tried(held)], sent_at=NOW, channel="email")
    assert outcomes.wait() == []
    outcomes.send([taken], "me", [tried(taken)], sent_at=NOW, channel="email")
    assert outcomes.close() == [taken]  # another dispatcher holds it now: reported, not marked
    with Session(engine) as s:
        assert dict(s.exec(select(Delivery.id, Delivery.status)).all()) == {held: "sent", taken: "claimed"}
        assert s.exec(select(func.count()).select_from(Attempt)).one() == 2  # both tries are history
        assert s.execute(text("SHOW synchronous_commit")).scalar() == "on"  # the pool's connection as it came
    engine.dispose()
