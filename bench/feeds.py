"""iCal feeds: render time, the 304 path, and a 30 s load from a second process.

1. A department feed over 5,000 occurrences (20 working-day duties for 2016, a tenth answered):
   ours (`feeds.feed_bytes`: load + RRULE/RDATE/EXDATE series + overrides + to_ical) against the
   baseline of icalendar serialising the same 5,000 occurrences as plain VEVENTs. Best of 5.
2. The 304 path over real HTTP (uvicorn on loopback, one keep-alive client): median of 500; then a
   200 of the same unchanged feed (served from the app's render cache, keyed by ETag).
3. 200 requests/s for 30 s (half of them conditional) from a separate process against a real
   uvicorn, on a small department's feed: errors, p50, p99.

Runs on SQLite (a file) and, when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from icalendar import Calendar, Event
from sqlmodel import Session, select

from bench.common import best, on_each_database
from db import migrate
from db.engine import make_engine
from db.models import Duty, Occurrence, utcnow
from scheduler import feeds
from scheduler.access import feed_tokens
from scheduler.answers.record import Actor, answer
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan

SECRET = "bench-feeds-secret-0123456789abcdef"
PUBLIC = "http://127.0.0.1"
NOW = datetime(2016, 12, 20, 2, tzinfo=UTC)
DUTIES = 20


def plan_yaml() -> str:
    duties = "".join(f"""  - id: d{i}
    title: 每日事项 {i}
    requirement: 第 {i} 项日常工作，按日报送。
    lead: [big]
    schedule: {{every: day, from: 2016-01-01, until: 2016-12-31}}
""" for i in range(DUTIES))
    return f"""version: 1
plan: {{id: bench-feeds, title: 基准计划, issued: 2016-01-01, year: 2016, coordinator: small}}
departments:
  - {{id: big, name: 大局}}
  - {{id: small, name: 小局}}
contacts:
  - {{department: big, name: 甲, email: a@example.org}}
duties:
{duties}  - id: monthly
    title: 每月报送
    lead: [small]
    schedule: {{every: month, due_on: day 25, from: 2016-01-01, until: 2016-12-31}}
  - id: quarterly
    title: 季度公开
    lead: [small]
    schedule: {{every: quarter, due_on: +10 workdays, from: 2016-01-01, until: 2016-12-31}}
