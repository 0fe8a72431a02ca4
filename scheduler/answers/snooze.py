"""Snoozing: a duration a person types or picks ("tomorrow", "3d", "next-week", "4h", a date) as
the moment the reminders start again. One function for every door (CLI, Telegram, email links),
and one rule for how far a snooze may reach (check_snooze, which scheduler.answers.record applies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from db.models import Duty, Plan
from db.queries import today_in
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.i18n import N_, Problem
from scheduler.outbox.policy import Policy, at_local

# The choices offered on buttons and pages: tomorrow, three working days, next week.
CHOICES = ("1d", "3d", "next-week")
MAX_WORKDAYS, MAX_HOURS = 60, 240
# The longest snooze, whichever way it is written: 60 working days reach 96 calendar days at most
# (across the Spring Festival), so a date or an explicit time may be up to 100 days ahead.
MAX_SNOOZE = timedelta(days=100)


class BadDuration(Problem):
    """A snooze duration that is none of: tomorrow, Nd, next-week, Nh, a future date; the message
    says which rule it broke (a date in the past is not an unreadable one). `value`: what was typed."""

    def __init__(self, value: str, msgid: str = N_("I do not understand the duration “{value}”."),
                 **values: object):
        super().__init__(msgid, value=value, **values)
        self.value = value


def check_snooze(until: datetime, now: datetime) -> datetime:
    """A snooze ends after `now` and at most MAX_SNOOZE later; ValueError (zh + en) otherwise."""
    if until <= now:
        raise Problem(N_("A snooze needs a time in the future."))
    if until > now + MAX_SNOOZE:
        raise Problem(N_("A snooze may last at most {days} days (until {last}): ask for help or "
                         "waive the duty instead."), days=MAX_SNOOZE.days, last=f"{now + MAX_SNOOZE:%Y-%m-%d}")
    return until


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
        if not 1 <= int(m[1]) <= MAX_WORKDAYS:
            raise BadDuration(text, N_("A snooze of {value} is out of range: 1 to {most} working days."),
                              most=MAX_WORKDAYS)
        return at_local(calendar.add_workdays(today, int(m[1])), at, tz)
    if value in ("next-week", "nextweek", "week", "1w", "下周"):
        return at_local(calendar.on_or_after(today + timedelta(days=7 - today.weekday())), at, tz)
    if m := _HOURS.fullmatch(value):
        if not 1 <= int(m[1]) <= MAX_HOURS:
            raise BadDuration(text, N_("A snooze of {value} is out of range: 1 to {most} hours."), most=MAX_HOURS)
        return now + timedelta(hours=int(m[1]))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadDuration(text) from None
    return _snooze_to_day(text, day, today, now, lambda d: at_local(d, at, tz))


def _snooze_to_day(text: str, day: date, today: date, now: datetime, at_day: Callable[[date], datetime]) -> datetime:
    """A snooze to a date (at the reminder time `at_day` gives): after today, at most MAX_SNOOZE ahead."""
    if day < today:
        raise BadDuration(text, N_("{value} is in the past (today is {today}): give a later date."),
                          today=today.isoformat())
    if day == today:
        raise BadDuration(text, N_("{value} is today: give a later date, tomorrow at the earliest."))
    last = today + MAX_SNOOZE
    if at_day(last) > now + MAX_SNOOZE:
        last -= timedelta(days=1)
    if day > last:
        raise BadDuration(text, N_("{value} is more than {days} days ahead (the last day is {last}): ask for "
                                   "help or waive the duty instead."), days=MAX_SNOOZE.days, last=last.isoformat())
    return at_day(day)
