"""Events that start a deadline (文件公开, 突发事件): recording one creates its occurrence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from db.models import Department, Duty, Event, Occurrence, Plan
from db.queries import NotFound, find_department
from db.vocabulary import OccurrenceKind
from scheduler.bounds import check_moment
from scheduler.calendar.occurrences import event_deadline
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import WorkdayCalendar


@dataclass(frozen=True)
class Recorded:
    event: Event
    occurrence: Occurrence
    deadline: datetime


def find_duty(session: Session, ref: str) -> tuple[Duty, Plan]:
    """A duty by `PLAN/KEY` or by a key that only one active plan uses."""
    plan_key, _, duty_key = ref.rpartition("/")
    query = select(Duty, Plan).join(Plan).where(Duty.key == duty_key.strip(), Duty.active == True)
    if plan_key:
        query = query.where(Plan.key == plan_key.strip())
    found = session.exec(query).all()
    if not found:
        raise NotFound(f"没有这项任务 no duty {ref!r}: use PLAN/KEY, e.g. yingkou-2016/1-6")
    if len(found) > 1:
        raise NotFound(f"任务编号不唯一 duty {ref!r} is in several plans "
                       f"({', '.join(p.key for _, p in found)}): write PLAN/KEY")
    return found[0]


def record_event(session: Session, duty_ref: str, *, department: str | None, happened_at: datetime,
                 note: str | None, recorded_by: str, calendar_of: Callable[[str], WorkdayCalendar]) -> Recorded:
    """Record that the duty's event happened for a lead department; its deadline starts now.
    A time outside scheduler.bounds' years is refused (OutOfRange) before anything is computed."""
    check_moment(happened_at)
    duty, plan = find_duty(session, duty_ref)
    schedule = Schedule.model_validate(duty.schedule)
    if not schedule.after_event:
        raise ValueError(f"任务 {duty.key} 不是事件触发的 duty {duty.key} does not start from an event "
                         "(its schedule has no after_event)")
    leads = {d.key: d for d in session.exec(select(Department).where(Department.key.in_(duty.lead)))}
    dept = _lead(session, department, leads, duty)
    cal = calendar_of(plan.workdays)
    tz = ZoneInfo(plan.timezone)
    local = happened_at.replace(tzinfo=tz) if happened_at.tzinfo is None else happened_at.astimezone(tz)
    deadline = event_deadline(schedule, local, calendar=cal)
    event = Event(duty_id=duty.id, department_id=dept.id, happened_at=local, note=note,
                  recorded_by=recorded_by)
    session.add(event)
    session.flush()
    occ = Occurrence(duty_id=duty.id, department_id=dept.id, kind=OccurrenceKind.event, period=f"event-{event.id}",
                     due=deadline.astimezone(tz).date(), due_at=deadline,
                     event_id=event.id, note=note)
    session.add(occ)
    session.flush()
    return Recorded(event, occ, deadline)


def _lead(session: Session, ref: str | None, leads: dict[str, Department], duty: Duty) -> Department:
    if ref is None:
        if len(leads) == 1:
            return next(iter(leads.values()))
        raise ValueError(f"请指定部门 duty {duty.key} has {len(leads)} lead departments: pass --department "
                         f"({', '.join(d.name for d in leads.values())})")
    dept = find_department(session, ref)
    if dept.key not in leads:
        raise ValueError(f"{dept.name} 不是任务 {duty.key} 的牵头部门 is not a lead department of duty {duty.key}")
    return dept
