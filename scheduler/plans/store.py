"""Storing a validated plan: upsert its departments, contacts and duties, then its occurrences.

Loading is idempotent: the same file twice changes nothing; an edited file changes only what
changed. Occurrences are keyed by (duty, department, kind, period); open ones that no longer fit
the plan are cancelled, answered ones are history and stay as they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from db import locks
from db.addresses import set_address
from db.bulk import insert_rows
from db.models import Contact, Department, Duty, Occurrence, Plan
from db.vocabulary import OccurrenceKind, OccurrenceStatus
from scheduler.calendar.occurrences import OccurrenceSpec, expand
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.plans.file import DutyPlan, PlanData


@dataclass
class LoadReport:
    """What a load changed, counted per kind of row."""

    plan: str
    changes: Counter = field(default_factory=Counter)

    def as_json(self) -> dict:
        return {"plan": self.plan, **dict(sorted(self.changes.items()))}


def _upsert(session: Session, row: object, values: dict, report: LoadReport, what: str) -> None:
    """Copy `values` onto `row`, counting it as updated only when something differs."""
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for k in changed:
        setattr(row, k, values[k])
    if changed:
        session.add(row)
        report.changes[f"{what}_updated"] += 1


def _departments(session: Session, data: PlanData, report: LoadReport) -> dict[str, Department]:
    existing = {d.key: d for d in session.exec(select(Department)).all()}
    for d in data.departments:
        values = {"name": d.name, "aliases": d.aliases, "tags": d.tags, "supervisor": d.supervisor}
        if d.id in existing:
            _upsert(session, existing[d.id], values, report, "departments")
        else:
            existing[d.id] = Department(key=d.id, **values)
            session.add(existing[d.id])
            report.changes["departments_added"] += 1
    session.flush()
    return existing


def _contacts(session: Session, data: PlanData, depts: dict[str, Department], report: LoadReport,
              now: datetime) -> None:
    for c in data.contacts:
        dept = depts[c.department]
        row = session.exec(select(Contact).where(Contact.department_id == dept.id,
                                                 Contact.name == c.name)).first()
        values = {"language": c.lang, "role": c.role}
        if row:
            before = report.changes["contacts_updated"]
            _upsert(session, row, values, report, "contacts")
            changed = [set_address(session, row.id, kind, value, now) for kind, value in c.addresses.items()]
            if any(changed):  # every address set (no short cut), the contact counted once
                report.changes["contacts_updated"] = before + 1
        else:
            row = Contact(department_id=dept.id, name=c.name, **values)
            session.add(row)
            session.flush()
            report.changes["contacts_added"] += 1
            for kind, value in c.addresses.items():  # an opt-out survives a reload (set_address)
                set_address(session, row.id, kind, value, now)


def _plan_row(session: Session, data: PlanData, depts: dict[str, Department], report: LoadReport,
              now: datetime) -> Plan:
    values = {
        "title": data.title, "issuer": data.issuer, "issued": data.issued, "year": data.year,
        "year_current": data.year_current, "until": data.until, "timezone": data.timezone,
        "workdays": data.workdays, "remind": data.remind.model_dump(mode="json"),
        "coordinator_id": depts[data.coordinator].id if data.coordinator else None,
        "source_path": data.file, "source_hash": data.source_hash,
    }
    row = session.exec(select(Plan).where(Plan.key == data.key)).first()
    if row:
        if row.source_hash != data.source_hash:  # a new version: feeds' ETags follow loaded_at
            values["loaded_at"] = now
        _upsert(session, row, values, report, "plans")
    else:
        row = Plan(key=data.key, loaded_at=now, **values)
        session.add(row)
        report.changes["plans_added"] += 1
    session.flush()
    return row


def _duty_values(d: DutyPlan, position: int) -> dict:
    return {"title": d.title, "requirement": d.requirement, "outlet": d.outlet, "lead": d.lead,
            "support": d.support, "schedule": d.schedule.as_json(), "review": d.review,
            "remind": d.remind.model_dump(mode="json"), "position": position, "active": True}


def _duties(session: Session, plan: Plan, data: PlanData, report: LoadReport) -> list[Duty]:
    existing = {d.key: d for d in session.exec(select(Duty).where(Duty.plan_id == plan.id)).all()}
    rows = []
    for position, d in enumerate(data.duties):
        values = _duty_values(d, position)
        if d.key in existing:
            _upsert(session, existing[d.key], values, report, "duties")
            rows.append(existing.pop(d.key))
        else:
            rows.append(Duty(plan_id=plan.id, key=d.key, **values))
            session.add(rows[-1])
            report.changes["duties_added"] += 1
    for gone in existing.values():  # removed from the file: kept for history, no longer active
        if gone.active:
            gone.active = False
            session.add(gone)
            report.changes["duties_removed"] += 1
    session.flush()
    return rows


def materialize_window(plan: Plan, today: date, horizon_days: int) -> tuple[date, date]:
    """Occurrences are kept from the year before the plan's issue to `horizon_days` ahead."""
    return date(plan.issued.year - 1, 1, 1), today + timedelta(days=horizon_days)


