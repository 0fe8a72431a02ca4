"""Snoozing: a duration a person types or picks ("tomorrow", "3d", "next-week", "4h", a date) as
the moment the reminders start again. One function for every door (CLI, Telegram, email links).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from db.models import Duty, Plan
from db.queries import today_in
from scheduler.reminders import Policy, at_local
from scheduler.workdays import WorkdayCalendar

# The choices offered on buttons and pages: tomorrow, three working days, next week.
CHOICES = ("1d", "3d", "next-week")


class BadDuration(ValueError):
    """A snooze duration that is none of: tomorrow, Nd, next-week, Nh, a future date."""


_WORKDAYS = re.compile(r"(\d{1,2})-?(?:d|wd|天|日|个工作日|working-?days?)")
_HOURS = re.compile(r"(\d{1,3})-?(?:h|小时|hours?)")


def snooze_until(plan: Plan, duty: Duty, text: str, now: datetime, calendar: WorkdayCalendar) -> datetime:
    """A snooze duration as a time: working days land at the duty's reminder time in the plan's
    zone; raises BadDuration for anything else."""
    at, tz = Policy.from_json(duty.remind or plan.remind).at, ZoneInfo(plan.timezone)
    today, value = today_in(plan.timezone, now), "-".join(text.lower().split())
    if value in ("tomorrow", "明天"):
        value = "1d"
    if m := _WORKDAYS.fullmatch(value):
        if not 1 <= int(m[1]) <= 60:
            raise BadDuration(text)
        return at_local(calendar.add_workdays(today, int(m[1])), at, tz)
    if value in ("next-week", "nextweek", "week", "1w", "下周"):
        return at_local(calendar.on_or_after(today + timedelta(days=7 - today.weekday())), at, tz)
    if m := _HOURS.fullmatch(value):
        if not 1 <= int(m[1]) <= 240:
            raise BadDuration(text)
        return now + timedelta(hours=int(m[1]))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadDuration(text) from None
    if day <= today:
        raise BadDuration(text)
    return at_local(day, at, tz)