"""


def seed(url: str, folder: Path) -> None:
    migrate.upgrade(url)
    path = folder / "bench-feeds.yaml"
    path.write_text(plan_yaml(), encoding="utf-8")
    engine = make_engine(url)
    with Session(engine) as s:
        store_plan(s, read_plan(path, date(2016, 1, 1)), calendar=calendar_for("CN"), today=date(2016, 1, 1),
                   horizon_days=400, now=utcnow())
        s.commit()
        occs = s.exec(select(Occurrence.id).join(Duty).where(Duty.key.like("d%")).order_by(Occurrence.id)).all()
        for occ in occs[::10]:
            answer(s, occ, "done", actor=Actor("甲", coordinator=True), channel="cli", now=NOW)
        s.commit()
    engine.dispose()


def direct(data: feeds.FeedData) -> bytes:
    """The baseline: icalendar serialising each occurrence as its own VEVENT, nothing else."""
    cal = Calendar()
    cal.add("prodid", "-//bench//")
    cal.add("version", "2.0")
    for r in data.rows:
        ev = Event()
        ev.add("uid", f"{r.occ.id}@bench")
        ev.add("dtstart", r.occ.due)
        ev.add("dtend", r.occ.due + timedelta(days=1))
        ev.add("dtstamp", feeds._utc(r.occ.updated_at))
        ev.add("summary", r.duty.title)
        ev.add("description", r.duty.requirement or "")
        cal.add_component(ev)
    return cal.to_ical()


def render_bench(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        scope = feed_tokens.scope_of(s, "big")
        data = feeds.load(s, scope)
        n = len(data.rows)
        ours = best(lambda: feeds.feed_bytes(s, scope, public_url=PUBLIC))
        base = best(lambda: direct(feeds.load(s, scope)))
        render_only = best(lambda: feeds.render(data, public_url=PUBLIC))
    engine.dispose()
    print(f"  render {n} occurrences: ours {ours * 1000:.0f} ms (render alone {render_only * 1000:.0f} ms), "
          f"icalendar direct {base * 1000:.0f} ms, ratio {ours / base:.2f}x (target <= 1.5x)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, port: int) -> subprocess.Popen:
    env = os.environ | {"DUBAN_BENCH_DB": url, "DUBAN_SECRET_KEY": SECRET, "DUBAN_PUBLIC_URL": PUBLIC}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.feeds:asgi", "--factory", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env)
    for _ in range(600):  # up to 30 s: the app imports every part
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("uvicorn did not start")


def asgi():
    """The app uvicorn serves for the benchmark (its database from DUBAN_BENCH_DB)."""
    from scheduler.settings import Settings
    from web.app import create_app

    return create_app(make_engine(os.environ["DUBAN_BENCH_DB"]), Settings(), clock=lambda: NOW)


def token_for(url: str, ref: str) -> str:
    from scheduler.access.links import Signer

    engine = make_engine(url)
    with Session(engine) as s:
        token = feed_tokens.ensure(s, feed_tokens.scope_of(s, ref), Signer(SECRET, PUBLIC, now=lambda: NOW), NOW)
        s.commit()
    engine.dispose()
    return token


def not_modified_bench(port: int, token: str) -> None:
    path = f"http://127.0.0.1:{port}/feeds/{token}.ics"
    with httpx.Client() as client:
        first = client.get(path)
        etag = first.headers["etag"]
        times = []
        for _ in range(500):
            start = time.perf_counter()
            r = client.get(path, headers={"If-None-Match": etag})
            times.append(time.perf_counter() - start)
            assert r.status_code == 304, r.status_code
        full = best(lambda: client.get(path), 3)
    print(f"  304 over HTTP ({len(first.content) // 1024} KiB feed): median {statistics.median(times) * 1000:.2f} ms, "
          f"p99 {sorted(times)[494] * 1000:.2f} ms (target < 5 ms); a 200 (render cached by ETag) {full * 1000:.0f} ms")


async def _load(path: str, rate: int, seconds: int) -> dict:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64), timeout=10) as client:
        etag = (await client.get(path)).headers["etag"]
        times, errors = [], []

        async def one(i: int) -> None:
            start = time.perf_counter()
            try:
                r = await client.get(path, headers={"If-None-Match": etag} if i % 2 else {})
                if r.status_code not in (200, 304):
                    errors.append(r.status_code)
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            times.append(time.perf_counter() - start)

        tasks, begin = [], time.perf_counter()
        for i in range(rate * seconds):
            await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        took = time.perf_counter() - begin
    times.sort()
    return {"requests": len(times), "errors": len(errors), "seconds": round(took, 1),
            "p50_ms": round(times[len(times) // 2] * 1000, 2), "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 2)}


def load_bench(port: int, token: str, seconds: int) -> None:
    path = f"http://127.0.0.1:{port}/feeds/{token}.ics"
    out = subprocess.run([sys.executable, "-m", "bench.feeds", "--load", path, str(seconds)],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    print(f"  load 200 req/s for {seconds} s from another process (half conditional): {r['requests']} requests "
          f"in {r['seconds']} s, {r['errors']} errors, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms")


def run(name: str, url: str, folder: Path) -> None:
    print(f"feeds on {name}:")
    seed(url, folder)
    render_bench(url)
    big, small = token_for(url, "big"), token_for(url, "small")
    port = free_port()
    server = serve(url, port)
    try:
        not_modified_bench(port, big)
        load_bench(port, small, int(os.environ.get("DUBAN_BENCH_LOAD_SECONDS", "30")))
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    on_each_database(run, "feeds")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        print(json.dumps(asyncio.run(_load(sys.argv[2], 200, int(sys.argv[3])))))
    else:
        main()
