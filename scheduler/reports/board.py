"""The numbers on the coordinator's board, as plain data so reports can reuse them: per-department
completion and on-time rates, the overdue list, the next two weeks, due dates per day of a year.

Pure queries: a session and `now` in, dataclasses out. "Today" is each plan's local date. Days
overdue are calendar days (自然日), which is how the offices count 逾期 on their notices.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from db.models import Answer, Attempt, Delivery, Department, Duty, Occurrence, Plan
from db.queries import OccurrenceRow, occurrence_row, today_in
from db.vocabulary import OccurrenceStatus
from scheduler.i18n import N_, Text
from scheduler.reports.monthly import OUTCOMES, outcome_of

UPCOMING_DAYS = 14


@dataclass
class DepartmentScore:
    """A department's occurrences due so far this year (cancelled ones excluded), by outcome."""

    department_id: int
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def counted(self) -> int:
        """What the rates are out of: due by today, waived ones left out."""
        return self.counts["on_time"] + self.counts["late"] + self.counts["overdue"]

    @property
    def completion_rate(self) -> float | None:
        return (self.counts["on_time"] + self.counts["late"]) / self.counted if self.counted else None

    @property
    def on_time_rate(self) -> float | None:
        return self.counts["on_time"] / self.counted if self.counted else None


@dataclass(frozen=True)
class Item:
    """An open occurrence in a list: what a person needs to find it."""

    occurrence_id: int
    duty_key: str
    duty: str  # the duty's title
    department: str
    due: date
    days_overdue: int = 0  # calendar days past the due date, in the plan's time zone


@dataclass
class Board:
    today: date
    departments: list[DepartmentScore]
    overdue: list[Item]  # most overdue first
    upcoming: list[Item]  # soonest first
    due_per_day: dict[date, int]  # this year's non-cancelled occurrences by due date (the heat-map)


def department_scores(session: Session, now: datetime, year: int) -> tuple[list[DepartmentScore], Counter]:
    """Per department, the outcomes of the occurrences due in `year` up to today; and due dates per day."""
    # Only the columns outcome_of reads (the row answers .status, .due, .done_at, .due_at and
    # .timezone like an Occurrence and a Plan would): whole ORM objects cost ~10x on a big year.
    rows = session.exec(
        select(Occurrence.due, Occurrence.status, Occurrence.done_at, Occurrence.due_at, Plan.timezone,
               Department.id, Department.name)
        .join(Duty, Occurrence.duty_id == Duty.id).join(Plan, Duty.plan_id == Plan.id)
        .join(Department, Occurrence.department_id == Department.id)
        .where(Occurrence.due >= date(year, 1, 1), Occurrence.due <= date(year, 12, 31),
               Occurrence.status != OccurrenceStatus.cancelled)).all()
    scores: dict[int, DepartmentScore] = {}
    per_day: Counter = Counter()
    todays: dict[str, date] = {}
    for row in rows:
        per_day[row.due] += 1
        today = todays.get(row.timezone) or todays.setdefault(row.timezone, today_in(row.timezone, now))
        if row.due > today and row.status == OccurrenceStatus.open:
            continue  # not due yet: neither done nor late
        score = scores.setdefault(row.id, DepartmentScore(row.id, row.name))
        score.counts[outcome_of(row, row, today)] += 1
    return sorted(scores.values(), key=lambda s: s.name), per_day


def _open_until(session: Session, now: datetime, last: date) -> tuple[list[Item], list[Item]]:
    """Open occurrences due by `last`, soonest first: (overdue, due within the next two weeks)."""
    rows = session.exec(
        select(Occurrence.id, Occurrence.due, Duty.key, Duty.title, Department.name, Plan.timezone)
        .join(Duty, Occurrence.duty_id == Duty.id).join(Plan, Duty.plan_id == Plan.id)
        .join(Department, Occurrence.department_id == Department.id)
        .where(Occurrence.status == OccurrenceStatus.open, Occurrence.due <= last)
        .order_by(col(Occurrence.due), col(Occurrence.id))).all()
    overdue, upcoming, todays = [], [], {}
    for occ_id, due, key, title, department, tz in rows:
        today = todays.get(tz) or todays.setdefault(tz, today_in(tz, now))
        if due < today:
            overdue.append(Item(occ_id, key, title, department, due, (today - due).days))
        elif due <= today + timedelta(days=UPCOMING_DAYS):
            upcoming.append(Item(occ_id, key, title, department, due))
    return overdue, upcoming


