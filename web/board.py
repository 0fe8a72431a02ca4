"""The coordinator's board: the overview (filtered, sorted and paged by its URL, web/board_query.py),
one occurrence with its history, answering on behalf of a department, recording an event, and the
help panel's replies (web/help_panel.py). Thin routes: the numbers come from scheduler.reports.board,
answers from scheduler.answers.record, events from scheduler.answers.events. Every page needs a
logged-in coordinator; every POST needs the session's CSRF token.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from db.models import Duty, Plan
from db.queries import NotFound
from db.vocabulary import Action
from scheduler.answers.events import record_event
from scheduler.answers.record import Refused, answer
from scheduler.bounds import as_id
from scheduler.i18n import N_, told
from scheduler.moments import read_moment
from scheduler.reports import board as numbers
from web import board_query, flash, help_panel
from web.auth import Visitor, page, refuse_unless_coordinator, to_login
from web.charts import completion_bar, due_calendar
from web.deps import NowDep, SessionDep, SettingsDep
from web.pages import error_page, request_language

router = APIRouter(include_in_schema=False)
router.include_router(help_panel.router)  # replying to and resolving requests for help from the board

# msgids: the pages say them in the coordinator's language (web/pages.py)
ACTIONS = {Action.done: N_("Done"), Action.waive: N_("Waive"), Action.reopen: N_("Reopen")}
OUTCOMES = {"on_time": N_("done on time"), "late": N_("done late"), "waived": N_("waived"),
            "open": N_("not yet due"), "overdue": N_("overdue")}
NOT_FOUND = (N_("No such duty"), N_("There is no such occurrence: the plan may have changed. "
                                   "Back to the board: /board"))


def _no_such(occurrence_id: int) -> bool:
    """An id no row can have (SQLite overflows past 64 bits): simply not found."""
    return as_id(str(occurrence_id)) is None


_actor = help_panel.actor_of  # a coordinator on the board, as the answer log names them


@router.get("/")
def home(v: Visitor) -> Response:
    return RedirectResponse("/board" if v.user else "/login", status_code=303)


@router.get("/board")
def board_page(request: Request, v: Visitor, session: SessionDep, now: NowDep, settings: SettingsDep) -> Response:
    """The board as its URL asks (web/board_query.py); a URL it cannot read is answered with the
    problems and the filter form, status 400."""
    if v.user is None:
        return to_login(request)
    lang = request_language(request)
    asked = board_query.Asked.of(request.query_params)
    today = numbers.today(session, now, settings.timezone)
    reading = board_query.read(asked, session, today.day, lang)
    context = {"user": v.user, "asked": asked, "reading": reading, "today": today.day,
               "plans": session.exec(select(Plan.key, Plan.title).order_by(Plan.key)).all(),
               "months": board_query.months_around(today.day), "event_duties": _event_duties(session),
               "report_months": recent_months(today.day), "notice": flash.recall(request), "outcomes": OUTCOMES,
               "status_names": board_query.STATUS_NAMES, "sort_names": board_query.SORT_NAMES,
               "view_names": board_query.VIEW_NAMES, "period_names": board_query.PERIOD_NAMES}
    if reading.problems:
        return page(request, "board.html", 400, b=None, **context)
    b = numbers.board_page(session, now, reading.filter, zone=settings.timezone)
    calendar = request.app.state.calendars(_workdays_of(session, reading.filter.plan_id))
    return flash.forget(request, page(request, "board.html", b=b, bars={g.department_id: completion_bar(g.score)
                                                                        for g in b.groups},
                                      due=due_calendar(today.day.year, b.due_per_day, calendar), **context))


def _workdays_of(session, plan_id: int | None) -> str:
    """The working-day calendar the heat-map marks: the plan's, else the first plan's (CN without plans)."""
    query = select(Plan.workdays).order_by(Plan.key)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    return session.exec(query).first() or "CN"


def recent_months(today: date, count: int = 3) -> list[str]:
    """This month and the ones before it, as the report URLs name them (YYYY-MM)."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@router.get("/occurrences/{occurrence_id}")
def occurrence_page(request: Request, occurrence_id: int, v: Visitor, session: SessionDep,
                    now: NowDep) -> Response:
    if v.user is None:
        return to_login(request)
    try:
        if _no_such(occurrence_id):
            raise NotFound(occurrence_id)
        h = numbers.history(session, occurrence_id, now)
    except NotFound:
        return error_page(request, 404, *NOT_FOUND)
    lang = request_language(request)
    items = [(item.at, item.kind, item.text.say(lang)) for item in h.items]
    return page(request, "occurrence.html", user=v.user, h=h, items=items, actions=ACTIONS,
                outcome=OUTCOMES[h.outcome], tz=ZoneInfo(h.row.plan.timezone))


@router.post("/occurrences/{occurrence_id}/answer")
def answer_on_behalf(request: Request, occurrence_id: int, v: Visitor, session: SessionDep, now: NowDep,
                     settings: SettingsDep, action: Annotated[str, Form()] = "",
                     note: Annotated[str, Form(max_length=2000)] = "",
                     confirmed_at: Annotated[str, Form(max_length=40)] = "",
                     csrf: Annotated[str, Form()] = "") -> Response:
    """`confirmed_at` (电话确认时间, blank = now) back-dates the answer: done then counts as done then."""
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    if action not in ACTIONS:
        return error_page(request, 400, N_("Invalid action"), N_("Choose one of the listed actions."))
    try:
        if _no_such(occurrence_id):
            raise NotFound(occurrence_id)
        at = read_moment(confirmed_at, settings.zone) if confirmed_at.strip() else None
        answer(session, occurrence_id, action, actor=_actor(v.user), channel="web", now=now,
               origin=request.client.host if request.client else None, note=note.strip() or None, at=at)
    except NotFound:
        return error_page(request, 404, *NOT_FOUND)
    except (Refused, ValueError) as exc:
        return error_page(request, 400, N_("Not recorded"), told(exc, request_language(request)))
    session.commit()
    return RedirectResponse(f"/occurrences/{occurrence_id}", status_code=303)


def _event_duties(session) -> list[tuple[str, str, list[str]]]:
    """(PLAN/KEY, title, lead department keys) of every duty that starts from an event (found in
    SQL: a city's plan has tens of thousands of duties, a handful of them event-triggered)."""
    rows = session.exec(select(Duty.key, Duty.title, Duty.lead, Plan.key).join(Plan, Duty.plan_id == Plan.id)
                        .where(Duty.active, col(Duty.schedule)["after_event"].as_string().is_not(None))
                        .order_by(Plan.key, Duty.position)).all()
    return [(f"{plan}/{key}", title, lead) for key, title, lead, plan in rows]


@router.post("/events")
def event_form(request: Request, v: Visitor, session: SessionDep, now: NowDep, settings: SettingsDep,
               duty: Annotated[str, Form()] = "", department: Annotated[str, Form()] = "",
               happened_at: Annotated[str, Form()] = "", note: Annotated[str, Form(max_length=2000)] = "",
               csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    try:
        moment = read_moment(happened_at, settings.zone) if happened_at.strip() else now
        rec = record_event(session, duty, department=department.strip() or None, happened_at=moment,
                           note=note.strip() or None, recorded_by=_actor(v.user).name,
                           calendar_of=request.app.state.calendars)
    except (NotFound, ValueError) as exc:
        return error_page(request, 400, N_("Event not recorded"), told(exc, request_language(request)))
    session.commit()
    return RedirectResponse(f"/occurrences/{rec.occurrence.id}", status_code=303)
