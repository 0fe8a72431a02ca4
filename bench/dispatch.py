"""Dispatch throughput to a null channel (deliveries/s), on SQLite and on PostgreSQL.

Ours: Dispatcher.run_once over N due deliveries, each its own message (claim with a lease,
re-check the occurrence, render with the console's layout - subject and plain text; email adds an
HTML page, measured by `bench email` - send to a channel that accepts at once, record the attempt
and the receipt). Baseline, same run, same rows: the bare database work of marking them sent,
one UPDATE ... WHERE id IN (batch) per batch of the same size. Targets: >= 1,000/s for one
dispatcher on SQLite and on PostgreSQL.
Then several dispatcher processes on the same outbox (as `duban run --only dispatch` started on
several machines would; SQLite serialises their commits, PostgreSQL shares rows with SKIP
LOCKED): 2 on SQLite, 2 and 4 on PostgreSQL (target: four >= 2.5x one), each started and loaded
first, then released together and timed until all finish; every row is checked sent exactly once.
Processes share this machine's CPUs with each other and with PostgreSQL: `nproc` is printed, and
scaling beyond it measures the machine, not Duban.
Each side runs ROUNDS times on fresh databases, alternating, and the median is shown with the
range: the machines here are shared, and one run can be a third off.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlmodel import Session

from bench.common import fresh_pg, pg_url, postgres_cpu
from db.addresses import insert_contacts
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Delivery, Department, utcnow
from scheduler.access.links import Signer
from scheduler.calendar.workdays import calendar_for
from scheduler.channels.base import Limits, Message, Receipt
from scheduler.messages.render import Renderer
from scheduler.outbox.dispatcher import Dispatcher, DispatchPolicy
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan

N = 5000
ROUNDS = 3
BATCH = 200
SEND_AT = datetime(2016, 9, 14, 1, tzinfo=UTC)
PLAN = """\
version: 1
plan: {id: bench, title: 基准, issued: 2016-09-01, year: 2016, remind: {before: [0], overdue_every: 0, escalate_after: 0}}
departments: [{id: epb, name: 市环保局}]
duties: [{id: water, title: 饮用水水质信息公开, lead: [epb], schedule: 9月14日前完成}]
"""


class NullChannel:
    """Accepts every message at once: what is left to measure is Duban's own work (and the pace
    its `limits` ask for)."""

    name = "console"

    def __init__(self, limits: Limits | None = None, prefix: str = "null") -> None:
        self.limits, self._prefix = limits or Limits(), prefix
        self._ids = itertools.count(1)

    async def send(self, message: Message) -> Receipt:
        return Receipt(provider_id=f"{self._prefix}-{next(self._ids)}")

    async def close(self) -> None:
        return None


def seed(url: str, folder: Path, contacts: int = N, plan: str = PLAN) -> None:
    """The plan's deliveries due at SEND_AT to `contacts` contacts, spread evenly over its departments."""
    upgrade(url)
    (folder / "plan.yaml").write_text(plan, encoding="utf-8")
    engine = make_engine(url)
    cal = calendar_for("CN")
    with Session(engine) as s:
        store_plan(s, read_plan(folder / "plan.yaml", date(2016, 9, 1)), calendar=cal, today=date(2016, 9, 1),
                   horizon_days=60, now=utcnow())
        depts = s.execute(select(Department.id).order_by(Department.id)).scalars().all()
        for k, dept_id in enumerate(depts):
            insert_contacts(s, dept_id, [(f"联络员{i}", {"email": f"c{i}@example.org"})
                                         for i in range(k, contacts, len(depts))])
        plan_deliveries(s, SEND_AT - timedelta(days=1), calendars=lambda _: cal, horizon_days=60)
        s.commit()
    engine.dispose()


def dispatcher_for(engine, worker: str, channel: NullChannel | None = None) -> Dispatcher:
    cal = calendar_for("CN")
    return Dispatcher(lambda: Session(engine, expire_on_commit=False), {"console": channel or NullChannel()},
                      Renderer(), Signer("bench", "https://duban.example.org", now=lambda: SEND_AT),
                      lambda _: cal, worker=worker, policy=DispatchPolicy(batch=BATCH))


def ours(url: str) -> float:
    engine = make_engine(url)
    dispatcher = dispatcher_for(engine, "bench")
    began = time.perf_counter()
    report = asyncio.run(dispatcher.run_once(SEND_AT))
    elapsed = time.perf_counter() - began
    assert report.sent == N, report
    engine.dispose()
    return elapsed


def worker(url: str, name: str) -> None:
    """One of the two processes: get ready, say so, wait for "go", dispatch, report the count."""
    engine = make_engine(url)
    dispatcher = dispatcher_for(engine, name)
    with engine.connect():
        pass  # connected before the clock starts, as a running service is
    print("ready", flush=True)
    sys.stdin.readline()
    began = time.process_time()
    sent = asyncio.run(dispatcher.run_once(SEND_AT)).sent
    print(sent, time.process_time() - began, flush=True)


