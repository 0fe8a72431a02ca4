"""A 09:00 burst drained at the channel's configured limit, on PostgreSQL, nothing lost.

The burst: DUBAN_BENCH_BURST deliveries (default 100,000) due at one moment: one plan of five
duties led by twenty departments, all due the same day, so each of BURST / 5 contacts gets one
five-item digest. Seeding (store_plan, insert_contacts, plan_deliveries) is timed apart.
Ours: two dispatcher processes (bench/dispatch.py's pattern: started, loaded, released together)
send it to a null channel whose Limits allow DUBAN_BENCH_BURST_RATE messages a second (default
200), a limit the two keep together through the shared send windows (scheduler/outbox/pace.py).
Every send's wall-clock time is noted, to find the busiest second across both. Baseline, same
run: messages / RATE, the drain at exactly the limit. Targets: >= 90% of the limit, no second
above it, every delivery sent once (one successful attempt each, one provider id per message).
Then the raw drain without a limit, a quarter of the burst, next to the bare UPDATE of as many
rows (bench/dispatch.py's baseline). The SQLite side is left out: the seeding alone is minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from bisect import bisect_left
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import distinct, func, select

from bench.common import fresh_pg, pg_url
from bench.dispatch import SEND_AT, NullChannel, baseline, dispatcher_for, seed, together
from db.engine import make_engine
from db.models import Attempt, Delivery
from db.vocabulary import DeliveryStatus
from scheduler.channels.base import Limits, Message, Receipt
from scheduler.outbox import pace
from scheduler.outbox.dispatcher import DispatchReport

DUTIES = ["饮用水水质信息公开", "行政许可信息公开", "财政预算信息公开", "环境监测信息公开", "安全生产信息公开"]
DEPARTMENTS = 20
PROCESSES = 2
POLL = 0.1  # seconds between looks at the outbox while the pace holds messages back in it


def plan() -> str:
    """Five duties, each led by every department, all due on SEND_AT's day at 09:00."""
    depts = ", ".join(f"{{id: d{i:02d}, name: 第{i}局}}" for i in range(DEPARTMENTS))
    lead = ", ".join(f"d{i:02d}" for i in range(DEPARTMENTS))
    duties = "\n".join(f"  - {{id: duty{k}, title: {title}, lead: [{lead}], schedule: 9月14日前完成}}"
                       for k, title in enumerate(DUTIES))
    return ("version: 1\n"
            "plan: {id: burst, title: 突发, issued: 2016-09-01, year: 2016,\n"
            "       remind: {before: [0], at: \"09:00\", overdue_every: 0, escalate_after: 0}}\n"
            f"departments: [{depts}]\nduties:\n{duties}\n")


class TimedChannel(NullChannel):
    """A null channel that notes the wall-clock time of every message it accepts."""

    def __init__(self, limits: Limits, prefix: str) -> None:
        super().__init__(limits, prefix)  # provider ids per process: the check counts them across both
        self.times: list[float] = []

    async def send(self, message: Message) -> Receipt:
        self.times.append(time.time())
        return await super().send(message)


async def drain(dispatcher, engine) -> DispatchReport:
    """run_once as the service calls it, on a clock moving with the wall, until nothing is pending:
    a message the pace held back longer than a moment waits in the outbox for a later run."""
    total, began = DispatchReport(), time.monotonic()
    while True:
        report = await dispatcher.run_once(SEND_AT + timedelta(seconds=time.monotonic() - began))
        total.sent, total.messages = total.sent + report.sent, total.messages + report.messages
        assert not report.failed, report
        with engine.connect() as conn:
            if not conn.execute(select(func.count()).select_from(Delivery)
                                .where(Delivery.status == DeliveryStatus.pending)).scalar():
                return total
        await asyncio.sleep(POLL)


def worker(url: str, name: str, rate: str) -> None:
    """One dispatcher process: get ready, say so, wait for "go", drain, print what it did as JSON."""
    engine = make_engine(url)
    channel = TimedChannel(Limits(per_second=float(rate)), name)
    dispatcher = dispatcher_for(engine, name, channel)
    with engine.connect():
        pass  # connected before the clock starts, as a running service is
    print("ready", flush=True)
    sys.stdin.readline()
    cpu = time.process_time()
    report = asyncio.run(drain(dispatcher, engine))
    print(json.dumps({"deliveries": report.sent, "messages": report.messages,
                      "cpu": time.process_time() - cpu, "times": channel.times}), flush=True)


@dataclass
class Drain:
    seconds: float
    deliveries: int
    messages: int
    cpu: float  # both processes' CPU seconds while draining
    times: list[float]  # every send, both processes, in order


def drained(url: str, rate: float) -> Drain:
    elapsed, outputs = together([[sys.executable, "-m", "bench.burst", url, f"w{i}", str(rate)]
                                 for i in range(PROCESSES)])
    found = [json.loads(out) for out in outputs]
    return Drain(elapsed, sum(f["deliveries"] for f in found), sum(f["messages"] for f in found),
                 sum(f["cpu"] for f in found), sorted(t for f in found for t in f["times"]))