def wanted_occurrences(duty: Duty, plan: Plan, calendar: WorkdayCalendar,
                       window: tuple[date, date]) -> list[OccurrenceSpec]:
    """What the duty's schedule says is due in the window (the same for each lead department)."""
    return expand(Schedule.model_validate(duty.schedule), calendar=calendar, start=window[0],
                  end=window[1], plan_start=plan.issued, plan_until=plan.until)


def sync_occurrences(session: Session, plan: Plan, duties: list[Duty], depts: dict[str, Department],
                     calendar: WorkdayCalendar, window: tuple[date, date], report: LoadReport,
                     now: datetime) -> None:
    """Insert missing occurrences, move open ones whose date changed, cancel open ones gone."""
    duty_ids = [d.id for d in duties] + [d.id for d in session.exec(
        select(Duty).where(Duty.plan_id == plan.id, Duty.active == False)).all()]
    existing = {(o.duty_id, o.department_id, o.kind, o.period): o for o in session.exec(
        select(Occurrence).where(Occurrence.duty_id.in_(duty_ids), Occurrence.kind != OccurrenceKind.event)).all()}
    added: list[dict] = []
    for duty in duties:
        specs = wanted_occurrences(duty, plan, calendar, window) if duty.active else []
        for dept_key in duty.lead:
            dept_id = depts[dept_key].id
            for spec in specs:
                row = existing.pop((duty.id, dept_id, spec.kind, spec.period), None)
                if row is None:
                    added.append({"duty_id": duty.id, "department_id": dept_id, "kind": spec.kind,
                                  "period": spec.period, "due": spec.due, "quota": spec.quota})
                elif row.status in (OccurrenceStatus.open, OccurrenceStatus.cancelled) and (
                        row.due, row.quota, row.status) != (spec.due, spec.quota, OccurrenceStatus.open):
                    row.due, row.quota, row.status, row.updated_at = spec.due, spec.quota, OccurrenceStatus.open, now
                    session.add(row)
                    report.changes["occurrences_updated"] += 1
    for row in existing.values():
        if row.status == OccurrenceStatus.open and window[0] <= row.due <= window[1]:
            row.status, row.updated_at = OccurrenceStatus.cancelled, now
            row.note = "no longer in the plan"
            session.add(row)
            report.changes["occurrences_cancelled"] += 1
    if added:  # in bulk: building ORM objects for a big plan cost more than writing them
        report.changes["occurrences_added"] += insert_rows(session, Occurrence.__table__, added)


def store_plan(session: Session, data: PlanData, *, calendar: WorkdayCalendar, today: date,
               horizon_days: int, now: datetime) -> LoadReport:
    """Upsert `data` and its occurrences up to `horizon_days` after `today`; rows changed are
    stamped `now` (the caller's clock). Waits while another instance plans (db/locks.py)."""
    locks.wait_for(session, locks.PLANS)
    report = LoadReport(plan=data.key)
    depts = _departments(session, data, report)
    _contacts(session, data, depts, report, now)
    plan = _plan_row(session, data, depts, report, now)
    duties = _duties(session, plan, data, report)
    sync_occurrences(session, plan, duties, depts, calendar,
                     materialize_window(plan, today, horizon_days), report, now)
    return report


def extend_horizon(session: Session, plan: Plan, *, calendar: WorkdayCalendar, today: date,
                   horizon_days: int, now: datetime) -> LoadReport:
    """Re-materialise a stored plan's occurrences up to the horizon (the nightly job)."""
    report = LoadReport(plan=plan.key)
    duties = list(session.exec(select(Duty).where(Duty.plan_id == plan.id, Duty.active == True)).all())
    depts = {d.key: d for d in session.exec(select(Department)).all()}
    sync_occurrences(session, plan, duties, depts, calendar,
                     materialize_window(plan, today, horizon_days), report, now)
    return report


def known_departments(session: Session) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...], str | None]]:
    """Every department already stored, as (key, name, aliases, tags, supervisor): a notice's import
    matches its names against these, so a department from an earlier plan keeps its id (and its tags
    and supervisor, which loading the imported plan would otherwise clear) instead of a second one."""
    rows = session.exec(select(Department).order_by(Department.key)).all()
    return [(d.key, d.name, tuple(d.aliases or ()), tuple(d.tags or ()), d.supervisor) for d in rows]
