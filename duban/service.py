"""The long-running service and its one-shot twin `tick`: plan, then dispatch, as of a moment.

APScheduler is only the clock: an interval job plans, another dispatches, and after each
dispatch one 'wake' job is set for the next pending send_at. There is never a job per reminder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from db import locks
from db.engine import session_scope
from db.models import Delivery, Plan
from db.queries import today_in
from db.vocabulary import DeliveryStatus
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.outbox import heartbeat
from scheduler.outbox.dispatcher import Dispatcher, DispatchReport
from scheduler.outbox.planner import PlannerReport, plan_deliveries
from scheduler.plans.store import extend_horizon

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
T = TypeVar("T")


class _NoBusySkips(logging.Filter):
    """A dispatch interval falling while the last run still sends is skipped by design (that run
    takes what fell due); APScheduler warns about it at every interval of a long burst."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_NoBusySkips())


@dataclass(frozen=True)
class Planning:
    """What the planner needs besides the database: calendars and how far ahead to look."""

    calendars: Callable[[str], WorkdayCalendar]
    horizon_days: int = 400
    overdue_lookahead_days: int = 14


def plan_all(engine: Engine, planning: Planning, now: datetime) -> PlannerReport:
    """Extend every plan's occurrences to the horizon, then bring the outbox in line; by one
    instance at a time (another one planning now does the same work: this one skips its turn)."""
    with session_scope(engine) as session:
        if not locks.try_take(session, locks.PLANS):
            return PlannerReport(skipped=True)
        for plan in session.exec(select(Plan)).all():
            extend_horizon(session, plan, calendar=planning.calendars(plan.workdays),
                           today=today_in(plan.timezone, now), horizon_days=planning.horizon_days, now=now)
        return plan_deliveries(session, now, calendars=planning.calendars, horizon_days=planning.horizon_days,
                               overdue_lookahead_days=planning.overdue_lookahead_days)


async def tick(engine: Engine, planning: Planning, dispatcher: Dispatcher,
               now: datetime) -> tuple[PlannerReport, DispatchReport]:
    """Plan and dispatch once as of `now` (cron-style operation, catch-up, tests)."""
    planned = plan_all(engine, planning, now)
    heartbeat.beat(engine, heartbeat.PLANNED, now)
    try:
        dispatched = await dispatcher.run_once(now)
        heartbeat.beat(engine, heartbeat.DISPATCHED, now)
        return planned, dispatched
    finally:
        await dispatcher.close()


async def _unless_interrupted(doing: str, work: Awaitable[T]) -> T | None:
    """`work`'s result; None when the service stopped, or the database connection went away,
    mid-way: nothing is lost (the next round does it again, and the leases of what this instance
    held run out for any instance to take), so it is one line in the log, not APScheduler's
    traceback with the statement and its parameters."""
    try:
        return await work
    except asyncio.CancelledError:
        log.info("%s stopped with the service", doing)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("数据库连接中断 the database connection was lost while %s (%s); the next round does it "
                    "again", doing, _first_line(exc))
    return None


def _first_line(exc: Exception) -> str:
    """The driver's message without SQLAlchemy's statement and parameters (contact ids)."""
    said = str(getattr(exc, "orig", None) or exc).strip()
    return said.splitlines()[0] if said else type(exc).__name__


def next_send_at(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return session.exec(select(func.min(Delivery.send_at)).where(Delivery.status == DeliveryStatus.pending)).one()


class Service:
    """Plans every few minutes and dispatches on an interval and at the next send time."""

    def __init__(self, engine: Engine, planning: Planning, dispatcher: Dispatcher, clock: Clock, *,
                 plan_every: timedelta = timedelta(minutes=10),
                 dispatch_every: timedelta = timedelta(seconds=30)):
        self.engine, self.planning, self.dispatcher, self.clock = engine, planning, dispatcher, clock
        self.plan_every, self.dispatch_every = plan_every, dispatch_every
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._lock = asyncio.Lock()

    async def plan(self) -> None:
        report = await _unless_interrupted("planning", asyncio.to_thread(
            plan_all, self.engine, self.planning, self.clock()))
        if report is None:
            return
        heartbeat.beat(self.engine, heartbeat.PLANNED, self.clock())
        log.info("planned: %s", report.as_json())
        await self.dispatch()

    async def dispatch(self) -> None:
        report = await _unless_interrupted("dispatching", self._dispatch_alone())
        if report is None:
            return
        heartbeat.beat(self.engine, heartbeat.DISPATCHED, self.clock())
        if report.messages or report.failed or report.retried:
            log.info("dispatched: %s", report.as_json())
        self._wake_at(next_send_at(self.engine))

    async def _dispatch_alone(self) -> DispatchReport:
        async with self._lock:  # the interval and the wake-up job never dispatch at once
            return await self.dispatcher.run_once(self.clock())

    def _wake_at(self, when: datetime | None) -> None:
        if when is None:
            return
        when = max(when.replace(tzinfo=when.tzinfo or UTC), self.clock() + timedelta(seconds=1))
        self.scheduler.add_job(self.dispatch, "date", run_date=when, id="wake", replace_existing=True,
                               misfire_grace_time=None)

    async def run(self, stop: asyncio.Event) -> None:
        first = self.clock()  # the first planning at once (APScheduler runs on the same wall clock)
        self.scheduler.add_job(self.plan, "interval", seconds=self.plan_every.total_seconds(),
                               next_run_time=first, max_instances=1, coalesce=True, misfire_grace_time=None)
        self.scheduler.add_job(self.dispatch, "interval", seconds=self.dispatch_every.total_seconds(),
                               max_instances=1, coalesce=True, misfire_grace_time=None)
        self.scheduler.start()
        log.info("duban service started: channels %s", ", ".join(self.dispatcher.channels))
        try:
            await stop.wait()
        finally:
            # Paused first: APScheduler's shutdown runs a turn of the loop later and cancels the jobs it
            # started meanwhile before their first step, which it logs as an error with a traceback.
            self.scheduler.pause()
            self.scheduler.shutdown(wait=False)
            async with self._lock:  # a dispatch in hand finishes before its channels close
                await self.dispatcher.close()
            log.info("duban service stopped")