def board(session: Session, now: datetime, *, tz: str = "Asia/Shanghai") -> Board:
    today = today_in(tz, now)
    scores, per_day = department_scores(session, now, today.year)
    # one day of slack: plans in other time zones may already be a day ahead
    overdue, upcoming = _open_until(session, now, today + timedelta(days=UPCOMING_DAYS + 1))
    overdue.sort(key=lambda item: (-item.days_overdue, item.department))
    return Board(today, scores, overdue, upcoming, dict(per_day))


@dataclass(frozen=True)
class HistoryItem:
    at: datetime  # in the plan's time zone
    kind: str  # delivery | attempt | answer (msgids)
    text: Text  # said in the reader's language


@dataclass
class OccurrenceHistory:
    row: OccurrenceRow
    outcome: str
    days_overdue: int
    items: list[HistoryItem]


def history(session: Session, occurrence_id: int, now: datetime) -> OccurrenceHistory:
    """One occurrence and everything that happened to it, oldest first; NotFound when there is none."""
    row = occurrence_row(session, occurrence_id)
    today = today_in(row.plan.timezone, now)
    items: list[HistoryItem] = []
    deliveries = session.exec(select(Delivery).where(Delivery.occurrence_id == occurrence_id)).all()
    names: dict[int, Text] = {}
    for d in deliveries:
        names[d.id] = Text(N_("{purpose} reminder via {channel}"), {"purpose": _word(d.purpose), "channel": d.channel})
        items.append(HistoryItem(d.send_at, N_("delivery"), Text(N_("{what}: {status}"),
                                                                 {"what": names[d.id], "status": _word(d.status)})))
    if deliveries:
        attempts = session.exec(select(Attempt).where(col(Attempt.delivery_id).in_([d.id for d in deliveries])))
        for a in attempts:
            result = (Text(N_("sending {what}: done"), {"what": names[a.delivery_id]}) if a.ok else
                      Text(N_("sending {what} failed: {error}"), {"what": names[a.delivery_id], "error": a.error or ""}))
            items.append(HistoryItem(a.at, N_("attempt"), result))
    for ans in session.exec(select(Answer).where(Answer.occurrence_id == occurrence_id)):
        note = f" — {ans.note}" if ans.note else ""
        items.append(HistoryItem(ans.at, N_("answer"), Text(N_("{action} by {actor} ({channel}){note}"), {
            "action": _word(ans.action), "actor": ans.actor, "channel": ans.channel, "note": note})))
    tz = ZoneInfo(row.plan.timezone)
    items = sorted((HistoryItem(_aware(i.at).astimezone(tz), i.kind, i.text) for i in items), key=lambda i: i.at)
    return OccurrenceHistory(row, outcome_of(row.occurrence, row.plan, today), row.days_overdue(today), items)


# The stored words a history line names (purposes, delivery statuses, answer actions), for the catalogues.
WORDS = (N_("upcoming"), N_("due"), N_("overdue"), N_("escalation"), N_("help"), N_("notice"), N_("weekly"),
         N_("pending"), N_("claimed"), N_("sent"), N_("failed"), N_("cancelled"),
         N_("done"), N_("snooze"), N_("reopen"), N_("waive"), N_("refused"))


def _word(value: str) -> Text:
    """A stored word (a purpose, a status, an action), said in the reader's language."""
    return Text(str(value))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware times: read both as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
