"""The numbers on the coordinator's board, one page at a time, counted in SQL.

A city has a thousand departments and a year of deadlines (some 190,000 occurrences), so the
board never loads them all: the counts per department are GROUP BYs, lists are pages (LIMIT),
and completion rates are counted only for the departments on the page. A `Filter` says which
occurrences a view shows (a status, departments, a plan, due dates, a search) and how it is
sorted and paged; `board_page` returns that page. Pure queries: a session and `now` in,
dataclasses out; reading the URL is web/board_query.py's.

"Today" is each plan's local date (a plan's due dates are its own). Days overdue are calendar
days (自然日), which is how the offices count 逾期 on their notices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from math import ceil
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, exists, func, or_
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from db.models import Answer, Attempt, Delivery, Department, Duty, Occurrence, Plan
from db.queries import OccurrenceRow, occurrence_row, today_in
from db.vocabulary import Action, OccurrenceStatus
from scheduler.i18n import N_, Text
from scheduler.reports.monthly import OUTCOMES, outcome_of

UPCOMING_DAYS = 14
# What a view shows: overdue (open, past due), upcoming (open, due within two weeks), open (not
# yet due), done, waived, help (someone asked for help and it is not resolved yet).
STATUSES = ("overdue", "upcoming", "open", "done", "waived", "help")
SORTS = ("days", "due", "department", "count")  # count: departments with most first (departments view)
VIEWS = ("departments", "rows")
GROUPS_PER_PAGE, ROWS_PER_GROUP, ROWS_PER_PAGE, HELP_PER_PAGE = 20, 3, 50, 5
NOT_DUE_YET = date.max  # a sort key: open occurrences not yet due are 0 days overdue


@dataclass(frozen=True)
class Filter:
    """Which occurrences a view shows, and which page of them."""

    status: str = "overdue"
    departments: tuple[int, ...] | None = None  # a department chosen (None: every one)
    plan_id: int | None = None
    first: date | None = None  # due on or after
    last: date | None = None  # due on or before
    search: str = ""  # in duty titles, department names and aliases
    sort: str = "days"
    view: str = "departments"
    page: int = 1
    help_page: int = 1


@dataclass(frozen=True)
class Today:
    """Today in the board's own time zone (`day`, its heading) and in each plan's."""

    day: date
    by_plan: dict[int, date]
    zones: dict[int, str]  # plan id -> its time zone

    @property
    def common(self) -> date | None:
        """The date every plan has today, when they agree (no plans: the board's)."""
        days = set(self.by_plan.values())
        return days.pop() if len(days) == 1 else (self.day if not days else None)


@dataclass
class DepartmentScore:
    """A department's occurrences due this year by today (cancelled ones left out), by outcome."""

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
    """An occurrence in a list: what a person needs to find it and see how it stands."""

    occurrence_id: int
    duty_key: str
    duty: str  # the duty's title
    department_id: int
    department: str
    kind: str
    period: str
    due: date
    outcome: str  # on_time | late | waived | open | overdue
    days_overdue: int = 0  # calendar days past the due date, in the plan's time zone


@dataclass
class Group:
    """A department in the departments view: how many occurrences it has in the view, the most
    urgent of them, and its completion so far this year."""

    department_id: int
    key: str
    name: str
    count: int
    first_due: date
    days_overdue: int
    score: DepartmentScore | None = None
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    at: datetime
    actor: str
    note: str


@dataclass
class HelpRequest:
    """Someone's "需要协助" on an occurrence that nobody has resolved yet, with the replies since."""

    answer_id: int
    occurrence_id: int
    duty: str
    department: str
    due: date
    asked_by: str
    contact_id: int | None
    channel: str
    asked_at: datetime  # UTC
    note: str | None
    replies: list[Reply] = field(default_factory=list)


@dataclass
class Page:
    """One page of a list: which one, how many pages, how many entries in all."""

    number: int
    pages: int
    total: int


@dataclass
class BoardPage:
    today: Today
    filter: Filter
    counts: dict[str, int]  # overdue, upcoming, help: under the filter's other choices
    page: Page
    groups: list[Group]  # the departments view
    rows: list[Item]  # the rows view
    help: list[HelpRequest]
    help_page: Page
    due_per_day: dict[date, int]  # the heat-map's year: non-cancelled occurrences per due date


# -- today and the conditions that depend on it --------------------------------------------------


def today(session: Session, now: datetime, zone: str = "Asia/Shanghai") -> Today:
    plans = session.exec(select(Plan.id, Plan.timezone)).all()
    return Today(today_in(zone, now), {pid: today_in(tz, now) for pid, tz in plans}, dict(plans))


@dataclass
class _Where:
    """The conditions of a query on occurrences. None joins another table: a duty's plan or title
    is asked for through a subquery of duty ids, which the databases run once."""

    clauses: list[ColumnElement] = field(default_factory=list)

    def add(self, clause: ColumnElement) -> _Where:
        self.clauses.append(clause)
        return self

    def apply(self, query):
        return query.where(*self.clauses)


def _of_duties(*conditions: ColumnElement) -> ColumnElement:
    """The occurrence is of a duty meeting `conditions` (its plan, its title)."""
    return col(Occurrence.duty_id).in_(select(Duty.id).where(*conditions))


def _vs_today(t: Today, compare: Callable[[ColumnElement, date], ColumnElement], shift: int = 0) -> ColumnElement:
    """`compare(due, today + shift)` with each plan's today."""
    if (day := t.common) is not None:
        return compare(col(Occurrence.due), day + timedelta(days=shift))
    plans: dict[date, list[int]] = defaultdict(list)
    for plan_id, day in t.by_plan.items():
        plans[day].append(plan_id)
    return or_(*(and_(_of_duties(col(Duty.plan_id).in_(ids)), compare(col(Occurrence.due), day + timedelta(days=shift)))
                 for day, ids in plans.items()))


def _unresolved_help():
    """Help requests (answers) with no "resolve" after them on their occurrence."""
    later = aliased(Answer)
    return select(Answer.id, Answer.occurrence_id).where(
        Answer.action == Action.help,
        ~exists().where(later.occurrence_id == Answer.occurrence_id, later.action == Action.resolve,
                        later.id > Answer.id))


def _status(where: _Where, status: str, t: Today) -> None:
    is_open = Occurrence.status == OccurrenceStatus.open
    if status == "overdue":
        where.add(is_open).add(_vs_today(t, lambda due, d: due < d))
    elif status in ("upcoming", "open"):
        where.add(is_open).add(_vs_today(t, lambda due, d: due >= d))
        if status == "upcoming":
            where.add(_vs_today(t, lambda due, d: due <= d, UPCOMING_DAYS))
    elif status in ("done", "waived"):
        where.add(Occurrence.status == OccurrenceStatus(status))
    elif status == "help":
        where.add(col(Occurrence.id).in_(select(_unresolved_help().subquery().c.occurrence_id)))
    else:
        raise ValueError(f"unknown status {status!r}: expected one of {', '.join(STATUSES)}")


def _scope(f: Filter, session: Session) -> _Where:
    """The filter's choices other than the status: departments, plan, due dates, search."""
    where = _Where()
    if f.departments is not None:
        where.add(col(Occurrence.department_id).in_(f.departments))
    if f.plan_id is not None:
        where.add(_of_duties(Duty.plan_id == f.plan_id))
    if f.first is not None:
        where.add(Occurrence.due >= f.first)
    if f.last is not None:
        where.add(Occurrence.due <= f.last)
    if f.search:
        titled = _of_duties(col(Duty.title).icontains(f.search, autoescape=True))
        named = departments_matching(session, f.search)
        where.add(or_(titled, col(Occurrence.department_id).in_(named)) if named else titled)
    return where


def _where(session: Session, f: Filter, t: Today, status: str | None = None) -> _Where:
    where = _scope(f, session).add(Occurrence.status != OccurrenceStatus.cancelled)
    _status(where, status or f.status, t)
    return where


def departments_matching(session: Session, text: str) -> list[int]:
    """Departments whose key, name or an alias contains `text` (any case); looked up once per
    session (a page's queries all ask)."""
    memo = session.info.setdefault("departments_matching", {})
    if text not in memo:
        wanted = text.strip().casefold()
        rows = session.exec(select(Department.id, Department.key, Department.name, Department.aliases)).all()
        memo[text] = [i for i, key, name, aliases in rows
                      if any(wanted in v.casefold() for v in (key, name, *(aliases or ())))]
    return memo[text]


# -- counts ----------------------------------------------------------------------------------------


def status_counts(session: Session, f: Filter, t: Today, statuses: Iterable[str] = ("overdue", "upcoming", "help"),
                  ) -> dict[str, int]:
    """How many occurrences each status would show under the filter's other choices."""
    counted = {}
    for status in statuses:
        query = select(func.count()).select_from(Occurrence)
        counted[status] = session.exec(_where(session, f, t, status).apply(query)).one()
    return counted


def _days_key(f: Filter) -> Callable[[Group], tuple]:
    keys = {"days": lambda g: (-g.days_overdue, g.first_due, g.name), "due": lambda g: (g.first_due, g.name),
            "department": lambda g: (g.name,), "count": lambda g: (-g.count, g.name)}
    return keys[f.sort]


def _groups(session: Session, f: Filter, t: Today) -> list[Group]:
    """Every department with occurrences in the view: how many, and the earliest due date."""
    query = (select(Occurrence.department_id, func.count(), func.min(Occurrence.due)).select_from(Occurrence)
             .group_by(Occurrence.department_id))
    found = session.exec(_where(session, f, t).apply(query)).all()
    names = {i: (key, name) for i, key, name in session.exec(select(Department.id, Department.key, Department.name))}
    overdue = f.status == "overdue"
    return [Group(dept, *names[dept], n, first, (t.day - first).days if overdue else 0) for dept, n, first in found]


# -- rows ------------------------------------------------------------------------------------------

_ROW = (col(Occurrence.id).label("occurrence_id"), Occurrence.due, Occurrence.status, Occurrence.done_at,
        Occurrence.due_at, Occurrence.kind, Occurrence.period, col(Duty.key).label("duty_key"), Duty.title,
        col(Department.id).label("department_id"), Department.name, Plan.timezone)


def _items(rows: Iterable, now: datetime) -> list[Item]:
    """`rows` (the columns of _ROW) as list items: outcome and days overdue by each plan's today."""
    todays: dict[str, date] = {}
    items = []
    for row in rows:
        day = todays.get(row.timezone) or todays.setdefault(row.timezone, today_in(row.timezone, now))
        outcome = outcome_of(row, row, day)
        items.append(Item(row.occurrence_id, row.duty_key, row.title, row.department_id, row.name, row.kind,
                          row.period, row.due, outcome, (day - row.due).days if outcome == "overdue" else 0))
    return items


def _details(query):
    return (query.join(Duty, Occurrence.duty_id == Duty.id).join(Plan, Duty.plan_id == Plan.id)
            .join(Department, Occurrence.department_id == Department.id))


def _by_name(session: Session) -> ColumnElement:
    """Department names in code-point order on every database (PostgreSQL's collation may differ)."""
    name = col(Department.name)
    return name.collate("C") if session.get_bind().dialect.name == "postgresql" else name


def _order(session: Session, sort: str) -> list[ColumnElement]:
    due, name = col(Occurrence.due), _by_name(session)
    orders = {"days": [due, name], "due": [due, name], "department": [name, due]}
    return [*orders[sort], col(Occurrence.id)]


def _rows(session: Session, f: Filter, t: Today, now: datetime) -> tuple[Page, list[Item]]:
    where = _where(session, f, t)
    total = session.exec(where.apply(select(func.count()).select_from(Occurrence))).one()
    page = _paged(f.page, total, ROWS_PER_PAGE)
    query = _details(select(*_ROW).select_from(Occurrence)).where(*where.clauses)
    found = session.exec(query.order_by(*_order(session, f.sort)).offset((page.number - 1) * ROWS_PER_PAGE)
                         .limit(ROWS_PER_PAGE)).all()
    return page, _items(found, now)


def _first_rows(session: Session, f: Filter, t: Today, departments: list[int],
                now: datetime) -> dict[int, list[Item]]:
    """The ROWS_PER_GROUP most urgent occurrences of each of `departments` in the view."""
    if not departments:
        return {}
    where = _where(session, f, t).add(col(Occurrence.department_id).in_(departments))
    rank = func.row_number().over(partition_by=Occurrence.department_id,
                                  order_by=(col(Occurrence.due), col(Occurrence.id))).label("rank")
    ranked = where.apply(select(Occurrence.id, rank).select_from(Occurrence)).subquery()
    query = _details(select(*_ROW).select_from(Occurrence)).join(ranked, ranked.c.id == Occurrence.id)
    found = session.exec(query.where(ranked.c.rank <= ROWS_PER_GROUP)
                         .order_by(col(Occurrence.due), col(Occurrence.id))).all()
    by_department: dict[int, list[Item]] = defaultdict(list)
    for item in _items(found, now):
        by_department[item.department_id].append(item)
    return by_department


def _paged(asked: int, total: int, per_page: int) -> Page:
    """The page asked for, the last one when there are fewer."""
    pages = max(1, ceil(total / per_page))
    return Page(min(max(1, asked), pages), pages, total)


# -- completion rates ------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _offsets(zone: str, first: date, last: date) -> tuple[tuple[date, int], ...]:
    """(from this due date on, minutes east of UTC at the midnight that ends the due date), per
    run of due dates in [first, last] with the same offset: one run unless the zone has DST."""
    tz, runs, day = ZoneInfo(zone), [], first
    while day <= last:
        offset = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        if not runs or runs[-1][1] != minutes:
            runs.append((day, minutes))
        day += timedelta(days=1)
    return tuple(runs)


def _done_by_the_day(session: Session, zone: str, first: date, last: date) -> ColumnElement:
    """done_at falls on or before the due date, in `zone`. PostgreSQL converts it; SQLite compares
    it (UTC text) with the UTC moment of the midnight after the due date."""
    done_at = col(Occurrence.done_at)
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(zone, done_at), Date) <= col(Occurrence.due)
    runs = _offsets(zone, first, last)
    ends = [func.datetime(Occurrence.due, "+1 day", f"{-minutes:+d} minutes") for _, minutes in runs]
    if len(ends) == 1:
        return done_at < ends[0]
    return done_at < case(*((col(Occurrence.due) < until, end) for end, (until, _) in zip(ends, runs[1:])),
                          else_=ends[-1])


