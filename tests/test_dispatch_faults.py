"""The outbox under faults: a dispatcher killed mid-burst, an SMTP server that refuses or drops,
two dispatchers sharing one outbox. Real processes (`python -m duban tick`), a real SMTP
server, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from db.models import Attempt, Delivery
from duban import wiring
from duban.service import Planning, tick
from scheduler.settings import Settings
from tests.bursts import LEASE, SEND_AT, burst, env, status_counts

ROOT = Path(__file__).resolve().parents[1]
BURST = 1000


def start_tick(engine, smtp, tmp_path: Path, now: datetime, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "duban", "tick", "--now", now.isoformat()],
                            env=env(engine, smtp, **extra), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen) -> None:
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


def claimants(engine) -> set[str]:
    with Session(engine) as s:
        return {w for (w,) in s.execute(select(Delivery.claimed_by).distinct()) if w}


def test_killed_dispatchers_lose_nothing_and_repeat_at_most_once_per_kill(engine, tmp_path, smtp_server):
    burst(engine, tmp_path, BURST)
    rng, kills, now = random.Random(), 3, SEND_AT
    for _ in range(kills):
        seen = len(smtp_server.messages)
        proc = start_tick(engine, smtp_server, tmp_path, now)
        target = seen + rng.randrange(20, 200)
        while len(smtp_server.messages) < target and proc.poll() is None:
            time.sleep(0.005)
        assert proc.poll() is None, "the dispatcher finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now += timedelta(seconds=LEASE + 1)  # the killed run's leases have run out
    finish(start_tick(engine, smtp_server, tmp_path, now))
    got = Counter(r.rcpt_tos[0] for r in smtp_server.messages)
    assert set(got) == {f"c{i}@example.org" for i in range(BURST)}  # every delivery arrived
    assert sum(got.values()) - BURST <= kills  # a repeat only for the message in flight at a kill
    assert status_counts(engine) == {"sent": BURST}


def test_an_smtp_server_refusing_then_dropping_connections_delays_but_loses_nothing(engine, tmp_path,
                                                                                  smtp_server):
    burst(engine, tmp_path, n=40)
    smtp_server.refuse_connections(count=4, reply="421 4.3.2 Service not available")
    smtp_server.drop_at_data(count=3)
    settings = Settings(database_url=str(engine.url), smtp_url=smtp_server.url(), mail_from="duban@example.org",
                        secret_key="fault-tests-secret-key-0123456789abcdef", retry_base_seconds=60,
                        send_tries=2)
    dispatcher = wiring.dispatcher(engine, settings, wiring.channels(settings))
    dispatcher.sleep = lambda _s: asyncio.sleep(0)  # in-process retry waits: no need to sit them out
    planning = Planning(wiring.calendars(settings), horizon_days=60)
    now = SEND_AT
    for _ in range(20):
        asyncio.run(tick(engine, planning, dispatcher, now))
        if status_counts(engine) == {"sent": 40}:
            break
        now += timedelta(minutes=5)
    asyncio.run(dispatcher.channels["email"].close())
    assert sorted(r.rcpt_tos[0] for r in smtp_server.messages) == sorted(f"c{i}@example.org" for i in range(40))
    with Session(engine) as s:
        failed = s.exec(select(Attempt).where(Attempt.ok == False)).all()
        ok = s.exec(select(func.count()).select_from(Attempt).where(Attempt.ok == True)).one()
    assert ok == 40 and len(failed) >= 4 and all(a.error and not a.permanent for a in failed)


def test_two_dispatchers_share_the_outbox_and_send_nothing_twice(engine, tmp_path, smtp_server):
    """The relay holds every message until both dispatchers hold a claimed batch, so neither can
    drain the burst alone before the other has started (a busy machine starts processes slowly)."""
    burst(engine, tmp_path, BURST)
    smtp_server.hold()
    procs = [start_tick(engine, smtp_server, tmp_path, SEND_AT) for _ in range(2)]
    deadline = time.monotonic() + 120
    while len(claimants(engine)) < 2:
        assert time.monotonic() < deadline, "the two dispatchers never both claimed a batch"
        assert all(p.poll() is None for p in procs), [p.communicate()[1].decode() for p in procs]
        time.sleep(0.05)
    smtp_server.release()
    for p in procs:
        finish(p)
    got = Counter(r.rcpt_tos[0] for r in smtp_server.messages)
    assert len(got) == BURST and set(got.values()) == {1}
    assert len(claimants(engine)) == 2  # both took part
    assert status_counts(engine) == {"sent": BURST}


def test_a_slow_relay_outlasting_the_lease_still_sends_nothing_twice(engine, tmp_path, smtp_server):
    """One batch takes 3x the lease: the first dispatcher renews its lease while it works, so a
    second one started later (its clock as far on as the time that passed) takes only what is left."""
    n, lease, per_message = 60, 2, 0.1
    burst(engine, tmp_path, n=n)
    smtp_server.slow_down(per_message)
    slow = {"DUBAN_LEASE_SECONDS": str(lease), "DUBAN_DISPATCH_BATCH": str(n)}
    first = start_tick(engine, smtp_server, tmp_path, SEND_AT, **slow)
    while not smtp_server.messages:  # the first has claimed the whole burst and is sending it
        assert first.poll() is None, first.communicate()[1].decode()
        time.sleep(0.01)
    started = time.monotonic()
    time.sleep(2 * lease)
    second = start_tick(engine, smtp_server, tmp_path,
                        SEND_AT + timedelta(seconds=time.monotonic() - started), **slow)
    for p in (first, second):
        finish(p)
    got = Counter(r.rcpt_tos[0] for r in smtp_server.messages)
    assert len(got) == n and set(got.values()) == {1}
    assert status_counts(engine) == {"sent": n}



def test_one_message_slower_than_the_lease_is_not_taken_over_while_it_is_sent(engine, tmp_path, smtp_server):
    """A relay taking 6 s over one message, a lease of 1 s: the lease is renewed while the
    message is on its way, so a second dispatcher started meanwhile finds nothing to take."""
    burst(engine, tmp_path, n=2)
    smtp_server.slow_down(6)
    short = {"DUBAN_LEASE_SECONDS": "1", "DUBAN_DISPATCH_BATCH": "2"}
    first = start_tick(engine, smtp_server, tmp_path, SEND_AT, **short)
    while not smtp_server.connections:  # the first message is on its way
        assert first.poll() is None, first.communicate()[1].decode()
        time.sleep(0.01)
    started = time.monotonic()
    time.sleep(1.5)  # past the lease the first message was claimed with
    second = start_tick(engine, smtp_server, tmp_path,
                        SEND_AT + timedelta(seconds=time.monotonic() - started), **short)
    for p in (first, second):
        finish(p)
    got = Counter(r.rcpt_tos[0] for r in smtp_server.messages)
    assert got == {"c0@example.org": 1, "c1@example.org": 1}
    assert status_counts(engine) == {"sent": 2}
