"""The monthly assessment report (考核): per department, the duties due in a month and how they
ended — done on time, done late, waived, still open, overdue — ranked by on-time rate, and each
occurrence with its evidence link. Pure: a session, a month and `now` in; rows out. The words
(scheduler/reports/bulletin.py) and the writers (xlsx, the board's page) live elsewhere.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from db.models import Department, Duty, Occurrence, Plan
from db.queries import today_in
from db.vocabulary import OccurrenceStatus
from scheduler.bounds import FIRST_YEAR, LAST_YEAR, OutOfRange, check_year
from scheduler.i18n import N_, Problem
from scheduler.moments import DEFAULT_ZONE, local

OUTCOMES = ("on_time", "late", "waived", "open", "overdue")
READ_IN = ZoneInfo(DEFAULT_ZONE)  # the zone times are shown in when the caller names none


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2016-09' as a Month; a Problem (a ValueError) with a clear message for anything else."""
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if not m or not 1 <= int(m[2]) <= 12:
            raise Problem(N_("Bad month {month}: expected YYYY-MM, e.g. 2016-09"), month=repr(text))
        try:
            return cls(check_year(int(m[1])), int(m[2]))
        except OutOfRange:
            raise Problem(N_("year {year} is out of range: expected {first}-{last}"),
                          year=int(m[1]), first=FIRST_YEAR, last=LAST_YEAR) from None

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Line:
    """One occurrence due in the month, as the office reads it."""

    department: str
    plan: str
    plan_title: str
    duty_key: str
    duty: str
    kind: str
    period: str
    due: date
    outcome: str
    done_at: datetime | None  # in the report's zone (the deployment's: what people read)
    done_by: str | None
    evidence_url: str | None
    note: str | None


@dataclass
class DepartmentRow:
    department: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    evidence: list[str] = field(default_factory=list)
    rank: int | None = None  # 1 for the best on-time rate; None when nothing counted (all waived)

    @property
    def due(self) -> int:
        return sum(self.counts.values())

    @property
    def on_time_rate(self) -> float | None:
        """Done on time among the duties that counted (waived ones do not)."""
        counted = self.due - self.counts["waived"]
        return self.counts["on_time"] / counted if counted else None


@dataclass(frozen=True)
class PlanName:
    key: str
    title: str


@dataclass
class MonthReport:
    month: Month
    generated_at: datetime
    departments: list[DepartmentRow]  # ranked (rank_departments)
    lines: list[Line]
    plans: list[PlanName]  # the plans reported on: the one asked for, else those with a duty due
    zone: tzinfo  # where its times are read: generated_at and done_at are shown in it


def outcome_of(occ: Occurrence, plan: Plan, today: date) -> str:
    """How an occurrence stands: done on time or late (by the plan's local date), waived, open, overdue."""
    if occ.status == OccurrenceStatus.waived:
        return "waived"
    if occ.status == OccurrenceStatus.done and occ.done_at is not None:
        done = occ.done_at if occ.done_at.tzinfo else occ.done_at.replace(tzinfo=UTC)
        if occ.due_at is not None:
            due_at = occ.due_at if occ.due_at.tzinfo else occ.due_at.replace(tzinfo=UTC)
            return "on_time" if done <= due_at else "late"
        return "on_time" if done.astimezone(ZoneInfo(plan.timezone)).date() <= occ.due else "late"
    return "overdue" if occ.due < today else "open"


def _line(occ: Occurrence, duty: Duty, plan: Plan, dept: Department, now: datetime, zone: tzinfo) -> Line:
    done_at = local(occ.done_at, zone) if occ.done_at is not None else None
    return Line(dept.name, plan.key, plan.title, duty.key, duty.title, occ.kind, occ.period, occ.due,
                outcome_of(occ, plan, today_in(plan.timezone, now)), done_at, occ.done_by,
                occ.evidence_url, occ.note)


def _ranking_key(row: DepartmentRow) -> tuple:
    return (row.on_time_rate is None, -(row.on_time_rate or 0.0), -row.counts["on_time"], row.counts["overdue"])


def rank_departments(rows: list[DepartmentRow]) -> list[DepartmentRow]:
    """`rows` ordered and ranked by on-time rate, highest first. At equal rates more duties done on
    time rank higher (the larger share of work), then fewer still overdue; rows equal in all three
    share a rank (1, 2, 2, 4) and are listed by name. A department whose every duty was waived has
    no rate: it is listed last, unranked."""
    ordered = sorted(rows, key=lambda r: (_ranking_key(r), r.department))
    for position, row in enumerate(ordered, 1):
        if row.on_time_rate is None:
            row.rank = None
        elif position > 1 and _ranking_key(row) == _ranking_key(ordered[position - 2]):
            row.rank = ordered[position - 2].rank
        else:
            row.rank = position
    return ordered


def _plan(session: Session, key: str) -> Plan:
    found = session.exec(select(Plan).where(Plan.key == key)).first()
    if found is None:
        loaded = ", ".join(session.exec(select(Plan.key).order_by(Plan.key)).all()) or "—"
        raise Problem(N_("No plan {plan} is loaded; the plans loaded are: {loaded}"), plan=repr(key), loaded=loaded)
    return found


def month_report(session: Session, month: Month, now: datetime, plan: str | None = None,
                 zone: tzinfo = READ_IN) -> MonthReport:
    """Every occurrence due in `month` (cancelled ones excluded), of one plan (its key) or all,
    tallied and ranked per department; times shown in `zone` (the deployment's). Whether a duty
    was done on time is the plan's own reckoning (its zone). An unknown plan key is a Problem."""
    query = (
        select(Occurrence, Duty, Plan, Department).join(Duty, Occurrence.duty_id == Duty.id)
        .join(Plan, Duty.plan_id == Plan.id).join(Department, Occurrence.department_id == Department.id)
        .where(Occurrence.due >= month.first, Occurrence.due <= month.last, Occurrence.status != OccurrenceStatus.cancelled)
        .order_by(Department.name, col(Occurrence.due), Duty.position, col(Occurrence.id)))
    chosen = _plan(session, plan) if plan is not None else None
    if chosen is not None:
        query = query.where(Duty.plan_id == chosen.id)
    rows = session.exec(query).all()
    lines = [_line(*row, now, zone) for row in rows]
    tallies: dict[str, DepartmentRow] = defaultdict(lambda: DepartmentRow(""))
    for line in lines:
        row = tallies[line.department]
        row.department = line.department
        row.counts[line.outcome] += 1
        if line.evidence_url:
            row.evidence.append(line.evidence_url)
    plans = [chosen] if chosen is not None else sorted({p.id: p for _, _, p, _ in rows}.values(), key=lambda p: p.key)
    return MonthReport(month, now, rank_departments(list(tallies.values())), lines,
                       [PlanName(p.key, p.title) for p in plans], zone)
