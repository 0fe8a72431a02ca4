"""The monthly assessment report (考核): per department, the duties due in a month and how they
ended — done on time, done late, waived, still open, overdue — and each occurrence with its
evidence link. Pure: a session, a month and `now` in; rows out. Writers (xlsx) live elsewhere.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from db.models import Department, Duty, Occurrence, Plan
from db.queries import today_in
from db.vocabulary import OccurrenceStatus
from scheduler.bounds import FIRST_YEAR, LAST_YEAR, OutOfRange, check_year
from scheduler.i18n import N_, Problem

OUTCOMES = ("on_time", "late", "waived", "open", "overdue")
OUTCOME_NAMES = {"on_time": "按时完成 done on time", "late": "逾期完成 done late", "waived": "免办 waived",
                 "open": "未到期 open", "overdue": "逾期未完成 overdue"}


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
    duty_key: str
    duty: str
    kind: str
    period: str
    due: date
    outcome: str
    done_at: datetime | None  # in the plan's time zone
    done_by: str | None
    evidence_url: str | None
    note: str | None


@dataclass
class DepartmentRow:
    department: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    evidence: list[str] = field(default_factory=list)

    @property
    def due(self) -> int:
        return sum(self.counts.values())

    @property
    def on_time_rate(self) -> float | None:
        """Done on time among the duties that counted (waived ones do not)."""
        counted = self.due - self.counts["waived"]
        return self.counts["on_time"] / counted if counted else None


@dataclass
class MonthReport:
    month: Month
    generated_at: datetime
    departments: list[DepartmentRow]
    lines: list[Line]


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


def _line(occ: Occurrence, duty: Duty, plan: Plan, dept: Department, now: datetime) -> Line:
    tz = ZoneInfo(plan.timezone)
    done_at = None
    if occ.done_at is not None:
        done_at = (occ.done_at if occ.done_at.tzinfo else occ.done_at.replace(tzinfo=UTC)).astimezone(tz)
    return Line(dept.name, plan.key, duty.key, duty.title, occ.kind, occ.period, occ.due,
                outcome_of(occ, plan, today_in(plan.timezone, now)), done_at, occ.done_by,
                occ.evidence_url, occ.note)


def month_report(session: Session, month: Month, now: datetime) -> MonthReport:
    """Every occurrence due in `month` (cancelled ones excluded), tallied per department."""
    rows = session.exec(
        select(Occurrence, Duty, Plan, Department).join(Duty, Occurrence.duty_id == Duty.id)
        .join(Plan, Duty.plan_id == Plan.id).join(Department, Occurrence.department_id == Department.id)
        .where(Occurrence.due >= month.first, Occurrence.due <= month.last, Occurrence.status != OccurrenceStatus.cancelled)
        .order_by(Department.name, col(Occurrence.due), Duty.position, col(Occurrence.id))).all()
    lines = [_line(*row, now) for row in rows]
    tallies: dict[str, DepartmentRow] = defaultdict(lambda: DepartmentRow(""))
    for line in lines:
        row = tallies[line.department]
        row.department = line.department
        row.counts[line.outcome] += 1
        if line.evidence_url:
            row.evidence.append(line.evidence_url)
    return MonthReport(month, now, [tallies[name] for name in sorted(tallies)], lines)
