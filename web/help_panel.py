"""The board's help panel forms: reply to a request for help (sent to whoever asked, through the
outbox) and mark it resolved (it leaves the panel). The core is scheduler/answers/help.py; these
routes read the form, say the outcome in the reader's language and go back to the board's view
the coordinator was on (its query string travels in the form as `back`). Logged-in coordinators
only, with the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from db.models import User
from db.queries import NotFound
from scheduler.answers import help as help_requests
from scheduler.answers.help import MAX_NOTE
from scheduler.answers.record import Actor, Refused
from scheduler.bounds import as_id
from scheduler.i18n import N_, Text, told
from web import flash
from web.auth import Visitor, refuse_unless_coordinator
from web.board_query import Asked
from web.deps import NowDep, SessionDep
from web.pages import error_page, request_language

router = APIRouter(include_in_schema=False)

NOT_FOUND = (N_("No such request for help"), N_("There is no such request for help: back to the board: /board"))
REPLIED = N_("Reply recorded and sent to {name}.")
REPLIED_UNSENT = N_("Reply recorded in the duty's history; whoever asked has no contact to send it to.")
RESOLVED = N_("Request for help marked resolved.")


def actor_of(user: User) -> Actor:
    """A coordinator on the board, as the answer log names them."""
    return Actor(name=f"{user.display_name or user.username} ({user.username}, board)", coordinator=True)


def _back(back: str) -> str:
    """The board view the form came from, rebuilt from its known parameters only."""
    return Asked.of(QueryParams(back)).link()


def _done(request: Request, back: str, message: Text) -> Response:
    response = RedirectResponse(_back(back) + "#help", status_code=303)
    return flash.remember(request, response, message.say(request_language(request)))


def _refusal(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotFound):
        return error_page(request, 404, *NOT_FOUND)
    return error_page(request, 400, N_("Not recorded"), told(exc, request_language(request)))


@router.post("/help/{request_id}/reply")
def reply(request: Request, request_id: int, v: Visitor, session: SessionDep, now: NowDep,
          note: Annotated[str, Form(max_length=MAX_NOTE + 100)] = "", resolve: Annotated[str, Form()] = "",
          back: Annotated[str, Form(max_length=2000)] = "", csrf: Annotated[str, Form()] = "") -> Response:
    def act() -> Text:
        replied = help_requests.reply(session, request_id, note, actor=actor_of(v.user),
                                      signed=v.user.display_name or v.user.username, now=now,
                                      resolve_too=bool(resolve))
        return Text(REPLIED, {"name": replied.sent_to}) if replied.sent_to else Text(REPLIED_UNSENT)

    return _as_coordinator(request, v, csrf, session, request_id, back, act)


@router.post("/help/{request_id}/resolve")
def resolve(request: Request, request_id: int, v: Visitor, session: SessionDep, now: NowDep,
            back: Annotated[str, Form(max_length=2000)] = "", csrf: Annotated[str, Form()] = "") -> Response:
    def act() -> Text:
        help_requests.resolve(session, request_id, actor=actor_of(v.user), now=now)
        return Text(RESOLVED)

    return _as_coordinator(request, v, csrf, session, request_id, back, act)


def _as_coordinator(request: Request, v: Visitor, csrf: str, session: SessionDep, request_id: int, back: str,
                    act: Callable[[], Text]) -> Response:
    """Do `act` for a logged-in coordinator (CSRF checked) on an existing request; commit and go
    back to the board saying what it returned, or show why it was refused."""
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    try:
        if as_id(str(request_id)) is None:
            raise NotFound(request_id)
        said = act()
    except (NotFound, Refused, ValueError) as exc:
        return _refusal(request, exc)
    session.commit()
    return _done(request, back, said)
