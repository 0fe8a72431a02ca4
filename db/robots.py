"""Group robots (table Robot): bind one to a department, list, find, remove, enable again.

A robot is reached through its own contact (role "robot", named for the robot) whose address on
the channel `kind` is the robot's id, so its reminders, digests, retries and failures are the
outbox's like any contact's; that address's state says whether it posts. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from db import addresses, outbox
from db.models import AddressState, Contact, ContactAddress, Delivery, Department, Robot
from db.vocabulary import DeliveryStatus

ROLE = "robot"


@dataclass(frozen=True)
class Bound:
    """A robot with its department, its contact and its address (whose state is the robot's)."""

    robot: Robot
    department: Department
    contact: Contact
    address: ContactAddress | None

    @property
    def working(self) -> bool:
        return self.contact.active and self.address is not None and self.address.usable


def add(session: Session, department: Department, robot: Robot, name: str, language: str,
        now: datetime) -> Robot:
    """Bind `robot` (kind, sealed URL and secret, mentions, keyword, instead) to `department`."""
    contact = Contact(department_id=department.id, name=name, language=language, role=ROLE, created_at=now)
    session.add(contact)
    session.flush()
    robot.department_id, robot.contact_id, robot.created_at = department.id, contact.id, now
    session.add(robot)
    session.flush()
    addresses.bind(session, contact.id, robot.kind, str(robot.id), now)
    return robot


def bound(session: Session, robot_id: int | None = None) -> list[Bound]:
    """Every robot still bound (one when `robot_id`), in order."""
    query = (select(Robot, Department, Contact).join(Department, Robot.department_id == Department.id)
             .join(Contact, Robot.contact_id == Contact.id).where(Contact.active == True).order_by(Robot.id))
    if robot_id is not None:
        query = query.where(Robot.id == robot_id)
    found = session.exec(query).all()
    where = addresses.addresses_of(session, (c.id for _, _, c in found))
    return [Bound(r, d, c, where.get(c.id, {}).get(r.kind)) for r, d, c in found]


def by_contact(session: Session, contact_ids: Iterable[int]) -> dict[int, Robot]:
    """The robots behind these contacts (those that are robots), by contact id."""
    ids = list(set(contact_ids))
    if not ids:
        return {}
    return {r.contact_id: r for r in session.exec(select(Robot).where(col(Robot.contact_id).in_(ids)))}


def working(session: Session) -> list[Robot]:
    """The robots that post: bound, and not refused for good by their platform."""
    return list(session.exec(
        select(Robot).join(Contact, Robot.contact_id == Contact.id)
        .join(ContactAddress, (ContactAddress.contact_id == Contact.id) & (ContactAddress.channel == Robot.kind))
        .where(Contact.active == True, ContactAddress.state == AddressState.verified)))


def name_taken(session: Session, department_id: int, name: str) -> bool:
    return session.exec(select(Contact.id).where(Contact.department_id == department_id,
                                                 Contact.name == name)).first() is not None


def remove(session: Session, item: Bound) -> None:
    """Unbind: its contact stops (kept for the history of what it was sent), its address goes,
    and what was still to be posted is cancelled (the people it may have replaced are planned for
    again at the next run)."""
    addresses.unbind(session, item.robot.kind, str(item.robot.id))
    item.contact.active = False
    session.add(item.contact)
    pending = session.exec(select(Delivery.id).where(Delivery.contact_id == item.contact.id,
                                                     Delivery.status == DeliveryStatus.pending)).all()
    outbox.set_status(session, pending, DeliveryStatus.cancelled, last_error="robot removed")


def enable(session: Session, item: Bound, now: datetime) -> None:
    """Post again after its platform refused it (the URL, secret or keyword was fixed)."""
    addresses.bind(session, item.contact.id, item.robot.kind, str(item.robot.id), now)
