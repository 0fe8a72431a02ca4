"""Lookups shared by the CLI, the bot and the web: departments by any name, contacts (and changing
or removing one), occurrences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from difflib import get_close_matches
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from db import outbox
from db.addresses import set_address
from db.models import (
    Answer,
    Contact,
    ContactAddress,
    Delivery,
    Department,
    Duty,
    FeedToken,
    InviteCode,
    Occurrence,
    Plan,
)
from db.robots import ROLE as ROBOT
from db.vocabulary import DeliveryStatus, OccurrenceStatus

DEACTIVATED = "contact deactivated"  # the last_error of the reminders a deactivation cancelled


class NotFound(LookupError):
    """A reference (department, contact, occurrence) that matches nothing; the message says why."""


def find_department(session: Session, ref: str) -> Department:
    """A department by key, numeric id, name or alias; NotFound names the closest matches."""
    ref = ref.strip()
    departments = session.exec(select(Department)).all()
    for d in departments:
        if ref in (d.key, d.name, str(d.id), *d.aliases):
            return d
    names = [d.key for d in departments] + [d.name for d in departments]
    hint = get_close_matches(ref, names, n=3, cutoff=0.4)
    raise NotFound(f"未知部门 unknown department {ref!r}"
                   + (f"; did you mean: {', '.join(hint)}?" if hint else "; see `duban departments`"))


def add_contact(session: Session, department: Department, *, name: str, addresses: dict[str, str | None],
                language: str, role: str) -> Contact:
    """A new contact with its addresses (by channel; None: none); a second contact with the same
    name in one department is refused."""
    exists = session.exec(select(Contact).where(Contact.department_id == department.id,
                                                Contact.name == name)).first()
    if exists:
        raise ValueError(f"联系人已存在 contact {name!r} already exists in {department.name} (id {exists.id})")
    contact = Contact(department_id=department.id, name=name, language=language, role=role)
    session.add(contact)
    session.flush()
    for channel, value in addresses.items():
        set_address(session, contact.id, channel, value, contact.created_at)
    return contact


def edit_contact(session: Session, contact: Contact, now: datetime, *, name: str | None = None,
                 addresses: dict[str, str | None] | None = None, language: str | None = None,
                 role: str | None = None, active: bool | None = None) -> list[str]:
    """Change what is given (None: unchanged; an address None: removed); returns the names of what
    changed. A name another contact of the department has is refused; deactivating cancels the
    reminders still to be sent (deactivate_contact)."""
    _not_a_robot(contact)
    changed = []
    if name is not None and name != contact.name:
        if session.exec(select(Contact.id).where(Contact.department_id == contact.department_id,
                                                 Contact.name == name, Contact.id != contact.id)).first():
            raise ValueError(f"联系人已存在 the department already has a contact called {name!r}")
        contact.name = name
        changed.append("name")
    for field, value in (("language", language), ("role", role)):
        if value is not None and getattr(contact, field) != value:
            setattr(contact, field, value)
            changed.append(field)
    for channel, value in (addresses or {}).items():
        if set_address(session, contact.id, channel, value, now):
            changed.append(channel)
    if active is not None and active != contact.active:
        if active:
            reactivate_contact(session, contact, now)
        else:
            deactivate_contact(session, contact)
        changed.append("active")
    session.add(contact)
    return changed


def _not_a_robot(contact: Contact) -> None:
    if contact.role == ROBOT:
        raise ValueError(f"联系人 {contact.id} 是群机器人 contact {contact.id} is the group robot {contact.name!r}: "
                         "change it with `duban robots`")


def deactivate_contact(session: Session, contact: Contact) -> int:
    """The contact gets nothing more (the planner skips inactive contacts) and keeps its history;
    the reminders still waiting for it are cancelled. Returns how many."""
    contact.active = False
    session.add(contact)
    pending = session.exec(select(Delivery.id).where(Delivery.contact_id == contact.id,
                                                     Delivery.status == DeliveryStatus.pending)).all()
    return outbox.set_status(session, pending, DeliveryStatus.cancelled, last_error=DEACTIVATED)


def reactivate_contact(session: Session, contact: Contact, now: datetime) -> int:
    """The contact is reminded again: what deactivating cancelled and is still to come is pending
    again (the planner adds what falls due later). Returns how many reminders came back."""
    contact.active = True
    session.add(contact)
    cancelled = session.exec(select(Delivery.id).where(
        Delivery.contact_id == contact.id, Delivery.status == DeliveryStatus.cancelled,
        Delivery.last_error == DEACTIVATED, Delivery.send_at >= now)).all()
    return outbox.set_status(session, cancelled, DeliveryStatus.pending, last_error=None)


def has_history(session: Session, contact_id: int) -> bool:
    """Whether anything was planned, sent, answered, issued or invited for the contact."""
    return any(session.exec(select(table.id).where(table.contact_id == contact_id).limit(1)).first() is not None
               for table in (Delivery, Answer, FeedToken, InviteCode))


def remove_contact(session: Session, contact: Contact) -> int | None:
    """Delete a contact that has no history (with its addresses): None. One with history is
    deactivated instead (the log keeps naming it): the number of reminders cancelled."""
    _not_a_robot(contact)
    if has_history(session, contact.id):
        return deactivate_contact(session, contact)
    session.exec(delete(ContactAddress).where(ContactAddress.contact_id == contact.id))
    session.delete(contact)
    return None


def list_contacts(session: Session, department: Department | None = None) -> list[tuple[Contact, Department]]:
    query = select(Contact, Department).join(Department).order_by(Department.key, Contact.name)
    if department is not None:
        query = query.where(Contact.department_id == department.id)
    return list(session.exec(query).all())


@dataclass
class OccurrenceRow:
    """An occurrence with what a person needs to read it."""

    occurrence: Occurrence
    duty: Duty
    plan: Plan
    department: Department

    def days_overdue(self, today: date) -> int:
        return (today - self.occurrence.due).days if self.occurrence.due < today else 0


def today_in(tz: str, now: datetime) -> date:
    """The calendar date at `now` in the time zone `tz`."""
    return now.astimezone(ZoneInfo(tz)).date()


def list_occurrences(session: Session, now: datetime, *, department: Department | None = None,
                     overdue: bool = False, status: str | None = OccurrenceStatus.open, limit: int | None = None,
                     ) -> list[OccurrenceRow]:
    """Occurrences soonest first; `overdue` keeps open ones past their due date in the plan's zone."""
    query = (select(Occurrence, Duty, Plan, Department)
             .join(Duty, Occurrence.duty_id == Duty.id).join(Plan, Duty.plan_id == Plan.id)
             .join(Department, Occurrence.department_id == Department.id)
             .order_by(col(Occurrence.due), col(Occurrence.id)))
    if department is not None:
        query = query.where(Occurrence.department_id == department.id)
    if status or overdue:
        query = query.where(Occurrence.status == (status or OccurrenceStatus.open))
    rows = [OccurrenceRow(*r) for r in session.exec(query).all()]
    if overdue:
        rows = [r for r in rows if r.occurrence.due < today_in(r.plan.timezone, now)]
    return rows[:limit] if limit else rows


def occurrence_row(session: Session, occurrence_id: int) -> OccurrenceRow:
    """One occurrence with its duty, plan and department; NotFound when there is none."""
    row = session.exec(select(Occurrence, Duty, Plan, Department)
                       .join(Duty, Occurrence.duty_id == Duty.id).join(Plan, Duty.plan_id == Plan.id)
                       .join(Department, Occurrence.department_id == Department.id)
                       .where(Occurrence.id == occurrence_id)).first()
    if row is None:
        raise NotFound(f"没有这个事项 no occurrence #{occurrence_id}")
    return OccurrenceRow(*row)