def _on_time(session: Session, t: Today, first: date, last: date) -> ColumnElement:
    """Done by the deadline: its time when it has one, else its date in the plan's zone."""
    zones: dict[str, list[int]] = defaultdict(list)
    for plan_id, zone in t.zones.items():
        zones[zone].append(plan_id)
    if len(zones) <= 1:
        by_day = _done_by_the_day(session, next(iter(zones), "Asia/Shanghai"), first, last)
    else:
        by_day = or_(*(and_(_of_duties(col(Duty.plan_id).in_(ids)), _done_by_the_day(session, zone, first, last))
                       for zone, ids in zones.items()))
    due_at = col(Occurrence.due_at)
    return or_(and_(due_at.is_not(None), col(Occurrence.done_at) <= due_at), and_(due_at.is_(None), by_day))


def scores(session: Session, t: Today, departments: list[int], year: int) -> dict[int, DepartmentScore]:
    """Per department of `departments`, its occurrences due in `year` up to today by outcome,
    counted in one GROUP BY. Open ones not yet due are left out (neither done nor late)."""
    if not departments:
        return {}
    first, last = date(year, 1, 1), date(year, 12, 31)
    on_time, overdue = _on_time(session, t, first, last), _vs_today(t, lambda due, d: due < d)
    outcome = case((Occurrence.status == OccurrenceStatus.done, case((on_time, "on_time"), else_="late")),
                   (Occurrence.status == OccurrenceStatus.waived, "waived"), (overdue, "overdue"),
                   else_="open").label("outcome")
    where = _Where().add(col(Occurrence.department_id).in_(departments))
    where.add(Occurrence.due >= first).add(Occurrence.due <= last)
    where.add(Occurrence.status != OccurrenceStatus.cancelled)
    query = where.apply(select(Occurrence.department_id, outcome, func.count()).select_from(Occurrence))
    names = dict(session.exec(select(Department.id, Department.name).where(col(Department.id).in_(departments))).all())
    found = {d: DepartmentScore(d, names[d]) for d in departments}
    for dept, kind, n in session.exec(query.group_by(Occurrence.department_id, outcome)).all():
        if kind != "open":
            found[dept].counts[kind] += n
    return found


