"""Answer and unsubscribe links from reminder emails: GET shows what the link would do, only
POST does it (mail scanners open every link), and each answer link works once.

One-time use: the Answer row keeps `link_nonce` (UNIQUE) = action + occurrence + the nonce the
dispatcher signed (its delivery id). So the three links of one email are each usable once: a
person can snooze today and mark done from the same email later, but a link used twice (or
replayed by a scanner) gets a clear page instead of a second answer, which says who answered
and when. A link posted into a group by a robot is seen by everyone there: its page asks who is
answering, and the answer is recorded under that name (the robot's group in brackets).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db import addresses, robots
from db.models import Answer, Contact
from db.queries import NotFound, OccurrenceRow, occurrence_row
from db.vocabulary import Action
from scheduler.access.links import AnswerLink, LinkError, Signer
from scheduler.answers.record import Actor, Refused, answer
from scheduler.answers.snooze import CHOICES, BadDuration, snooze_until
from scheduler.channels import registry
from scheduler.i18n import N_, Text, told
from web.deps import NowDep, SessionDep, SignerDep
from web.pages import error_page, local_time, render, request_language, said

router = APIRouter(include_in_schema=False)

# msgids: the pages say them in the reader's language (web/pages.py)
ACTION_NAMES = {Action.done: N_("Done"), Action.snooze: N_("Snooze"), Action.help: N_("Ask for help")}
SNOOZE_NAMES = {"1d": N_("Tomorrow"), "3d": N_("In 3 working days"), "next-week": N_("Next week")}
STATUS_NAMES = {"open": N_("open"), "done": N_("done"), "waived": N_("waived"), "cancelled": N_("cancelled")}
USED = (N_("Link already used"), N_("This link has already been used: open the latest reminder to answer again."))
ANSWERED_BY = N_("{actor} already answered with this link on {at}: {action}.")
WHO = N_("Please say who is answering: this link was posted in a group.")
GONE = (N_("No such duty"),
        N_("The item this link points to no longer exists (the plan may have changed): ask the coordinator."))
UNUSABLE = N_("Link cannot be used")


def nonce_key(link: AnswerLink) -> str:
    return f"{link.action}:{link.occurrence_id}:{link.nonce}"[:100]


class _Stop(Exception):
    """A page that ends the request: the link is bad, used or points at nothing."""

    def __init__(self, status: int, title: str, message: str, reader: str | None = None):
        super().__init__(message)
        self.status, self.title, self.message, self.reader = status, title, message, reader


def _open(session: Session, token: str, sign: Signer, request: Request) -> tuple[AnswerLink, OccurrenceRow, Contact]:
    """The verified link, what it answers and who for; raises _Stop with the page to show."""
    try:
        link = sign.verify_answer(token)
    except LinkError as exc:
        raise _Stop(410 if exc.reason == "expired" else 400, UNUSABLE, exc.text) from None
    contact = session.get(Contact, link.contact_id)
    reader = contact.language if contact else None  # the signed contact's language, once we know who
    used = session.exec(select(Answer).where(Answer.link_nonce == nonce_key(link))).first()
    if used is not None:
        raise _Stop(410, USED[0], _who_answered(used, request), reader=reader)
    try:
        row = occurrence_row(session, link.occurrence_id)
    except NotFound:
        raise _Stop(404, *GONE) from None
    if contact is None:
        raise _Stop(404, *GONE)
    return link, row, contact


def _who_answered(used: Answer, request: Request) -> Text:
    """Who used the link, when and how (a second person opening a group's link learns it was done)."""
    at = local_time(request, used.at)
    return Text(ANSWERED_BY, {"actor": used.actor, "at": at, "action": Text(ACTION_NAMES[used.action])})


def _snooze_options(row: OccurrenceRow, now: datetime, request: Request) -> dict[str, datetime]:
    cal = request.app.state.calendars(row.plan.workdays)
    return {c: snooze_until(row.plan, row.duty, c, now, cal) for c in CHOICES}


def _form(request: Request, link: AnswerLink, row: OccurrenceRow, contact: Contact, now: datetime,
          status_code: int = 200, problem: str | None = None) -> HTMLResponse:
    lang = request_language(request, contact.language)
    return render(request, "answer.html", status_code=status_code, reader=lang, link=link, row=row,
                  contact=contact, action=ACTION_NAMES[link.action], snooze_names=SNOOZE_NAMES,
                  group=contact.role == robots.ROLE,
                  status=STATUS_NAMES.get(row.occurrence.status, row.occurrence.status),
                  problem=said(problem, lang) if problem else None,
                  options=_local(request, _snooze_options(row, now, request)) if link.action == Action.snooze else {})


def _local(request: Request, options: dict[str, datetime]) -> dict[str, str]:
    """The snooze times as people read them (the deployment's time zone)."""
    return {c: local_time(request, when) for c, when in options.items()}


@router.get("/a/{token}", response_class=HTMLResponse)
def show_answer(token: str, request: Request, session: SessionDep, now: NowDep,
                sign: SignerDep) -> HTMLResponse:
    try:
        link, row, contact = _open(session, token, sign, request)
    except _Stop as stop:
        return error_page(request, stop.status, stop.title, stop.message, reader=stop.reader)
    return _form(request, link, row, contact, now)


@router.post("/a/{token}", response_class=HTMLResponse)
def record_answer(token: str, request: Request, session: SessionDep, now: NowDep, sign: SignerDep,
                  snooze: Annotated[str, Form()] = "1d", note: Annotated[str, Form()] = "",
                  evidence_url: Annotated[str, Form()] = "",
                  answered_by: Annotated[str, Form()] = "") -> HTMLResponse:
    try:
        link, row, contact = _open(session, token, sign, request)
    except _Stop as stop:
        return error_page(request, stop.status, stop.title, stop.message, reader=stop.reader)
    if contact.role == robots.ROLE and not answered_by.strip():
        return _form(request, link, row, contact, now, 400, WHO)
    try:
        until = None
        if link.action == Action.snooze:
            if snooze not in CHOICES:
                raise BadDuration(snooze)
            until = _snooze_options(row, now, request)[snooze]
        outcome = answer(session, row.occurrence.id, link.action, actor=_actor(contact, answered_by),
                         channel="email", now=now, origin=_origin(request),
                         evidence_url=evidence_url.strip() or None, note=note.strip() or None,
                         snooze_until=until)
        outcome.answer.link_nonce = nonce_key(link)
        session.commit()
    except Refused as exc:
        return error_page(request, 403, N_("Not allowed"), exc.text, reader=contact.language)
    except BadDuration:
        return _form(request, link, row, contact, now, 400, N_("Pick when to be reminded again."))
    except ValueError as exc:
        session.rollback()
        return _form(request, link, row, contact, now, 400, told(exc, contact.language))
    except IntegrityError:  # the same link pressed twice at once: the other press recorded it
        session.rollback()
        return error_page(request, 410, *USED, reader=contact.language)
    until = local_time(request, outcome.occurrence.snoozed_until) if link.action == Action.snooze else None
    return render(request, "answered.html", reader=contact.language, row=row, link=link,
                  action=ACTION_NAMES[link.action], outcome=outcome, snoozed_until=until)


def _actor(contact: Contact, answered_by: str) -> Actor:
    """The contact; for a group's robot, the person who said who they are, in the group's name."""
    if contact.role == robots.ROLE:
        return Actor(f"{' '.join(answered_by.split())[:80]}（{contact.name}）"[:200], contact_id=contact.id)
    return Actor(contact.name, contact_id=contact.id)


def _origin(request: Request) -> str | None:
    return f"web:{request.client.host}"[:200] if request.client else None


def _contact_for(session: Session, token: str, sign: Signer) -> Contact:
    try:
        contact_id = sign.verify_unsubscribe(token)
    except LinkError as exc:
        raise _Stop(400, UNUSABLE, exc.text) from None
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise _Stop(404, N_("No such contact"),
                    N_("The contact this link was sent to has been removed and gets no more email."))
    return contact


@router.get("/u/{token}", response_class=HTMLResponse)
def show_unsubscribe(token: str, request: Request, session: SessionDep,
                     sign: SignerDep) -> HTMLResponse:
    try:
        contact = _contact_for(session, token, sign)
    except _Stop as stop:
        return error_page(request, stop.status, stop.title, stop.message, reader=stop.reader)
    shown = [a.address for s in registry.specs() if s.opt_out and s.address
             and (a := addresses.address(session, contact.id, s.address)) is not None]
    return render(request, "unsubscribe.html", reader=contact.language, contact=contact, done=False, address=shown[0] if shown else None)


@router.post("/u/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request, session: SessionDep, now: NowDep,
                sign: SignerDep) -> HTMLResponse:
    """Also the target of mail clients' one-click unsubscribe (RFC 8058 List-Unsubscribe-Post)."""
    try:
        contact = _contact_for(session, token, sign)
    except _Stop as stop:
        return error_page(request, stop.status, stop.title, stop.message, reader=stop.reader)
    address = unsubscribe_email(session, contact, now)
    session.commit()
    return render(request, "unsubscribe.html", reader=contact.language, contact=contact, done=True,
                  address=address)


def unsubscribe_email(session: Session, contact: Contact, now: datetime) -> str | None:
    """Opt `contact` out of every channel that honours unsubscribe links (email; the dispatcher
    then uses another channel or nothing); the address stays, so `duban contacts resubscribe` can
    undo it and a plan reload does not. Returns the address opted out, if any."""
    found = [addresses.opt_out(session, contact.id, s.address, now, "unsubscribed by link")
             for s in registry.specs() if s.opt_out and s.address]
    return next((row.address for row in found if row is not None), None)
