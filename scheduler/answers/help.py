"""Answering a request for help (需要协助) as the coordinating office: a reply, sent to whoever asked
through the outbox (scheduler/outbox/rows.py help_reply), and resolving, which takes the requests
made on that occurrence until then off the board's help panel.

Both are appended to the answer log (actions `reply` and `resolve`), so the occurrence's history
shows them; neither changes the occurrence's status. Only coordinators reply and resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from db import outbox
from db.models import Answer, Contact
from db.queries import NotFound
from db.vocabulary import Action
from scheduler.answers.record import Actor, Refused
from scheduler.i18n import N_, Problem, Text
from scheduler.outbox.rows import help_reply, to_rows

MAX_NOTE = 2000  # characters, as the board's other notes


@dataclass(frozen=True)
class Replied:
    """A reply recorded; `sent_to`: the contact it is queued for (None when nobody can get it)."""

    reply: Answer
    sent_to: str | None


def request_of(session: Session, request_id: int) -> Answer:
    """The request for help `request_id` (an answer with action help); NotFound otherwise."""
    found = session.get(Answer, request_id)
    if found is None or found.action != Action.help:
        raise NotFound(f"没有这个协助请求 no request for help #{request_id}")
    return found


def is_resolved(session: Session, request: Answer) -> bool:
    """A "resolve" was recorded on the request's occurrence after it."""
    return session.exec(select(Answer.id).where(Answer.occurrence_id == request.occurrence_id,
                                                Answer.action == Action.resolve,
                                                col(Answer.id) > request.id)).first() is not None


def _coordinator_only(actor: Actor) -> None:
    if not actor.coordinator:
        raise Refused(N_("Not allowed: only the coordinating office answers requests for help ({name})."),
                      name=actor.name)


def _note(text: str | None, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise Problem(N_("Write the reply first: it is sent to whoever asked for help."))
    if len(text) > MAX_NOTE:
        raise Problem(N_("The note is too long: at most {limit} characters."), limit=MAX_NOTE)
    return text or None


def _log(session: Session, request: Answer, action: Action, actor: Actor, channel: str, now: datetime,
         note: str | None) -> Answer:
    entry = Answer(occurrence_id=request.occurrence_id, action=action, actor=actor.name, channel=channel,
                   note=note, at=now)
    session.add(entry)
    session.flush()
    return entry


def reply(session: Session, request_id: int, text: str, *, actor: Actor, signed: str, now: datetime,
          channel: str = "web", resolve_too: bool = False) -> Replied:
    """Record the office's reply to a request for help and queue it for the contact who asked, in
    their language, signed `signed` (the coordinator's name). `resolve_too`: resolve it as well."""
    _coordinator_only(actor)
    request = request_of(session, request_id)
    note = _note(text, required=True)
    entry = _log(session, request, Action.reply, actor, channel, now, note)
    asker = session.get(Contact, request.contact_id) if request.contact_id else None
    sent_to = None
    if asker is not None and asker.active:
        body = Text(N_("{who} replied to your request for help: {text}"), {"who": signed, "text": note})
        outbox.insert_new(session, to_rows([help_reply(entry.id, request.occurrence_id, asker.id, now,
                                                       body.say(asker.language))]))
        sent_to = asker.name
    if resolve_too and not is_resolved(session, request):
        _log(session, request, Action.resolve, actor, channel, now, None)
    return Replied(entry, sent_to)


def resolve(session: Session, request_id: int, *, actor: Actor, now: datetime, channel: str = "web",
            note: str | None = None) -> Answer:
    """Record that the request (and any before it on the same occurrence) is dealt with; a
    Problem when it already was."""
    _coordinator_only(actor)
    request = request_of(session, request_id)
    if is_resolved(session, request):
        raise Problem(N_("This request for help was already resolved."))
    return _log(session, request, Action.resolve, actor, channel, now, _note(note, required=False))
