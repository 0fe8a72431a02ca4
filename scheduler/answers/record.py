"""Answers: the one core function behind every door (CLI, email links, Telegram, the board).

It checks who may answer, marks the occurrence, cancels what should no longer be sent, and
appends to the answer log. Answering twice is harmless: the second answer is logged as a repeat.
Occurrences of one duty and department due the same day (a completion deadline and the quarter
that ends that day) are one obligation, shown as one item: an answer to either is applied to its
twins too (done, waived, snoozed: those still open; reopened: those closed alike), each with its
own Answer row whose origin says which answer it follows. A request for help is not repeated.
An answer can be back-dated (`at`: done on the day it was confirmed by phone), never into the future
nor to before the duty was handed over; it then counts as given at that moment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from db import outbox
from db.models import Answer, Contact, Delivery, Duty, Event, Occurrence, Plan
from db.queries import NotFound
from db.vocabulary import ANSWERS, PLANNED, Action, DeliveryStatus, OccurrenceStatus
from scheduler.answers.snooze import check_snooze
from scheduler.i18n import N_, Problem, Told
from scheduler.moments import SHOWN, as_utc
from scheduler.outbox.rows import help_request, to_rows

log = logging.getLogger(__name__)
ACTIONS = ANSWERS
_FOLLOWED = (Action.done, Action.waive, Action.snooze, Action.reopen)  # what twins share (not help)


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
    twins: tuple[Answer, ...] = ()  # the same answer applied to the occurrence's twins


def check_evidence(url: str | None) -> str | None:
    """An evidence link must be an http(s) URL; anything else is refused with a clear message."""
    if url is None:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise Problem(N_("Not a web link: {url} (expected http:// or https://)"), url=repr(url[:80]))
    return url


def handed_over(session: Session, occ: Occurrence) -> datetime:
    """Since when the occurrence could be answered: the event that started it, else the start of the
    day the plan was issued (its time zone); or the moment the row was made when that is earlier (a
    past year of an annual plan). Rows are often made after the work began: a plan loaded mid-year."""
    event = session.get(Event, occ.event_id) if occ.event_id is not None else None
    if event is not None:
        began = as_utc(event.happened_at)
    else:
        plan = session.exec(select(Plan).join(Duty).where(Duty.id == occ.duty_id)).one()
        began = datetime.combine(plan.issued, time(), ZoneInfo(plan.timezone))
    return min(began, as_utc(occ.created_at))


def check_answered_at(session: Session, occ: Occurrence, at: datetime, now: datetime) -> datetime:
    """`at` (aware) when an answer may be dated then: not after `now`, not before `handed_over`.
    The refusals show times on the clock `at` was given in."""
    zone = at.tzinfo
    if zone is None:
        raise ValueError("an answer's time needs its time zone (scheduler.moments.typed)")
    if at > now:
        raise Problem(N_("{at} is in the future: an answer can be dated now or earlier (now is {now})."),
                      at=at.strftime(SHOWN), now=now.astimezone(zone).strftime(SHOWN))
    since = handed_over(session, occ)
    if at < since:
        raise Problem(N_("{at} is before the duty was handed over ({since}): an answer cannot be dated "
                         "before it existed."), at=at.strftime(SHOWN), since=since.astimezone(zone).strftime(SHOWN))
    return at


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


def _earlier(occ: Occurrence, when: datetime | None) -> bool:
    """A back-dated answer moves an earlier done (or waived) time: confirmed by phone before the click."""
    return when is not None and occ.done_at is not None and when < as_utc(occ.done_at)


def _apply(session: Session, occ: Occurrence, action: str, actor: Actor, now: datetime,
           evidence_url: str | None, note: str | None, snooze_until: datetime | None,
           dated: datetime | None) -> bool:
    """Change the occurrence (done or waived as of `dated`, else `now`); True when something changed."""
    if action in (Action.done, Action.waive):
        status = OccurrenceStatus.done if action == Action.done else OccurrenceStatus.waived
        redated = occ.status == status and _earlier(occ, dated)
        if occ.status == status and not redated and (evidence_url is None or evidence_url == occ.evidence_url):
            return False
        if occ.status != status or redated:
            occ.status, occ.done_at, occ.done_by = status, dated or now, actor.name
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
           snooze_until: datetime | None = None, at: datetime | None = None) -> Outcome:
    """Record `action` on an occurrence for `actor`, as of `at` when given (back-dated: the log's
    time and done_at; see check_answered_at), else `now`; raises NotFound, Refused or ValueError."""
    if action not in ACTIONS:
        raise ValueError(f"未知操作 unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    occ = session.get(Occurrence, occurrence_id)
    if occ is None:
        raise NotFound(f"没有这个事项 no occurrence #{occurrence_id}: see `duban occurrences`")
    evidence_url = check_evidence(evidence_url)
    when = now if at is None else check_answered_at(session, occ, at, now)
    if at is not None:  # the log keeps when it was typed in, beside the moment it stands for
        origin = f"{origin or channel}; entered {as_utc(now).replace(microsecond=0).isoformat()}"[-200:]
    entry = Answer(occurrence_id=occ.id, action=action, actor=actor.name, contact_id=actor.contact_id,
                   channel=channel, origin=origin, evidence_url=evidence_url, note=note,
                   snooze_until=snooze_until, at=when)
    if not may_answer(session, actor, occ, action):
        entry.action, entry.changed, entry.note = Action.refused, False, f"{action}: {note or ''}".strip()
        session.add(entry)
        session.commit()  # the refusal is logged even though the caller gets an error
        log.warning("refused %s on occurrence %s by %s via %s", action, occ.id, actor.name, channel)
        raise Refused(N_("Not allowed: {name} may not answer for this duty (not a contact of its "
                         "department or of the coordinating office)."), name=actor.name)
    was = occ.status
    entry.changed = action == Action.help or _apply(session, occ, action, actor, now, evidence_url, note,
                                                    snooze_until, at)
    session.add(entry)
    session.flush()
    if action == Action.help:
        _ask_for_help(session, occ, entry, now)
    followed = tuple(_follow(session, twin, entry, actor, now, snooze_until, at)
                     for twin in twins(session, occ, action, was))
    if followed:
        session.flush()
    return Outcome(occ, entry, entry.changed, followed)


def twins(session: Session, occ: Occurrence, action: str, was: str = OccurrenceStatus.open) -> list[Occurrence]:
    """The other occurrences of `occ`'s duty and department due the same day that `action` applies
    to as well: those still open, or for a reopen those closed as `occ` was (`was`)."""
    if action not in _FOLLOWED or (action == Action.reopen and was == OccurrenceStatus.open):
        return []
    wanted = was if action == Action.reopen else OccurrenceStatus.open
    return list(session.exec(select(Occurrence).where(
        Occurrence.duty_id == occ.duty_id, Occurrence.department_id == occ.department_id,
        Occurrence.due == occ.due, Occurrence.id != occ.id, Occurrence.status == wanted).order_by(Occurrence.id)))


def _follow(session: Session, twin: Occurrence, first: Answer, actor: Actor, now: datetime,
            snooze_until: datetime | None, at: datetime | None) -> Answer:
    """`first` applied to `twin`, logged as following it."""
    entry = Answer(occurrence_id=twin.id, action=first.action, actor=first.actor, contact_id=first.contact_id,
                   channel=first.channel, origin=f"follows answer {first.id}; {first.origin or first.channel}"[:200],
                   evidence_url=first.evidence_url, note=first.note, snooze_until=snooze_until, at=first.at)
    entry.changed = _apply(session, twin, first.action, actor, now, first.evidence_url, first.note, snooze_until, at)
    session.add(entry)
    return entry
