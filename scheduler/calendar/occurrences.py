"""The occurrence engine: a duty's structured schedule -> its deadlines in a window.

Kinds: `start` (the 启动 date), `due` (one-off deadlines: `due` and each of `dates`) and
`recurring` (one per period of `every`). The `period` string is the occurrence's stable key:
the ISO date of a one-off deadline (a moved deadline is a new obligation: the old one is
cancelled when open, kept when answered), or the period's label (2016-Q3, 2016-07, 2016-H2,
2016, 2016-W31, 2016-07-29), so a recurring deadline whose day moves is the same occurrence.
Event-triggered duties get no occurrences here: `event_deadline` gives one when an event is
recorded.
"""

from __future__ import annotations

import calendar as months_calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from db.vocabulary import OccurrenceKind
from scheduler.calendar.schedules import DUE_ON_RE, WITHIN_RE, Schedule
from scheduler.calendar.workdays import WorkdayCalendar

_MONTHS_PER = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


@dataclass(frozen=True, order=True)
class OccurrenceSpec:
    """One deadline the schedule asks for (before it is given to a department)."""

    due: date
    kind: OccurrenceKind
    period: str
    quota: int | None = None


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    label: str


def _add_months(day: date, n: int) -> date:
    months = day.year * 12 + day.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def _label(first: date, every: str) -> str:
    if every == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if every == "half-year":
        return f"{first.year}-H{1 if first.month <= 6 else 2}"
    if every == "year":
        return str(first.year)
    return f"{first.year}-{first.month:02d}"


def month_periods(every: str, interval: int, origin: date) -> Iterator[Period]:
    """Calendar months, quarters, half-years or years, from the one containing `origin`."""
    size = _MONTHS_PER[every]
    first = date(origin.year, (origin.month - 1) // size * size + 1, 1)
    while True:
        nxt = _add_months(first, size)
        yield Period(first, nxt - timedelta(days=1), _label(first, every))
        first = _add_months(first, size * interval)


def week_periods(interval: int, origin: date) -> Iterator[Period]:
    """ISO weeks (Monday-Sunday), from the one containing `origin`."""
    first = origin - timedelta(days=origin.weekday())
    while True:
        iso = first.isocalendar()
        yield Period(first, first + timedelta(days=6), f"{iso.year}-W{iso.week:02d}")
        first += timedelta(weeks=interval)


def day_periods(interval: int, origin: date, calendar: WorkdayCalendar) -> Iterator[Period]:
    """Working days from `origin` (每日 means each working day)."""
    day, n = origin, 0
    while True:
        if calendar.is_workday(day):
            if n % interval == 0:
                yield Period(day, day, day.isoformat())
            n += 1
        day += timedelta(days=1)


def periods(s: Schedule, origin: date, calendar: WorkdayCalendar) -> Iterator[Period]:
    if s.every == "day":
        return day_periods(s.interval, origin, calendar)
    if s.every == "week":
        return week_periods(s.interval, origin)
    return month_periods(s.every, s.interval, origin)


def due_in(p: Period, s: Schedule, calendar: WorkdayCalendar) -> date | None:
    """The deadline of a period, by `due_on`; a week is due on its last working day."""
    m = DUE_ON_RE.match(s.due_on or "period-end")
    if m["day"]:
        month = _add_months(p.first, int(m["month"]) - 1) if m["month"] else p.last
        return date(month.year, month.month,
                    min(int(m["day"]), months_calendar.monthrange(month.year, month.month)[1]))
    if m["n"]:
        n = int(m["n"])
        return p.last + timedelta(days=n) if m["unit"] == "days" else calendar.add_workdays(p.last, n)
    if s.every == "week":
        days = list(calendar.workdays_between(p.first, p.last))
        return days[-1] if days else None  # a week of holidays has nothing due
    return p.last


def recurring(s: Schedule, *, calendar: WorkdayCalendar, end: date, origin: date,
              until: date | None) -> Iterator[OccurrenceSpec]:
    """Occurrences of `every` from the period containing `origin`, periods starting by `until`.

    A deadline before `origin` is skipped: a notice of 15 July asking for 每月10日前 starts
    with August, since July's deadline had passed before the duty existed.
    """
    for p in periods(s, origin, calendar):
        if (until is not None and p.first > until) or p.first > end:
            return
        if s.months and p.last.month not in s.months:
            continue
        due = due_in(p, s, calendar)
        if due is not None and due >= origin:
            yield OccurrenceSpec(due, OccurrenceKind.recurring, p.label, s.quota)


def one_offs(s: Schedule) -> Iterator[OccurrenceSpec]:
    if s.start_by:
        yield OccurrenceSpec(s.start_by, OccurrenceKind.start, s.start_by.isoformat())
    if s.due:
        yield OccurrenceSpec(s.due, OccurrenceKind.due, s.due.isoformat(), None if s.every else s.quota)
    for d in s.dates:
        yield OccurrenceSpec(d, OccurrenceKind.due, d.isoformat(), s.quota)


def expand(schedule: Schedule, *, calendar: WorkdayCalendar, start: date, end: date,
           plan_start: date, plan_until: date) -> list[OccurrenceSpec]:
    """Every deadline of the schedule due in [start, end], sorted.

    Recurrence starts at `from` (default `start_by`, else the plan's start) and runs through
    periods starting on or before `until` (default the plan's until; none when ongoing).
    Event-triggered duties have no occurrences until an event is recorded.
    """
    if schedule.after_event:
        return []
    found = list(one_offs(schedule))
    if schedule.every:
        origin = schedule.from_ or schedule.start_by or plan_start
        until = schedule.until if isinstance(schedule.until, date) else (None if schedule.ongoing else plan_until)
        found += recurring(schedule, calendar=calendar, end=end, origin=origin, until=until)
    return sorted(o for o in found if start <= o.due <= end)


def event_deadline(schedule: Schedule, happened_at: datetime, *, calendar: WorkdayCalendar) -> datetime:
    """When the work started by an event is due: N hours later, or the end of the day N
    (working) days later, in the event's time zone. No `within` means the same day."""
    m = WITHIN_RE.match(schedule.within or "0 days")
    n, unit = int(m["n"]), m["unit"]
    if unit == "hours":
        return happened_at + timedelta(hours=n)
    day = happened_at.date()
    day = calendar.add_workdays(day, n) if unit == "workdays" else day + timedelta(days=n)
    return datetime.combine(day, time(23, 59, 59), happened_at.tzinfo)
