"""Answers: the one core function behind every door (CLI, email links, Telegram, the board).

It checks who may answer, marks the occurrence, cancels what should no longer be sent, and
appends to the answer log. Answering twice is harmless: the second answer is logged as a repeat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, select

from db import outbox
from db.models import Answer, Contact, Delivery, Duty, Occurrence, Plan
from db.queries import NotFound
from db.vocabulary import ANSWERS, PLANNED, Action, DeliveryStatus, OccurrenceStatus
from scheduler.answers.snooze import check_snooze
from scheduler.i18n import N_, Problem, Told
from scheduler.outbox.rows import help_request, to_rows

log = logging.getLogger(__name__)
ACTIONS = ANSWERS


class Refused(Told, PermissionError):
    """The actor may not answer for this occurrence; the attempt is logged."""


@dataclass(frozen=True)
class Actor:
    """Who answers: a contact (checked against the occurrence's department) or a coordinator."""

    name: str
    contact_id: int | None = None
    coordinator: bool = False


@dataclass(frozen=True)
class Outcome:
    occurrence: Occurrence
    answer: Answer
    changed: bool


def check_evidence(url: str | None) -> str | None:
    """An evidence link must be an http(s) URL; anything else is refused with a clear message."""
    if url is None:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise Problem(N_("Not a web link: {url} (expected http:// or https://)"), url=repr(url[:80]))
    return url


def may_answer(session: Session, actor: Actor, occ: Occurrence, action: str) -> bool:
    """Contacts of the occurrence's department (any role) or of the plan's coordinating office;
    waiving a duty is for coordinators only."""
    if actor.coordinator:
        return True
    contact = session.get(Contact, actor.contact_id) if actor.contact_id else None
    if contact is None or not contact.active:
        return False
    plan = session.exec(select(Plan).join(Duty).where(Duty.id == occ.duty_id)).one()
    coordinator = contact.department_id == plan.coordinator_id
    return coordinator or (contact.department_id == occ.department_id and action != Action.waive)


def _pending(session: Session, occ: Occurrence, before: datetime | None = None) -> list[int]:
    query = select(Delivery.id).where(Delivery.occurrence_id == occ.id, Delivery.status == DeliveryStatus.pending,
                                      Delivery.purpose.in_(PLANNED))
    if before is not None:
        query = query.where(Delivery.send_at < before)
    return list(session.exec(query))


def _apply(session: Session, occ: Occurrence, action: str, actor: Actor, now: datetime,
           evidence_url: str | None, note: str | None, snooze_until: datetime | None) -> bool:
    """Change the occurrence; True when something changed."""
    if action in (Action.done, Action.waive):
        status = OccurrenceStatus.done if action == Action.done else OccurrenceStatus.waived
        if occ.status == status and (evidence_url is None or evidence_url == occ.evidence_url):
            return False
        if occ.status != status:
            occ.status, occ.done_at, occ.done_by = status, now, actor.name
        occ.evidence_url = evidence_url or occ.evidence_url
        occ.note = note or occ.note
        outbox.set_status(session, _pending(session, occ), DeliveryStatus.cancelled,
                          last_error=f"answered: {action}")
    elif action == Action.snooze:
        if snooze_until is None:
            raise Problem(N_("A snooze needs a time in the future."))
        check_snooze(snooze_until, now)
        if occ.status != OccurrenceStatus.open:
            raise Problem(N_("The duty is already {status}: nothing to snooze."), status=occ.status)
        occ.snoozed_until = snooze_until
        outbox.set_status(session, _pending(session, occ, before=snooze_until), DeliveryStatus.cancelled,
                          last_error="snoozed")
    elif action == Action.reopen:
        if occ.status == OccurrenceStatus.open:
            return False
        occ.status, occ.done_at, occ.done_by, occ.snoozed_until = OccurrenceStatus.open, None, None, None
    occ.updated_at = now
    session.add(occ)
    return True


def _ask_for_help(session: Session, occ: Occurrence, answer: Answer, now: datetime) -> None:
    """Queue a 'help' notice to every contact of the plan's coordinating office."""
    plan = session.exec(select(Plan).join(Duty).where(Duty.id == occ.duty_id)).one()
    contacts = session.exec(select(Contact.id).where(Contact.department_id == plan.coordinator_id,
                                                     Contact.active == True)).all()
    note = f"{answer.actor}: {answer.note or ''}".strip()
    outbox.insert_new(session, to_rows([help_request(answer.id, occ.id, c, now, note) for c in contacts]))
    if not contacts:
        log.warning("help asked on occurrence %s but the coordinating office has no contacts", occ.id)


def answer(session: Session, occurrence_id: int, action: str, *, actor: Actor, channel: str, now: datetime,
           origin: str | None = None, evidence_url: str | None = None, note: str | None = None,
           snooze_until: datetime | None = None) -> Outcome:
    """Record `action` on an occurrence for `actor`; raises NotFound, Refused or ValueError."""
    if action not in ACTIONS:
        raise ValueError(f"未知操作 unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    occ = session.get(Occurrence, occurrence_id)
    if occ is None:
        raise NotFound(f"没有这个事项 no occurrence #{occurrence_id}: see `duban occurrences`")
    evidence_url = check_evidence(evidence_url)
    entry = Answer(occurrence_id=occ.id, action=action, actor=actor.name, contact_id=actor.contact_id,
                   channel=channel, origin=origin, evidence_url=evidence_url, note=note,
                   snooze_until=snooze_until, at=now)
    if not may_answer(session, actor, occ, action):
        entry.action, entry.changed, entry.note = Action.refused, False, f"{action}: {note or ''}".strip()
        session.add(entry)
        session.commit()  # the refusal is logged even though the caller gets an error
        log.warning("refused %s on occurrence %s by %s via %s", action, occ.id, actor.name, channel)
        raise Refused(N_("Not allowed: {name} may not answer for this duty (not a contact of its "
                         "department or of the coordinating office)."), name=actor.name)
    entry.changed = action == Action.help or _apply(session, occ, action, actor, now, evidence_url, note, snooze_until)
    session.add(entry)
    session.flush()
    if action == Action.help:
        _ask_for_help(session, occ, entry, now)
    return Outcome(occ, entry, entry.changed)