def busiest_second(times: list[float]) -> int:
    """The most sends in any one second [t, t + 1), t a send's time (sorted `times`)."""
    return max((bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def check_once(url: str, deliveries: int, drain: Drain) -> None:
    """Nothing lost, nothing twice: every delivery sent, with one successful attempt; one provider
    id per message the channels accepted."""
    engine = make_engine(url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        ok = select(func.count(), func.count(distinct(Attempt.delivery_id)),
                    func.count(distinct(Attempt.provider_message_id))).where(Attempt.ok)
        attempts, sent_once, provider_ids = conn.execute(ok).one()
        failed = conn.execute(select(func.count()).select_from(Attempt).where(~Attempt.ok)).scalar()
    engine.dispose()
    assert statuses == {DeliveryStatus.sent: deliveries}, statuses
    assert drain.deliveries == attempts == sent_once == deliveries and not failed, (drain, attempts, sent_once, failed)
    assert drain.messages == provider_ids == len(drain.times), (drain.messages, provider_ids, len(drain.times))


def seeded(folder: Path, deliveries: int) -> tuple[str, float]:
    url = fresh_pg(pg_url())
    began = time.perf_counter()
    seed(url, folder, deliveries // len(DUTIES), plan())
    return url, time.perf_counter() - began


def recipients(drain: Drain) -> str:
    """Messages against contacts: a contact's digest split between the two processes is a message more."""
    contacts = drain.deliveries // len(DUTIES)
    split = f", {drain.messages - contacts:,} digests split" if drain.messages != contacts else ""
    return f"{drain.messages:,} messages to {contacts:,} contacts{split}"


def per_thousand(drain: Drain) -> str:
    return f"{drain.cpu:.1f} CPU s in both, {1000 * drain.cpu / drain.deliveries:.2f} s per 1,000 deliveries"


def ceiling(rate: float) -> float:
    """The share of `rate` the pace can reach: its window of `rate` messages lasts MARGIN longer than a second."""
    count = max(1, int(rate))
    return count / (count / rate + pace.MARGIN) / rate


def limited(folder: Path, deliveries: int, rate: float) -> None:
    url, seeding = seeded(folder, deliveries)
    drain = drained(url, rate)
    check_once(url, deliveries, drain)
    achieved, busiest = drain.messages / drain.seconds, busiest_second(drain.times)
    print(f"  seeding (not measured) : {deliveries:,} deliveries in {seeding:.1f} s")
    print(f"  limit {rate:,.0f} messages/s   : drained in {drain.seconds:.1f} s, {achieved:,.1f} messages/s "
          f"({drain.deliveries / drain.seconds:,.0f} deliveries/s), {achieved / rate:.0%} of the limit "
          f"(target >= 90%; the pace's margin allows {ceiling(rate):.0%})")
    print(f"  baseline at the limit  : {drain.messages / rate:.1f} s ({drain.messages:,} messages / {rate:,.0f}/s)")
    print(f"  busiest second         : {busiest:,} messages (limit {rate:,.0f}: "
          f"{'kept' if busiest <= rate else 'EXCEEDED'})")
    print(f"  nothing lost or twice  : {drain.deliveries:,} deliveries sent once each, {recipients(drain)}")
    print(f"  dispatchers' CPU       : {per_thousand(drain)}")


def unlimited(folder: Path, deliveries: int) -> None:
    url, seeding = seeded(folder, deliveries)
    bare_url, _ = seeded(folder, deliveries)
    bare = deliveries / baseline(bare_url)
    drain = drained(url, 0)
    check_once(url, deliveries, drain)
    print(f" no limit, {deliveries:,} deliveries, {recipients(drain)}, seeded in {seeding:.1f} s:")
    print(f"  bare UPDATE baseline   : {bare:,.0f} deliveries/s")
    print(f"  {PROCESSES} dispatchers          : {drain.deliveries / drain.seconds:,.0f} deliveries/s "
          f"({drain.messages / drain.seconds:,.0f} messages/s, {drain.seconds:.1f} s), {per_thousand(drain)}")


def main() -> None:
    if not pg_url():
        print("burst: no PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL): skipped")
        return
    deliveries = int(os.environ.get("DUBAN_BENCH_BURST", "100000"))
    rate = float(os.environ.get("DUBAN_BENCH_BURST_RATE", "200"))
    if rate <= 0:
        sys.exit("DUBAN_BENCH_BURST_RATE 须为正数 / must be positive (the unlimited drain is measured anyway)")
    contacts = deliveries // len(DUTIES)
    print(f"burst on PostgreSQL: {contacts * len(DUTIES):,} deliveries due at 09:00 ({contacts:,} contacts of "
          f"{DEPARTMENTS} departments x {len(DUTIES)} duties, one digest each), {PROCESSES} dispatcher "
          f"processes, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        limited(Path(tmp), contacts * len(DUTIES), rate)
        unlimited(Path(tmp), contacts // 4 * len(DUTIES))


if __name__ == "__main__":
    worker(*sys.argv[1:])
