"""A cluster that loses nothing (issue 18): three `duban run --only dispatch` processes share one
PostgreSQL outbox and send a burst of 5,000 reminders due at once to a real SMTP server. Mid-burst
one of them is killed (SIGKILL) and another has its database connections terminated by the
server. Every recipient hears, at most the two messages in flight then repeat, the killed one's
leases are taken over by the others, and the cut one reconnects and goes on sending.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.engine import make_engine
from db.models import Delivery
from db.vocabulary import DeliveryStatus
from tests.bursts import burst, env, status_counts

N = 5000
BATCH = 25
LEASE = 10  # seconds: the killed instance's rows wait this long for another instance
# What the cut instance may log: the error of the statement its connection was terminated under.
CUT_ERRORS = ("terminating connection due to administrator command", "server closed the connection unexpectedly",
              "consuming input failed", "the connection is lost", "connection is closed")


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


@dataclass
class Instance:
    """One `duban run --only dispatch` process, naming its database connections (application_name)."""

    name: str
    proc: subprocess.Popen
    log: Path

    @property
    def claims(self) -> str:
        """Its claims, as a LIKE pattern: `claimed_by` is host:pid:token (duban/wiring.py)."""
        return f"%:{self.proc.pid}:%"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(engine, smtp, tmp_path: Path, name: str) -> Instance:
    url = engine.url.render_as_string(hide_password=False)
    sep = "&" if "?" in url else "?"
    log = tmp_path / f"{name}.log"
    settings = {"DATABASE_URL": f"{url}{sep}application_name={name}", "DUBAN_LEASE_SECONDS": str(LEASE),
                "DUBAN_DISPATCH_BATCH": str(BATCH), "DUBAN_DISPATCH_EVERY_SECONDS": "1"}
    with log.open("w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", "duban", "run", "--only", "dispatch"], cwd=tmp_path,
                                env=env(engine, smtp, **settings), stdout=subprocess.DEVNULL, stderr=err)
    return Instance(name, proc, log)


def stop(instances: list[Instance]) -> None:
    """SIGTERM to those still running (continued first, were one stopped), SIGKILL after a minute."""
    for i in instances:
        if i.proc.poll() is None:
            i.proc.send_signal(signal.SIGCONT)
            i.proc.send_signal(signal.SIGTERM)
    for i in instances:
        try:
            i.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            i.proc.kill()
            i.proc.wait()


def due_now(engine) -> None:
    """`duban run` dispatches on the wall clock: the burst falls due a minute ago."""
    with Session(engine) as s:
        s.execute(update(Delivery).values(send_at=datetime.now(UTC) - timedelta(minutes=1)))
        s.commit()


def claimed_by(engine, instance: Instance, *statuses: str) -> set[int]:
    """The deliveries `instance` claimed last (in these statuses, or any)."""
    query = select(Delivery.id).where(Delivery.claimed_by.like(instance.claims))
    if statuses:
        query = query.where(Delivery.status.in_(statuses))
    with Session(engine) as s:
        return set(s.exec(query))


def connections(engine, instance: Instance) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                         {"name": instance.name}).scalar()


def wait_until(condition: Callable[[], bool], what: str, instances: list[Instance], seconds: float = 120) -> None:
    """Poll `condition` until it holds; fail after `seconds`, or when one of `instances` has exited."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        for i in instances:
            assert i.proc.poll() is None, f"{i.name} exited ({i.proc.returncode}):\n{i.stderr()}"
        time.sleep(0.05)


def while_stopped(instance: Instance, attempt: Callable[[], bool]) -> None:
    """Stop `instance` (SIGSTOP: nothing it does moves on while it is looked at) and `attempt()`
    until that succeeds, continuing it in between."""
    deadline = time.monotonic() + 60
    while True:
        instance.proc.send_signal(signal.SIGSTOP)
        _pid, status = os.waitpid(instance.proc.pid, os.WUNTRACED)  # returns once it is stopped
        assert os.WIFSTOPPED(status), f"{instance.name} ended on its own ({status})"
        try:
            if attempt():
                return
        finally:
            instance.proc.send_signal(signal.SIGCONT)
        assert time.monotonic() < deadline, f"{instance.name} was never caught as wanted"
        time.sleep(0.02)


