"""The board's view in its URL: every filter, the sort, the view and the pages are query
parameters, so a link shows the same view to whoever opens it (after logging in, if need be).

`Asked.of(params)` keeps the parameters as typed (the filter form shows them again and every link
keeps them); `read(asked, ...)` turns them into a scheduler.reports.board.Filter, or into the
problems a person is told in their language: an unknown status, a department or plan that does
not exist, a date that is not one, a page that is not a number. Never a 500.

    status  overdue (default) | upcoming | open | done | waived | help
    dept    a department's key, name, alias or id
    plan    a plan's key
    period  week | month | YYYY-MM | range (with from/to) | empty
    from,to due dates, YYYY-MM-DD (a range)
    q       text in duty titles, department names and aliases
    sort    days (default for overdue) | due (default otherwise) | department | count (departments view)
    view    departments (default: grouped by department) | rows
    page    the list's page; hpage the help panel's
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from difflib import get_close_matches
from urllib.parse import urlencode

from sqlmodel import Session, select
from starlette.datastructures import QueryParams

from db.models import Department, Plan
from scheduler.bounds import FIRST_YEAR, LAST_YEAR
from scheduler.i18n import N_, Text, translator
from scheduler.reports.board import SORTS, STATUSES, VIEWS, Filter

MAX_PAGE = 100_000
MAX_SEARCH = 100
PERIODS = ("week", "month", "range")  # and any YYYY-MM
# msgids: what each value is called on the page (the form's choices, the tabs, the problems)
STATUS_NAMES = {"overdue": N_("Overdue"), "upcoming": N_("Due in the next two weeks"), "help": N_("Help requested"),
                "open": N_("Not yet due"), "done": N_("Done"), "waived": N_("Waived")}
SORT_NAMES = {"days": N_("Most days overdue first"), "due": N_("Earliest due date first"),
              "department": N_("By department name"), "count": N_("Departments with most first")}
VIEW_NAMES = {"departments": N_("Grouped by department"), "rows": N_("One list of duties")}
PERIOD_NAMES = {"": N_("Any time"), "week": N_("This week"), "month": N_("This month"), "range": N_("Dates below")}


@dataclass(frozen=True)
class Asked:
    """The view's parameters as the URL gives them ("" when absent), stripped."""

    status: str = ""
    dept: str = ""
    plan: str = ""
    period: str = ""
    from_: str = ""
    to: str = ""
    q: str = ""
    sort: str = ""
    view: str = ""
    page: str = ""
    hpage: str = ""

    @classmethod
    def of(cls, params: QueryParams) -> Asked:
        return cls(**{f.name: params.get(f.name.rstrip("_"), "").strip() for f in fields(cls)})

    def query(self, **changes: str | int) -> str:
        """This view's query string with `changes`; a change of anything but a page starts both
        lists on their first page again."""
        if not set(changes) <= {"page", "hpage"}:
            changes = {"page": "", "hpage": "", **changes}
        values = {f.name.rstrip("_"): getattr(replace(self, **changes), f.name) for f in fields(self)}
        return urlencode({k: str(v) for k, v in values.items() if str(v) != ""})

    def link(self, **changes: str | int) -> str:
        """/board with this view's parameters and `changes`."""
        query = self.query(**changes)
        return f"/board?{query}" if query else "/board"


@dataclass(frozen=True)
class Reading:
    """The filter the URL asks for, or what is wrong with it (said in the reader's language)."""

    filter: Filter
    problems: list[str]
    department: Department | None = None
    plan: Plan | None = None


def _choices(names: dict[str, str], language: str) -> str:
    say = translator(language).gettext
    return ", ".join(f"{value} ({say(name)})" for value, name in names.items() if value)


def _page(text: str, language: str, problems: list[str]) -> int:
    if not text:
        return 1
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    problems.append(Text(N_("Page “{value}” is not a page number: use a whole number from 1 to {last}."),
                         {"value": text[:40], "last": MAX_PAGE}).say(language))
    return 1