def together(commands: list[list[str]]) -> tuple[float, list[str]]:
    """Start a worker process per command, wait until each is ready, release them together; the
    seconds until all finished, and what each printed after "ready"."""
    procs = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for command in commands]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    began = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = [p.communicate()[0] for p in procs]
    elapsed = time.perf_counter() - began
    assert all(p.returncode == 0 for p in procs), [p.returncode for p in procs]
    return elapsed, outputs


def processes(url: str, count: int) -> tuple[float, float, float | None]:
    """Seconds for `count` processes to send the N, their CPU seconds, and PostgreSQL's (None: unknown)."""
    server = postgres_cpu if url.startswith("postgresql") else lambda: None
    server_before = server()
    elapsed, outputs = together([[sys.executable, "-m", "bench.dispatch", url, f"w{i}"] for i in range(count)])
    server_after = server()
    sent = [int(out.split()[0]) for out in outputs]
    assert sum(sent) == N, sent
    engine = make_engine(url)
    with engine.connect() as conn:  # nothing sent twice: every row marked sent exactly once
        assert conn.execute(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")).scalar() == N
    engine.dispose()
    used = server_after - server_before if server_before is not None and server_after is not None else None
    return elapsed, sum(float(out.split()[1]) for out in outputs), used


def baseline(url: str) -> float:
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = [i for (i,) in conn.execute(select(Delivery.id).order_by(Delivery.id))]
    began = time.perf_counter()
    for i in range(0, len(ids), BATCH):
        with engine.begin() as conn:
            conn.execute(update(Delivery).where(Delivery.id.in_(ids[i:i + BATCH]))
                         .values(status="sent", sent_at=SEND_AT))
    elapsed = time.perf_counter() - began
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")).scalar()
        assert sent == len(ids)
    engine.dispose()
    return elapsed


def one_round(make_url, crowds: tuple[int, ...]) -> tuple[list[float], list[tuple[float, float | None]]]:
    """Rates of the bare UPDATE baseline, one dispatcher, then each crowd of processes; and each
    crowd's CPU seconds per 1,000 deliveries (dispatchers, PostgreSQL)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        urls = [make_url(folder, f"run{i}") for i in range(2 + len(crowds))]
        for url in urls:
            seed(url, folder)
        found, cpu = [N / baseline(urls[0]), N / ours(urls[1])], []
        for url, n in zip(urls[2:], crowds, strict=True):
            elapsed, ours_cpu, server_cpu = processes(url, n)
            found.append(N / elapsed)
            cpu.append((ours_cpu * 1000 / N, server_cpu * 1000 / N if server_cpu is not None else None))
        return found, cpu


def rates(values: list[float]) -> str:
    return f"median {statistics.median(values):>9,.0f} deliveries/s (range {min(values):,.0f}-{max(values):,.0f})"


def cpu_line(samples: list[tuple[float, float | None]]) -> str:
    """CPU seconds per 1,000 deliveries, and the cores 1,000 deliveries a second would keep busy."""
    ours = statistics.median(s[0] for s in samples)
    servers = [s[1] for s in samples if s[1] is not None]
    if not servers:
        return f"CPU per 1,000: dispatchers {ours:.2f} s"
    server = statistics.median(servers)
    return f"CPU per 1,000: dispatchers {ours:.2f} s + PostgreSQL {server:.2f} s"


def run(name: str, make_url, crowds: tuple[int, ...]) -> None:
    rounds = [one_round(make_url, crowds) for _ in range(ROUNDS)]
    found = list(zip(*(r[0] for r in rounds), strict=True))
    cpus = list(zip(*(r[1] for r in rounds), strict=True))
    one = statistics.median(found[1])
    print(f"dispatch on {name}: {N:,} deliveries, one message each, to a null channel, {ROUNDS} rounds, "
          f"{os.cpu_count()} CPUs")
    print(f"  bare UPDATE baseline : {rates(found[0])}")
    print(f"  duban dispatcher     : {rates(found[1])} (target >= 1,000/s)")
    for n, values, cpu in zip(crowds, found[2:], cpus, strict=True):
        target = " (target >= 2.5x one)" if n == 4 else ""
        print(f"  {n} dispatchers       : {rates(values)}, {statistics.median(values) / one:.2f}x one{target}; "
              f"{cpu_line(list(cpu))}")


def main() -> None:
    run("SQLite", lambda folder, name: f"sqlite:///{folder}/{name}.db", (2,))
    if pg := pg_url():
        run("PostgreSQL", lambda _folder, _name: fresh_pg(pg), (2, 4))


if __name__ == "__main__":
    worker(*sys.argv[1:])
