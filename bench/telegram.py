"""Telegram channel: 3,000 reminders to 3,000 chats through the dispatcher, the real PTB stack and
a local Bot API server that enforces Telegram's flood limits (answering 429 when they are broken).

Measured against the configured limit (DUBAN_BENCH_TELEGRAM_RATE, default Telegram's 30 msg/s;
e.g. 300 for a quick run): achieved msg/s and its ratio to the limit (target >= 95%), 429
answers (must be 0), and the most messages one chat got within a second (limit 1). The baseline,
measured in the same run, is the same pipeline with no limit on either side: what the machine
could do if Telegram let it. The server runs in its own process so it does not share our GIL.
Run it as `python -m bench telegram`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.channel import TelegramChannel
from db import migrate
from db.addresses import insert_contacts
from db.engine import make_engine
from db.models import Department, utcnow
from duban import wiring
from scheduler.calendar.workdays import calendar_for
from scheduler.outbox.planner import plan_deliveries
from scheduler.plans.file import read_plan
from scheduler.plans.store import store_plan
from scheduler.settings import Settings

COUNT = 3000
CN = calendar_for("CN")
SEND_AT = datetime(2016, 9, 14, 1, tzinfo=UTC)
TOKEN = "123456:TEST-token_for-duban"
PLAN = """\
version: 1
plan: {id: bench, title: 督办基准, issued: 2016-09-01, year: 2016,
       remind: {before: [0], at: "09:00", overdue_every: 0, escalate_after: 0}}
departments: [{id: epb, name: 市环保局}]
duties:
  - {id: water, title: 饮用水水质信息公开, requirement: 每季度向社会公开饮用水水源水质。, outlet: 市环保局网站,
     lead: [epb], schedule: 9月14日前完成}
"""


def outbox(folder: Path, name: str) -> str:
    """A fresh SQLite database with one duty and COUNT contacts, each in a chat of their own."""
    url = f"sqlite:///{folder / name}.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    (folder / "plan.yaml").write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        store_plan(s, read_plan(folder / "plan.yaml", date(2016, 9, 1)), calendar=CN, today=date(2016, 9, 1),
                   horizon_days=60, now=utcnow())
        dept = s.exec(select(Department)).one()
        insert_contacts(s, dept.id, [(f"联络员{i}", {"telegram": str(10_000_000 + i)}) for i in range(COUNT)])
        plan_deliveries(s, SEND_AT - timedelta(days=1), calendars=lambda _: CN, horizon_days=60)
        s.commit()
    engine.dispose()
    return url


def server(per_second: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.telegram_server", str(per_second)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}"


def stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_stats") as answer:
        return json.load(answer)


def run(folder: Path, name: str, per_second: float) -> tuple[float, dict]:
    """Send COUNT reminders with the limit `per_second` (0: none) on both sides; (seconds, stats)."""
    url = outbox(folder, name)
    proc, api = server(per_second)
    try:
        settings = Settings(_env_file=None, database_url=url, telegram_token=TOKEN, telegram_api_url=api,
                            telegram_rate_per_second=per_second, channels=["telegram"],
                            secret_key="bench-telegram-secret-0123456789abcdef")
        engine = make_engine(url)
        channel = TelegramChannel.from_settings(settings)
        dispatcher = wiring.dispatcher(engine, settings, {"telegram": channel})

        async def send() -> float:
            began = time.perf_counter()
            report = await dispatcher.run_once(SEND_AT)
            elapsed = time.perf_counter() - began
            await channel.close()
            assert report.messages == COUNT, report.as_json()
            return elapsed

        elapsed = asyncio.run(send())
        engine.dispose()
        return elapsed, stats(api)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    limit = float(os.environ.get("DUBAN_BENCH_TELEGRAM_RATE", "30"))
    with tempfile.TemporaryDirectory() as tmp:
        base_t, base = run(Path(tmp), "baseline", 0)
        ours_t, ours = run(Path(tmp), "limited", limit)
    achieved = COUNT / ours_t
    print(f"telegram: {COUNT:,} reminders to {COUNT:,} chats: dispatcher (SQLite outbox) -> TelegramChannel "
          "(PTB 22, rate limiter) -> local Bot API server enforcing the limit")
    print(f"  baseline, no limit anywhere : {base_t:6.2f} s = {COUNT / base_t:>7,.1f} msg/s")
    print(f"  configured limit            : {limit:>7,.1f} msg/s (server: {limit:g}/s, 1/s per chat)")
    print(f"  achieved                    : {ours_t:6.2f} s = {achieved:>7,.1f} msg/s = "
          f"{achieved / limit:.1%} of the limit (target >= 95%)")
    print(f"  429 answers                 : {ours['too_many']} (must be 0); baseline: {base['too_many']}")
    print(f"  most messages to one chat within 1 s: {ours['max_chat_rate']} (limit 1); "
          f"delivered {ours['sent']:,}")


if __name__ == "__main__":
    main()
