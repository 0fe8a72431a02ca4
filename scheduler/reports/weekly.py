"""The coordinator's weekly summary: per department what was done, what is open, what is overdue.

The planner queues one `weekly` delivery per coordinator contact for the first working day of
each week (its body is the plan's key); the dispatcher asks this module for the numbers at send
time, so the summary is as fresh as the moment it goes out.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from db.models import Department, Duty, Occurrence, Plan
from db.queries import today_in
from db.vocabulary import OccurrenceStatus, Purpose
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.messages.digest import combine
from scheduler.messages.items import item_of, open_days
from scheduler.messages.render import DepartmentTally, Item, Summary
from scheduler.moments import local_day


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_summary(session: Session, plan: Plan, now: datetime,
                   calendar: WorkdayCalendar) -> tuple[Summary, list[Item]]:
    """Done in the past week, open in the coming one, overdue now; overdue occurrences as items
    (merged as a digest's: scheduler/messages/digest.py), the longest overdue first."""
    today, tz = today_in(plan.timezone, now), ZoneInfo(plan.timezone)
    start, end = today - timedelta(days=7), today + timedelta(days=7)
    rows = session.exec(
        select(Occurrence, Duty, Department).join(Duty, Occurrence.duty_id == Duty.id)
        .join(Department, Occurrence.department_id == Department.id)
        .where(Duty.plan_id == plan.id, Occurrence.status.in_(
               (OccurrenceStatus.open, OccurrenceStatus.done, OccurrenceStatus.waived)),
               Occurrence.due <= end)).all()
    done, open_, overdue = Counter(), Counter(), Counter()
    items = []
    for occ, duty, dept in rows:
        if occ.status != OccurrenceStatus.open:
            done[dept.name] += bool(occ.done_at and local_day(occ.done_at, tz) >= start)  # not its UTC date
        elif occ.due < today:
            overdue[dept.name] += 1
            items.append(item_of(occ, duty, plan, dept, today=today, calendar=calendar, purpose=Purpose.overdue))
        elif occ.due >= today:
            open_[dept.name] += 1
    names = sorted(set(done) | set(open_) | set(overdue), key=lambda n: (-overdue[n], n))
    tallies = [DepartmentTally(n, done[n], open_[n], overdue[n]) for n in names]
    items.sort(key=lambda i: (i.due, i.department))
    # one item per duty, department and date; a daily duty one line, counting its open days
    items = combine(items, today, open_days(session, items, today))
    return Summary(start, end, tallies), items