def kill_while_holding(engine, instance: Instance) -> set[int]:
    """SIGKILL `instance` while it holds claimed deliveries (two at least: a commit it sent before
    it stopped may still mark one sent); those left claimed by it once the server saw it die."""
    def kill() -> bool:
        if len(claimed_by(engine, instance, DeliveryStatus.claimed)) < 2:
            return False
        instance.proc.kill()
        return True

    while_stopped(instance, kill)
    instance.proc.wait()
    wait_until(lambda: connections(engine, instance) == 0, f"the server saw {instance.name} die", [])
    return claimed_by(engine, instance, DeliveryStatus.claimed)


def cut_mid_transaction(engine, instance: Instance) -> None:
    """Terminate every server process serving `instance` (as a failover or an administrator would)
    while it is stopped inside a transaction, so it finds out from its next statement (between
    transactions its pool would replace the connections without a word)."""
    def cut() -> bool:
        with engine.begin() as c:
            return bool(c.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name "
                "AND EXISTS (SELECT FROM pg_stat_activity WHERE application_name = :name "
                "AND state = 'idle in transaction')"), {"name": instance.name}).all())

    while_stopped(instance, cut)


def tracebacks(log: str) -> list[str]:
    return log.split("Traceback (most recent call last)")[1:]


def test_a_killed_instance_and_one_cut_from_the_database_lose_nothing_and_repeat_at_most_two(
        pg_engine, tmp_path, smtp_server):
    burst(pg_engine, tmp_path, N)
    due_now(pg_engine)
    smtp_server.hold()  # nothing goes out until all three hold a batch: none drains the burst alone
    killed, cut, other = everyone = [start(pg_engine, smtp_server, tmp_path, f"duban-{n}") for n in "abc"]
    try:
        wait_until(lambda: all(claimed_by(pg_engine, i) for i in everyone), "all three claimed a batch", everyone)
        smtp_server.release()

        wait_until(lambda: len(smtp_server.messages) >= 300, "300 messages arrived", everyone)
        held_by_killed = kill_while_holding(pg_engine, killed)
        survivors = [cut, other]

        wait_until(lambda: len(smtp_server.messages) >= 900, "900 messages arrived", survivors)
        before_cut = claimed_by(pg_engine, cut)
        cut_mid_transaction(pg_engine, cut)

        wait_until(lambda: status_counts(pg_engine) == {"sent": N}, "every delivery was sent", survivors, seconds=180)
    finally:
        stop(everyone)
    logs = {i.name: i.stderr() for i in everyone}

    got = Counter(r.rcpt_tos[0] for r in smtp_server.messages)
    assert set(got) == {f"c{i}@example.org" for i in range(N)}, logs  # every recipient heard
    repeated = {address: n for address, n in got.items() if n > 1}
    assert sum(got.values()) - N <= 2, (repeated, logs)  # only the message in flight at the kill and at the cut
    assert held_by_killed  # what it held when it died was taken over and sent by the others:
    assert held_by_killed <= claimed_by(pg_engine, cut, DeliveryStatus.sent) | claimed_by(pg_engine, other, DeliveryStatus.sent)
    assert len(claimed_by(pg_engine, cut, DeliveryStatus.sent) - before_cut) > 2 * BATCH  # the cut one claimed and sent on
    assert [i.proc.returncode for i in survivors] == [0, 0], logs  # and both stopped cleanly
    assert tracebacks(logs[killed.name]) == tracebacks(logs[other.name]) == [], logs
    assert any(e in logs[cut.name] for e in CUT_ERRORS), logs[cut.name]  # it lost a connection at work
    assert tracebacks(logs[cut.name]) == [], logs[cut.name]  # told in one line (duban/service.py)
