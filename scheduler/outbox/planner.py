"""The planner: open occurrences -> deliveries in the outbox, for every contact who should hear.

Lead departments' primary and backup contacts get the reminders before, on and after the due
date (a duty done every working day: on its day and after, never days ahead); support departments' contacts get informational copies of the reminders before and on the
day; supervisors and the plan's coordinator get one escalation when an occurrence is overdue by
`escalate_after` working days, and the coordinator's contacts a summary each week. Running it twice adds nothing (idempotency keys); a pending
delivery that no longer fits (answered, edited, snoozed) is cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from db import outbox, robots
from db.models import Contact, Delivery, Department, Duty, Occurrence, Plan
from db.queries import today_in
from db.vocabulary import PLANNED, DeliveryStatus, OccurrenceKind, OccurrenceStatus, Purpose
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.messages.items import every_workday
from scheduler.outbox.policy import (
    Policy,
    Slot,
    at_local,
    before_slots,
    escalation_day,
    overdue_slots,
)
from scheduler.outbox.rows import (
    NewDelivery,
    escalation,
    informational,
    reminder,
    to_rows,
    wake,
    weekly,
)
from scheduler.reports.weekly import week_start

Calendars = Callable[[str], WorkdayCalendar]


@dataclass
class PlannerReport:
    added: int = 0
    cancelled: int = 0
    occurrences: int = 0
    skipped: bool = False  # another instance was planning at the same moment

    def as_json(self) -> dict:
        return {"deliveries_added": self.added, "deliveries_cancelled": self.cancelled,
                "occurrences_planned": self.occurrences} | ({"planned_elsewhere": True} if self.skipped else {})


@dataclass
class People:
    """Active contacts by department and role; group robots that post are contacts of role
    "robot", and `robot_only` holds the departments whose working robot replaces their people."""

    by_dept: dict[int, dict[str, list[int]]]
    robot_only: set[int] = field(default_factory=set)

    def of(self, dept_id: int | None, *roles: str) -> list[int]:
        found = self.by_dept.get(dept_id, {}) if dept_id is not None else {}
        return [c for r in roles for c in found.get(r, [])]

    def reached(self, dept_id: int | None) -> list[int]:
        """Who hears a department's reminders: its robots, and its primary and backup contacts
        unless a robot replaces them."""
        if dept_id in self.robot_only:
            return self.of(dept_id, robots.ROLE)
        return self.of(dept_id, "primary", "backup", robots.ROLE)


def _people(session: Session) -> People:
    by_dept: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    posting = {r.contact_id: r for r in robots.working(session)}
    for c in session.exec(select(Contact).where(Contact.active == True)):
        if c.role != robots.ROLE or c.id in posting:  # a refused robot hears nothing until enabled
            by_dept[c.department_id][c.role].append(c.id)
    return People(by_dept, {r.department_id for r in posting.values() if r.instead})


@dataclass
class _Target:
    """What the planner needs to know about one open occurrence."""

    occ: Occurrence
    duty: Duty
    plan: Plan
    support_ids: list[int]


def wanted_rows(t: _Target, people: People, cal: WorkdayCalendar, now: datetime,
                overdue_lookahead: int) -> list[NewDelivery]:
    """Every delivery this occurrence should have from today on."""
    tz = ZoneInfo(t.plan.timezone)
    today = today_in(t.plan.timezone, now)
    policy = Policy.from_json(t.duty.remind or t.plan.remind)
    occ = t.occ
    if occ.kind == OccurrenceKind.recurring and every_workday(t.duty):
        policy = replace(policy, before=(0,))  # a day's duty is reminded on its day, not days ahead
    lead = people.reached(occ.department_id)
    support = [c for d in t.support_ids for c in people.reached(d)]
    slots = [s for s in before_slots(occ.due, policy, cal, tz) if s.day >= today]
    rows = [reminder(occ.id, c, s) for s in slots for c in lead]
    rows += [informational(occ.id, c, s) for s in slots for c in support]
    horizon = today + timedelta(days=overdue_lookahead)
    if occ.due < horizon:
        for s in overdue_slots(occ.due, policy, cal, tz, today, horizon):
            rows += [reminder(occ.id, c, s) for c in lead]
        day = escalation_day(occ.due, policy, cal)
        if day is not None and day <= horizon:
            day = max(day, cal.on_or_after(today))
            slot = Slot(day, Purpose.escalation, at_local(day, policy.at, tz))
            chiefs = people.of(occ.department_id, "supervisor") + people.of(
                t.plan.coordinator_id, "primary", "backup", "supervisor", robots.ROLE)
            rows += [escalation(occ.id, c, slot) for c in dict.fromkeys(chiefs)]
    if occ.snoozed_until and occ.snoozed_until > now:
        rows = [r for r in rows if r.send_at >= occ.snoozed_until]
        end = Slot(occ.snoozed_until.date(), Purpose.overdue if occ.due < today else Purpose.due, occ.snoozed_until)
        rows += [wake(occ.id, c, end) for c in lead]
    return rows


def _targets(session: Session, now: datetime, horizon_days: int) -> list[_Target]:
    """Open occurrences due within the horizon, with their duty and plan (each loaded once)."""
    last = now.date() + timedelta(days=horizon_days + 1)
    dept_ids = {d.key: d.id for d in session.exec(select(Department))}
    plans = {p.id: p for p in session.exec(select(Plan))}
    duties = {d.id: d for d in session.exec(select(Duty).where(Duty.active == True))}
    support = {d.id: [dept_ids[k] for k in d.support if k in dept_ids] for d in duties.values()}
    occs = session.exec(select(Occurrence).join(Duty, Occurrence.duty_id == Duty.id)
                        .where(Occurrence.status == OccurrenceStatus.open, Occurrence.due <= last, Duty.active == True))
    return [_Target(o, duties[o.duty_id], plans[duties[o.duty_id].plan_id], support[o.duty_id]) for o in occs]


def _cancel_stale(session: Session, wanted: set[str], now: datetime) -> int:
    """Cancel pending planned deliveries still to come that the plan no longer wants.

    Ones already due are left to the dispatcher, which sends them late or drops them as superseded.
    """
    stale = [i for i, key in session.execute(
        select(Delivery.id, Delivery.idempotency_key).where(
            Delivery.status == DeliveryStatus.pending, Delivery.purpose.in_(PLANNED), Delivery.fallback_of == None,
            Delivery.send_at >= now)) if key not in wanted]
    outbox.set_status(session, stale, DeliveryStatus.cancelled, last_error="no longer planned")
    return len(stale)


def cancel_closed(session: Session) -> int:
    """Cancel pending deliveries of occurrences that are no longer open (answered or removed)."""
    ids = list(session.exec(select(Delivery.id).join(Occurrence, Delivery.occurrence_id == Occurrence.id)
                            .where(Delivery.status == DeliveryStatus.pending, Occurrence.status != OccurrenceStatus.open)))
    outbox.set_status(session, ids, DeliveryStatus.cancelled, last_error="occurrence closed")
    return len(ids)


def weekly_rows(plans: list[Plan], people: People, now: datetime, calendars: Calendars) -> list[NewDelivery]:
    """This week's and next week's summary for each plan's coordinator contacts, on the week's
    first working day at the plan's send time (a week already under way gets none)."""
    rows = []
    for plan in plans:
        coordinators = people.of(plan.coordinator_id, "primary", "backup", "supervisor")
        if not coordinators:
            continue
        tz, cal, at = ZoneInfo(plan.timezone), calendars(plan.workdays), Policy.from_json(plan.remind).at
        monday = week_start(today_in(plan.timezone, now))
        for first in (monday, monday + timedelta(days=7)):
            day = cal.on_or_after(first)
            send_at = at_local(day, at, tz)
            if send_at >= now and day < first + timedelta(days=7):
                rows += [weekly(plan.id, plan.key, c, day, send_at) for c in coordinators]
    return rows


def plan_deliveries(session: Session, now: datetime, *, calendars: Calendars, horizon_days: int = 400,
                    overdue_lookahead_days: int = 14) -> PlannerReport:
    """Bring the outbox in line with the open occurrences as of `now`."""
    report = PlannerReport()
    people = _people(session)
    wanted: list[NewDelivery] = []
    for t in _targets(session, now, horizon_days):
        wanted += wanted_rows(t, people, calendars(t.plan.workdays), now, overdue_lookahead_days)
        report.occurrences += 1
    wanted += weekly_rows(list(session.exec(select(Plan))), people, now, calendars)
    report.cancelled = _cancel_stale(session, {r.key for r in wanted}, now)
    report.cancelled += cancel_closed(session)
    report.added = outbox.insert_new(session, to_rows(wanted))
    return report
