"""Group robots on the board (issue 16): the departments' robots listed with their URL and secret
masked, a form to bind one, and per robot a test message, removal and enabling again. The same core
as `duban robots` (scheduler/channels/robot/binding.py over db/robots.py); this module only reads
the forms and says the outcome in the reader's language. Every page needs a logged-in coordinator;
every POST the session's CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from db import robots
from db.models import Department
from scheduler.access.links import signing_secret
from scheduler.access.sealing import Sealer, mask
from scheduler.bounds import as_id
from scheduler.channels.base import TransportError
from scheduler.channels.robot import binding
from scheduler.i18n import LANGUAGES, N_, Problem, Text, told
from web.auth import Visit, Visitor, page, refuse_unless_coordinator, to_login
from web.deps import NowDep, SessionDep, SettingsDep
from web.pages import error_page, request_language, said

router = APIRouter(include_in_schema=False)

NOT_FOUND = (N_("No such robot"), N_("This robot does not exist or was removed: see the list at /robots"))
DONE = {"added": N_("Robot {id} added: send it a test message to see that it posts."),
        "removed": N_("Robot {id} removed: it posts nothing more."),
        "enabled": N_("Robot {id} posts again.")}
LANGUAGE_NAMES = {"zh": N_("Chinese"), "en": N_("English")}
ACCEPTED = N_("The platform accepted the test message ({answer}): look for it in the group.")
REFUSED = N_("The test message was not delivered: {error}")
PERMANENT = N_("Permanent: check the robot on its platform (address, secret, keyword, IP allow-list), "
               "then add it again or enable it again.")
TEMPORARY = N_("Temporary: try again in a while.")
NO_DEPARTMENT = N_("Choose the department whose group the robot posts to.")
MENTION_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class Typed:
    """The add form as typed, given back with a problem: everything but the URL and the secret,
    which are never shown again in full (the URL masked, the secret not at all)."""

    department: str = ""
    kind: str = ""
    url_masked: str = ""
    mentions: str = ""
    keyword: str = ""
    instead: bool = False
    name: str = ""
    language: str = LANGUAGES[0]


@dataclass(frozen=True)
class Tested:
    """What a test message came to, said in the reader's language."""

    robot_id: int
    accepted: bool
    said: str
    lasting: str = ""  # for a refusal: whether it is permanent, and what to do


def _sealer(request: Request) -> Sealer:
    return Sealer(signing_secret(request.app.state.settings))


def _departments(session: Session) -> list[Department]:
    return list(session.exec(select(Department).order_by(Department.key)))


def _robots_page(request: Request, v: Visit, session: Session, status: int = 200, *, typed: Typed = Typed(),
                 problem: str | None = None, tested: Tested | None = None) -> Response:
    lang = request_language(request)
    items = [binding.shown(_sealer(request), b) for b in robots.bound(session)]
    return page(request, "robots.html", status, user=v.user, items=items, departments=_departments(session),
                kinds={k: said(binding.KIND_NAMES[k], lang) for k in binding.kinds()},
                languages={k: said(n, lang) for k, n in LANGUAGE_NAMES.items()},
                typed=typed, problem=problem, tested=tested, notice=_notice(request, lang))


def _notice(request: Request, lang: str) -> str | None:
    """What the last form did (?done=added&robot=7 after its redirect), said in the reader's language."""
    done, robot_id = request.query_params.get("done"), as_id(request.query_params.get("robot", ""))
    if done not in DONE or robot_id is None:
        return None
    return Text(DONE[done], {"id": robot_id}).say(lang)


def _done(what: str, robot_id: int) -> RedirectResponse:
    return RedirectResponse(f"/robots?done={what}&robot={robot_id}#robot-{robot_id}", status_code=303)


def _bound(session: Session, robot_id: int) -> robots.Bound | None:
    """The robot still bound with this id; None for any other (one no row can have included)."""
    if as_id(str(robot_id)) is None:
        return None
    try:
        return binding.find(session, robot_id)
    except Problem:
        return None


@router.get("/robots")
def robots_page(request: Request, v: Visitor, session: SessionDep) -> Response:
    if v.user is None:
        return to_login(request)
    return _robots_page(request, v, session)


def _department(session: Session, given: str) -> Department:
    found = session.get(Department, key) if (key := as_id(given)) is not None else None
    if found is None:
        raise Problem(NO_DEPARTMENT)
    return found


@router.post("/robots")
def add_robot(request: Request, v: Visitor, session: SessionDep, now: NowDep,
              department: Annotated[str, Form(max_length=20)] = "", kind: Annotated[str, Form(max_length=20)] = "",
              url: Annotated[str, Form(max_length=2000)] = "", secret: Annotated[str, Form(max_length=500)] = "",
              mentions: Annotated[str, Form(max_length=1000)] = "", keyword: Annotated[str, Form(max_length=100)] = "",
              instead: Annotated[str, Form(max_length=10)] = "", name: Annotated[str, Form(max_length=100)] = "",
              language: Annotated[str, Form(max_length=10)] = "zh", csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    typed = Typed(department, kind, mask(url.strip()), mentions, keyword, instead == "yes", name, language)
    given = binding.RobotIn(kind, url, secret, tuple(MENTION_SEPARATORS.split(mentions)), keyword,
                            instead == "yes", name, language if language in LANGUAGES else LANGUAGES[0])
    try:
        dept, checked = _department(session, department), given.checked()
    except Problem as exc:
        return _robots_page(request, v, session, 422, typed=typed, problem=told(exc, request_language(request)))
    robot = binding.bind(session, _sealer(request), dept, checked, now)
    session.commit()
    return _done("added", robot.id)


@router.post("/robots/{robot_id}/test")
def test_robot(request: Request, robot_id: int, v: Visitor, session: SessionDep, settings: SettingsDep,
               csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    if (item := _bound(session, robot_id)) is None:
        return error_page(request, 404, *NOT_FOUND)
    lang = request_language(request)
    try:  # on the server's event loop, from this route's worker thread
        receipt = from_thread.run(binding.post_test, settings, item)
    except TransportError as exc:
        tested = Tested(robot_id, False, Text(REFUSED, {"error": told(exc, lang)}).say(lang),
                        said(PERMANENT if exc.permanent else TEMPORARY, lang))
    else:
        tested = Tested(robot_id, True, Text(ACCEPTED, {"answer": binding.describe(receipt)}).say(lang))
    return _robots_page(request, v, session, tested=tested)


@router.post("/robots/{robot_id}/remove")
def remove_robot(request: Request, robot_id: int, v: Visitor, session: SessionDep,
                 csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    if (item := _bound(session, robot_id)) is None:
        return error_page(request, 404, *NOT_FOUND)
    robots.remove(session, item)
    session.commit()
    return _done("removed", robot_id)


@router.post("/robots/{robot_id}/enable")
def enable_robot(request: Request, robot_id: int, v: Visitor, session: SessionDep, now: NowDep,
                 csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    if (item := _bound(session, robot_id)) is None:
        return error_page(request, 404, *NOT_FOUND)
    robots.enable(session, item, now)
    session.commit()
    return _done("enabled", robot_id)
