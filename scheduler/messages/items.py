"""What a message says about one occurrence: the render Item built from the stored rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlmodel import Session, col, select

from db.models import Department, Duty, Occurrence, Plan
from db.vocabulary import OccurrenceKind, OccurrenceStatus
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.messages.render import Item, Links

NO_LINKS = Links("", "", "")


def every_workday(duty: Duty) -> bool:
    """Whether the duty repeats every working day (每日, 每个工作日: `every: day`, interval 1)."""
    schedule = duty.schedule or {}
    return schedule.get("every") == "day" and int(schedule.get("interval") or 1) == 1


def item_of(occ: Occurrence, duty: Duty, plan: Plan, dept: Department, *, today: date,
            calendar: WorkdayCalendar, purpose: str, links: Links = NO_LINKS, informational: bool = False,
            late: bool = False, note: str | None = None) -> Item:
    return Item(occurrence_id=occ.id, duty_key=duty.key, title=duty.title, requirement=duty.requirement,
                outlet=duty.outlet, department=dept.name, plan_title=plan.title, kind=occ.kind,
                period=occ.period, due=occ.due, working_days_left=calendar.count_workdays(today, occ.due),
                days_overdue=max(0, (today - occ.due).days), purpose=purpose,
                informational=informational, late=late, links=links, quota=occ.quota, note=note,
                duty_id=duty.id or 0, department_id=dept.id or 0, every_workday=every_workday(duty))


def open_days(session: Session, items: list[Item], today: date) -> Callable[[Item], list[date]] | None:
    """For the daily duties among `items`: each department's open days up to today (one query), as
    scheduler/messages/digest.py counts them in a standing line; None when there are none."""
    lines = {(i.duty_id, i.department_id) for i in items if i.every_workday}
    if not lines:
        return None
    found: dict[tuple[int, int], list[date]] = defaultdict(list)
    for duty_id, department_id, due in session.exec(
            select(Occurrence.duty_id, Occurrence.department_id, Occurrence.due).where(
                col(Occurrence.duty_id).in_({d for d, _ in lines}),
                col(Occurrence.department_id).in_({p for _, p in lines}),
                Occurrence.kind == OccurrenceKind.recurring, Occurrence.status == OccurrenceStatus.open,
                Occurrence.due <= today)):
        found[(duty_id, department_id)].append(due)
    return lambda line: found.get((line.duty_id, line.department_id), [])
