"""What the bot's commands and buttons do in the database, each through the core's own functions.

Every function takes a session, the chat and `now`, and returns what the handler shows. Answers
go through `scheduler.answers.record.answer` (the same function as the CLI and the email links), which
checks permission and logs refusals; events through `scheduler.answers.events.record_event`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.binding import bound_contacts
from db.models import Contact, Department, Duty, KeyValue, Occurrence, Plan
from db.queries import OccurrenceRow, list_occurrences, occurrence_row
from db.vocabulary import Action, OccurrenceStatus
from scheduler.answers.events import Recorded, find_duty, record_event
from scheduler.answers.record import Actor, Outcome, answer, may_answer
from scheduler.answers.snooze import BadDuration, snooze_until  # noqa: F401 (BadDuration: handlers catch it here)
from scheduler.calendar.workdays import WorkdayCalendar

Calendars = Callable[[str], WorkdayCalendar]
AWAIT_FOR = timedelta(hours=1)  # how long a "send me the link" prompt waits for its answer


@dataclass(frozen=True)
class Chat:
    """Who is talking: the chat (the binding) and the person pressing or typing in it."""

    id: int
    user: str  # the Telegram user's name, recorded with the answer
    group: bool = False


@dataclass(frozen=True)
class View:
    """An occurrence with what a reply needs to name it."""

    occ: Occurrence
    duty: Duty
    plan: Plan
    dept: Department


def view(session: Session, occurrence_id: int) -> View:
    row = occurrence_row(session, occurrence_id)
    return View(row.occurrence, row.duty, row.plan, row.department)


def contacts_of(session: Session, chat: int) -> list[Contact]:
    return bound_contacts(session, chat)


def _name(contact: Contact, chat: Chat) -> str:
    """The contact, and in a shared group chat also the person who pressed."""
    return f"{contact.name}（{chat.user}）" if chat.group and chat.user else contact.name


def actor_for(session: Session, chat: Chat, occ: Occurrence, action: str) -> Actor:
    """The chat's contact that may answer for `occ`; else the first one (or the bare Telegram user),
    whose answer the core refuses and logs."""
    contacts = contacts_of(session, chat.id)
    for c in contacts:
        if may_answer(session, Actor(c.name, contact_id=c.id), occ, action):
            return Actor(_name(c, chat), contact_id=c.id)
    if contacts:
        return Actor(_name(contacts[0], chat), contact_id=contacts[0].id)
    return Actor(f"Telegram {chat.user or chat.id}")


def act(session: Session, chat: Chat, occurrence_id: int, action: str, now: datetime, calendars: Calendars,
        *, evidence_url: str | None = None, note: str | None = None, snooze: str | None = None,
        ) -> tuple[Outcome, View]:
    """Answer through the core; raises NotFound, Refused (logged) or ValueError (a clear message)."""
    v = view(session, occurrence_id)
    until = (snooze_until(v.plan, v.duty, snooze or "1d", now, calendars(v.plan.workdays))
             if action == Action.snooze else None)
    outcome = answer(session, occurrence_id, action, actor=actor_for(session, chat, v.occ, action),
                     channel="telegram", now=now, origin=f"telegram:{chat.id}", evidence_url=evidence_url,
                     note=note, snooze_until=until)
    return outcome, v


def check_may(session: Session, chat: Chat, occurrence_id: int, action: str, now: datetime) -> View:
    """Before asking for a link or a note: refuse (and log, through the core) a stranger now."""
    v = view(session, occurrence_id)
    actor = actor_for(session, chat, v.occ, action)
    if not may_answer(session, actor, v.occ, action):
        answer(session, occurrence_id, action, actor=actor, channel="telegram", now=now,
               origin=f"telegram:{chat.id}")  # raises Refused after logging
    return v


def open_tasks(session: Session, chat: int, now: datetime) -> list[OccurrenceRow]:
    """Open occurrences of the chat's departments, soonest first."""
    departments = {c.department_id for c in contacts_of(session, chat)}
    rows = list_occurrences(session, now, status=OccurrenceStatus.open)
    return [r for r in rows if r.occurrence.department_id in departments]


def coordinated_plans(session: Session, chat: int) -> set[int]:
    """The plans whose coordinating office one of the chat's contacts belongs to."""
    departments = {c.department_id for c in contacts_of(session, chat)}
    if not departments:
        return set()
    return set(session.exec(select(Plan.id).where(col(Plan.coordinator_id).in_(departments))))


def overdue(session: Session, plans: set[int], now: datetime) -> list[OccurrenceRow]:
    return [r for r in list_occurrences(session, now, overdue=True) if r.plan.id in plans]


def event(session: Session, chat: Chat, plans: set[int], duty_ref: str, department: str | None,
          now: datetime, calendars: Calendars) -> tuple[Recorded, View]:
    """Record an event for a duty of a plan the chat coordinates; raises NotFound/ValueError/PermissionError."""
    duty, plan = find_duty(session, duty_ref)
    if plan.id not in plans:
        raise PermissionError(duty_ref)
    recorded = record_event(session, f"{plan.key}/{duty.key}", department=department, happened_at=now,
                            note=None, recorded_by=f"telegram ({chat.user or chat.id})", calendar_of=calendars)
    return recorded, view(session, recorded.occurrence.id)


def set_language(session: Session, chat: int, lang: str | None) -> str:
    """Set (or toggle, when `lang` is None) the language of the chat's contacts."""
    contacts = contacts_of(session, chat)
    current = contacts[0].language if contacts else "zh"
    lang = lang or ("zh" if current == "en" else "en")
    for c in contacts:
        c.language = lang
        session.add(c)
    return lang


# A prompt ("send me the link") waits for the chat's next message; kept in the database so a
# restart or another instance still knows what the answer is for.

class Prompt(StrEnum):
    """What the chat's next message is asked for."""

    link = "link"  # the evidence link: the answer is `done` with it
    help = "help"  # a note: the answer is `help` with it


@dataclass(frozen=True)
class Awaiting:
    """A prompt's context: the action, the occurrence, and the reminder to edit once answered
    (its id, Telegram-HTML text and buttons as Telegram's JSON)."""

    action: Prompt
    occurrence_id: int
    message_id: int | None = None
    html: str | None = None
    markup: dict | None = None


def _await_key(chat: int) -> str:
    return f"telegram.awaiting.{chat}"


def expect(session: Session, chat: int, awaiting: Awaiting, now: datetime) -> None:
    row = session.get(KeyValue, _await_key(chat)) or KeyValue(key=_await_key(chat), value="")
    row.value = json.dumps({**asdict(awaiting), "until": (now + AWAIT_FOR).isoformat()}, ensure_ascii=False)
    row.updated_at = now
    session.add(row)


def expected(session: Session, chat: int, now: datetime) -> Awaiting | None:
    """What the chat's next message answers, if a prompt is still waiting (and forget it)."""
    row = session.get(KeyValue, _await_key(chat))
    if row is None:
        return None
    data = json.loads(row.value)
    session.delete(row)
    if datetime.fromisoformat(data.pop("until")) < now:
        return None
    return Awaiting(**data)
