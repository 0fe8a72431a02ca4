"""When reminders go out for one deadline under a reminder policy (pure: dates in, times out).

Reminders land on working days of the plan's calendar at the policy's local time. A due date on
a holiday stays where the notice put it; its reminders move to the working day before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from db.vocabulary import Purpose
from scheduler.calendar.workdays import WorkdayCalendar


@dataclass(frozen=True)
class Policy:
    """A reminder policy (plan-format.md `remind`), as the planner uses it."""

    before: tuple[int, ...] = (7, 3, 1, 0)
    at: time = time(9, 0)
    overdue_every: int = 1  # 0 = no overdue nudges
    escalate_after: int = 3  # 0 = never escalate

    @classmethod
    def from_json(cls, value: dict) -> Policy:
        at = value.get("at", "09:00")
        return cls(tuple(value.get("before", cls.before)), time.fromisoformat(at) if isinstance(at, str) else at,
                   value.get("overdue_every", 1), value.get("escalate_after", 3))


@dataclass(frozen=True, order=True)
class Slot:
    """One reminder: the local working day it is for, its purpose, and the UTC send time."""

    day: date
    purpose: Purpose
    send_at: datetime


def at_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at local time `at` in `tz`, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def before_slots(due: date, policy: Policy, cal: WorkdayCalendar, tz: ZoneInfo) -> list[Slot]:
    """The reminders before and on the due date, counted back from the last working day on or
    before it (so "1 day before" a holiday deadline still comes before the "due" reminder)."""
    last = cal.on_or_before(due)
    days = {cal.add_workdays(last, -n) if n else last: Purpose.upcoming if n else Purpose.due for n in set(policy.before)}
    return sorted(Slot(d, p, at_local(d, policy.at, tz)) for d, p in days.items())


def overdue_slots(due: date, policy: Policy, cal: WorkdayCalendar, tz: ZoneInfo,
                  start: date, end: date) -> list[Slot]:
    """Overdue nudges every `overdue_every` working days after `due`, for days in [start, end]."""
    if not policy.overdue_every:
        return []
    slots = []
    # Long overdue: the cadence restarts at `start` rather than walking from a deadline years ago.
    day = max(cal.add_workdays(due, policy.overdue_every), cal.on_or_after(start))
    while day <= end:
        slots.append(Slot(day, Purpose.overdue, at_local(day, policy.at, tz)))
        day = cal.add_workdays(day, policy.overdue_every)
    return slots


def escalation_day(due: date, policy: Policy, cal: WorkdayCalendar) -> date | None:
    """The working day the coordinator is told, or None when the policy never escalates."""
    return cal.add_workdays(due, policy.escalate_after) if policy.escalate_after else None