def _day(text: str, language: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        day = date.fromisoformat(text)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(text)
        return day
    except ValueError:
        problems.append(Text(N_("“{value}” is not a date: write it as YYYY-MM-DD (e.g. 2016-09-30), in the "
                                "years {first}-{last}."), {"value": text[:40], "first": FIRST_YEAR,
                                                           "last": LAST_YEAR}).say(language))
        return None


def _month(text: str) -> tuple[date, date] | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not m or not 1 <= int(m[2]) <= 12 or not FIRST_YEAR <= int(m[1]) <= LAST_YEAR:
        return None
    year, month = int(m[1]), int(m[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _period(asked: Asked, today: date, language: str, problems: list[str]) -> tuple[date | None, date | None]:
    """The due dates the period stands for; `from`/`to` only with no period or `range`."""
    first, last = _day(asked.from_, language, problems), _day(asked.to, language, problems)
    if asked.period in ("", "range"):
        if first and last and first > last:
            problems.append(Text(N_("The range starts ({first}) after it ends ({last}): swap the dates."),
                                 {"first": asked.from_, "last": asked.to}).say(language))
        return first, last
    if asked.from_ or asked.to:
        problems.append(translator(language).gettext(
            N_("Choose either a period or dates: with dates, set the period to “Dates below”.")))
    if asked.period == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if asked.period == "month":
        return _month(f"{today:%Y-%m}")
    if (month := _month(asked.period)) is not None:
        return month
    problems.append(Text(N_("Unknown period “{value}”: choose {choices}, or a month as YYYY-MM (e.g. 2016-09)."),
                         {"value": asked.period[:40], "choices": _choices(PERIOD_NAMES, language)}).say(language))
    return None, None


def _department(session: Session, ref: str, language: str, problems: list[str]) -> Department | None:
    if not ref:
        return None
    departments = session.exec(select(Department)).all()
    wanted = ref.casefold()
    for d in departments:
        if wanted in (d.key.casefold(), d.name.casefold(), str(d.id), *(a.casefold() for a in d.aliases or ())):
            return d
    # the first 100 characters: matching a pasted page of text against every name would take seconds
    close = get_close_matches(ref[:100], [d.name for d in departments], n=3, cutoff=0.5)
    problems.append(Text(N_("There is no department “{value}”.{hint} Type its name, a short name or its "
                            "key, or search for it with the search box."),
                         {"value": ref[:80], "hint": Text(N_(" Did you mean: {names}?"), {"names": ", ".join(close)})
                          if close else ""}).say(language))
    return None


def _plan(session: Session, key: str, language: str, problems: list[str]) -> Plan | None:
    if not key:
        return None
    plans = session.exec(select(Plan).order_by(Plan.key)).all()
    found = next((p for p in plans if key in (p.key, str(p.id))), None)
    if found is None:
        problems.append(Text(N_("There is no plan “{value}”; the plans loaded are: {plans}."),
                             {"value": key[:80], "plans": ", ".join(p.key for p in plans) or "—"}).say(language))
    return found


def _one_of(value: str, names: dict[str, str], what: str, language: str, problems: list[str]) -> None:
    if value and value not in names:
        problems.append(Text(N_("Unknown {what} “{value}”: choose one of {choices}."),
                             {"what": Text(what), "value": value[:40],
                              "choices": _choices(names, language)}).say(language))


def read(asked: Asked, session: Session, today: date, language: str) -> Reading:
    """The Filter `asked` stands for on `today`, or its problems (nothing is guessed)."""
    problems: list[str] = []
    _one_of(asked.status, STATUS_NAMES, N_("status"), language, problems)
    _one_of(asked.sort, SORT_NAMES, N_("order"), language, problems)
    _one_of(asked.view, VIEW_NAMES, N_("view"), language, problems)
    status = asked.status if asked.status in STATUSES else "overdue"
    view = asked.view if asked.view in VIEWS else "departments"
    sort = asked.sort if asked.sort in SORTS else ("days" if status == "overdue" else "due")
    if sort == "count" and view == "rows":
        problems.append(translator(language).gettext(
            N_("“Departments with most first” orders departments: it needs the view grouped by department.")))
    if len(asked.q) > MAX_SEARCH:
        problems.append(Text(N_("The search is too long: at most {limit} characters."),
                             {"limit": MAX_SEARCH}).say(language))
    first, last = _period(asked, today, language, problems)
    department = _department(session, asked.dept, language, problems)
    plan = _plan(session, asked.plan, language, problems)
    chosen = Filter(status=status, departments=(department.id,) if department else None,
                    plan_id=plan.id if plan else None, first=first, last=last, search=asked.q[:MAX_SEARCH],
                    sort=sort, view=view, page=_page(asked.page, language, problems),
                    help_page=_page(asked.hpage, language, problems))
    return Reading(chosen, problems, department, plan)


def months_around(today: date, before: int = 11, after: int = 2) -> list[str]:
    """The months the period choice offers (YYYY-MM), the latest first."""
    index = today.year * 12 + today.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(index + after, index - before - 1, -1)]
