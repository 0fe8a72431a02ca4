"""What a message says about one occurrence: the render Item built from the stored rows."""

from __future__ import annotations

from datetime import date

from db.models import Department, Duty, Occurrence, Plan
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