# -- the heat-map ----------------------------------------------------------------------------------


def due_per_day(session: Session, year: int, f: Filter = Filter()) -> dict[date, int]:
    """Non-cancelled occurrences per due date in `year`, of the filter's departments and plan."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    per_day = select(Occurrence.due, func.count()).select_from(Occurrence).group_by(Occurrence.due)
    in_year = _Where().add(Occurrence.due >= first).add(Occurrence.due <= last)
    if f.departments is not None:
        in_year.add(col(Occurrence.department_id).in_(f.departments))
    if f.plan_id is not None:
        in_year.add(_of_duties(Duty.plan_id == f.plan_id))
    # All of them, less the cancelled ones: the first reads only the due-date index.
    counts = dict(session.exec(in_year.apply(per_day)).all())
    in_year.add(Occurrence.status == OccurrenceStatus.cancelled)
    for day, n in session.exec(in_year.apply(per_day)).all():
        counts[day] -= n
    return {day: n for day, n in counts.items() if n}


# -- help requests ---------------------------------------------------------------------------------


def help_requests(session: Session, f: Filter, t: Today) -> tuple[Page, list[HelpRequest]]:
    """The help requests nobody resolved yet, of the filter's departments, plan and search (not
    its status or dates), the longest waiting first; with the replies each got since."""
    waiting = _unresolved_help().subquery()
    # a request on a cancelled occurrence still waits for its answer: no status condition
    where = _scope(Filter(departments=f.departments, plan_id=f.plan_id, search=f.search), session)
    base = select(func.count()).select_from(Occurrence).join(waiting, waiting.c.occurrence_id == Occurrence.id)
    total = session.exec(where.apply(base)).one()
    page = _paged(f.help_page, total, HELP_PER_PAGE)
    query = (_details(select(Answer, Occurrence.due, Duty.title, Department.name).select_from(Occurrence))
             .join(waiting, waiting.c.occurrence_id == Occurrence.id).join(Answer, Answer.id == waiting.c.id)
             .where(*where.clauses).order_by(col(Answer.at), col(Answer.id))
             .offset((page.number - 1) * HELP_PER_PAGE).limit(HELP_PER_PAGE))
    found = [HelpRequest(a.id, a.occurrence_id, title, dept, due, a.actor, a.contact_id, a.channel, _aware(a.at),
                         a.note) for a, due, title, dept in session.exec(query).all()]
    _attach_replies(session, found)
    return page, found


def _attach_replies(session: Session, requests: list[HelpRequest]) -> None:
    if not requests:
        return
    replies = session.exec(select(Answer).where(col(Answer.occurrence_id).in_({r.occurrence_id for r in requests}),
                                                Answer.action == Action.reply).order_by(col(Answer.id))).all()
    for request in requests:
        request.replies = [Reply(_aware(a.at), _name(a.actor), a.note or "") for a in replies
                           if a.occurrence_id == request.occurrence_id and a.id > request.answer_id]


# -- the page --------------------------------------------------------------------------------------


def board_page(session: Session, now: datetime, f: Filter = Filter(), *, zone: str = "Asia/Shanghai") -> BoardPage:
    """The board as `f` asks for it, at `now`; the board's own dates are in `zone`."""
    t = today(session, now, zone)
    counts = status_counts(session, f, t)
    groups: list[Group] = []
    rows: list[Item] = []
    if f.view == "rows":
        page, rows = _rows(session, f, t, now)
    else:
        every = sorted(_groups(session, f, t), key=_days_key(f))
        page = _paged(f.page, len(every), GROUPS_PER_PAGE)
        groups = every[(page.number - 1) * GROUPS_PER_PAGE:page.number * GROUPS_PER_PAGE]
        ids = [g.department_id for g in groups]
        firsts, rates = _first_rows(session, f, t, ids, now), scores(session, t, ids, t.day.year)
        for g in groups:
            g.items, g.score = firsts.get(g.department_id, []), rates.get(g.department_id)
    help_page, asked = help_requests(session, f, t)
    return BoardPage(t, f, counts, page, groups, rows, asked, help_page, due_per_day(session, t.day.year, f))


# -- one occurrence's history ----------------------------------------------------------------------


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
    today_here = today_in(row.plan.timezone, now)
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
    return OccurrenceHistory(row, outcome_of(row.occurrence, row.plan, today_here), row.days_overdue(today_here),
                             items)


# The stored words a history line names (purposes, delivery statuses, answer actions), for the catalogues.
WORDS = (N_("upcoming"), N_("due"), N_("overdue"), N_("escalation"), N_("help"), N_("notice"), N_("weekly"),
         N_("pending"), N_("claimed"), N_("sent"), N_("failed"), N_("cancelled"),
         N_("done"), N_("snooze"), N_("reopen"), N_("waive"), N_("refused"), N_("reply"), N_("resolve"))


def _word(value: str) -> Text:
    """A stored word (a purpose, a status, an action), said in the reader's language."""
    return Text(str(value))


def _name(actor: str) -> str:
    """A coordinator as the board names them: "督办科" of "督办科 (office, board)"."""
    return actor.removesuffix(", board)").rsplit(" (", 1)[0] if actor.endswith(", board)") else actor


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware times: read both as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
