"""One /metrics scrape over a busy outbox, on SQLite and on PostgreSQL.

Ours: DatabaseCollector through generate_latest (the route's work) over N deliveries, N attempts
(a third of them in the last day, read into the send-delay histogram) and N/5 answers. Baseline,
same run, same rows: the bare GROUP BY counts of deliveries, attempts and answers, nothing
rendered. Best of 5 each.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import func, insert, select, text
from sqlmodel import Session

from bench.common import best, on_each_database
from bench.dispatch import seed
from db.engine import make_engine
from db.models import Answer, Attempt, Contact, Delivery, Occurrence
from web.metrics import DatabaseCollector

N = 50_000
NOW = datetime(2016, 9, 14, 12, tzinfo=UTC)


def fill(url: str, folder: Path) -> None:
    seed(url, folder)  # a plan, 5,000 contacts, their planned deliveries
    engine = make_engine(url)
    with Session(engine) as s:
        occ = s.execute(select(Occurrence.id)).scalars().first()
        contact = s.execute(select(Contact.id)).scalars().first()
        statuses = ("sent", "sent", "sent", "failed", "pending")
        s.execute(insert(Delivery), [{
            "occurrence_id": occ, "contact_id": contact, "channel": "email" if i % 2 else "telegram",
            "purpose": "due", "send_at": NOW - timedelta(hours=i % 72), "status": statuses[i % 5],
            "attempts": 1, "idempotency_key": f"bench-{i}", "informational": False} for i in range(N)])
        ids = s.execute(select(Delivery.id).where(Delivery.idempotency_key.like("bench-%"))).scalars().all()
        s.execute(insert(Attempt), [{"delivery_id": d, "at": NOW - timedelta(hours=i % 72) + timedelta(seconds=i % 600),
                                     "channel": "email" if i % 2 else "telegram", "ok": i % 7 != 0,
                                     "permanent": False} for i, d in enumerate(ids)])
        s.execute(insert(Answer), [{"occurrence_id": occ, "action": ("done", "snooze", "help")[i % 3],
                                    "actor": "bench", "channel": "email", "changed": True, "at": NOW}
                                   for i in range(N // 5)])
        s.commit()
    engine.dispose()


def run(name: str, url: str, folder: Path) -> None:
    fill(url, folder)
    engine = make_engine(url)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine, lambda: NOW))

    def baseline() -> None:
        with engine.connect() as conn:
            for table, cols in (("delivery", "status, channel"), ("attempt", "channel, ok"),
                                ("answer", "action, channel")):
                conn.execute(text(f"SELECT {cols}, count(*) FROM {table} GROUP BY {cols}")).all()

    ours_t, base_t = best(lambda: generate_latest(registry)), best(baseline)
    with Session(engine) as s:
        rows = s.execute(select(func.count()).select_from(Delivery)).scalar_one()
    engine.dispose()
    print(f"/metrics on {name}: {rows:,} deliveries, {N:,} attempts, {N // 5:,} answers")
    print(f"  bare GROUP BY counts baseline : {base_t * 1000:8.1f} ms")
    print(f"  ours (collector + exposition) : {ours_t * 1000:8.1f} ms = {ours_t / base_t:.2f}x baseline")


def main() -> None:
    on_each_database(run, "metrics")


if __name__ == "__main__":
    main()
