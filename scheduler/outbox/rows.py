"""New deliveries for the outbox, each kind with its idempotency key: the one place keys are made.

A key names what a delivery is for, so whoever queues it again (the planner's next run, a second
dispatcher, an answer pressed twice) finds the same key and adds nothing (db.outbox.insert_new).
Databases hold pending rows with these keys and the planner cancels the planned ones whose key
it no longer makes, so a key's format must never change:

    r:{occurrence}:{contact}:{purpose}:{day}   a reminder to a lead department's contact
    i:{occurrence}:{contact}:{purpose}:{day}   a support department's informational copy
    e:{occurrence}:{contact}                   the one escalation to a supervisor or coordinator
    s:{occurrence}:{contact}:{until}           the reminder when a snooze ends (ISO time)
    w:{plan}:{contact}:{day}                   the coordinator's weekly summary
    h:{answer}:{contact}                       a request for help to the coordinating office
    hr:{answer}:{contact}                      the office's reply (answer: the reply's own) to who asked
    pause:{channel}:{since}:{contact}          a channel stopped sending (ISO time of the pause)
    resume:{channel}:{since}:{contact}         ... and is back
    fb:{delivery}                              a failed delivery again on the contact's other channel
    rfb:{delivery}:{contact}                   a robot's failed delivery to a contact it replaced
    fbn:{contact}:{coordinator}:{reason}:{at}  the coordinator told that a contact cannot be reached
                                               for a reason (told.py: once until it is reached again);
                                               before issue 17, fbn:{contact}:{coordinator}:{day}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from db.models import Delivery
from db.vocabulary import DeliveryStatus, Purpose
from scheduler.outbox.policy import Slot


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to queue; `channel` empty lets the dispatcher choose the contact's channel."""

    key: str
    contact_id: int
    purpose: Purpose
    send_at: datetime
    occurrence_id: int | None = None
    channel: str = ""
    informational: bool = False
    body: str | None = None
    fallback_of: int | None = None

    def to_row(self) -> dict:
        """The row for db.outbox.insert_new."""
        return {"idempotency_key": self.key, "occurrence_id": self.occurrence_id, "contact_id": self.contact_id,
                "channel": self.channel, "purpose": self.purpose, "informational": self.informational,
                "send_at": self.send_at, "status": DeliveryStatus.pending, "attempts": 0, "body": self.body,
                "fallback_of": self.fallback_of}


def to_rows(deliveries: list[NewDelivery]) -> list[dict]:
    return [d.to_row() for d in deliveries]


def reminder(occurrence_id: int, contact_id: int, slot: Slot) -> NewDelivery:
    """A reminder (upcoming, due, overdue) to a contact of the occurrence's lead department."""
    return NewDelivery(f"r:{occurrence_id}:{contact_id}:{slot.purpose}:{slot.day}", contact_id, slot.purpose,
                       slot.send_at, occurrence_id)


def informational(occurrence_id: int, contact_id: int, slot: Slot) -> NewDelivery:
    """A support department's copy of a reminder: never overdue, never escalated, no answer links."""
    return NewDelivery(f"i:{occurrence_id}:{contact_id}:{slot.purpose}:{slot.day}", contact_id, slot.purpose,
                       slot.send_at, occurrence_id, informational=True)


def escalation(occurrence_id: int, contact_id: int, slot: Slot) -> NewDelivery:
    """The one escalation of an overdue occurrence to a supervisor or a coordinator contact."""
    return NewDelivery(f"e:{occurrence_id}:{contact_id}", contact_id, slot.purpose, slot.send_at, occurrence_id)


def wake(occurrence_id: int, contact_id: int, slot: Slot) -> NewDelivery:
    """The reminder at the moment a snooze ends (`slot.send_at` is the snooze's end)."""
    return NewDelivery(f"s:{occurrence_id}:{contact_id}:{slot.send_at.isoformat()}", contact_id, slot.purpose,
                       slot.send_at, occurrence_id)


def weekly(plan_id: int, plan_key: str, contact_id: int, day: date, send_at: datetime) -> NewDelivery:
    """A plan's weekly summary for one coordinator contact; the body names the plan."""
    return NewDelivery(f"w:{plan_id}:{contact_id}:{day}", contact_id, Purpose.weekly, send_at, body=plan_key)


def help_request(answer_id: int, occurrence_id: int, contact_id: int, now: datetime, note: str) -> NewDelivery:
    """Someone's request for help (answer `answer_id`), to one contact of the coordinating office."""
    return NewDelivery(f"h:{answer_id}:{contact_id}", contact_id, Purpose.help, now, occurrence_id, body=note)


def help_reply(reply_id: int, occurrence_id: int, contact_id: int, now: datetime, text: str) -> NewDelivery:
    """A coordinator's reply (answer `reply_id`) to the contact who asked for help, as a notice
    about the occurrence: one per reply, so the same reply queued twice is sent once."""
    return NewDelivery(f"hr:{reply_id}:{contact_id}", contact_id, Purpose.notice, now, occurrence_id, body=text)


def channel_paused(channel: str, since: datetime, contact_id: int, by: str | None, now: datetime,
                   text: str) -> NewDelivery:
    """A coordinator told that `channel` stopped sending at `since`, by the channel `by` (None: the
    dispatcher chooses)."""
    return _channel_notice("pause", channel, since, contact_id, by, now, text)


def channel_back(channel: str, since: datetime, contact_id: int, by: str | None, now: datetime,
                 text: str) -> NewDelivery:
    """A coordinator told that `channel`, paused since `since`, sends again."""
    return _channel_notice("resume", channel, since, contact_id, by, now, text)


def _channel_notice(change: str, channel: str, since: datetime, contact_id: int, by: str | None,
                    now: datetime, text: str) -> NewDelivery:
    return NewDelivery(f"{change}:{channel}:{since.isoformat()}:{contact_id}", contact_id, Purpose.notice, now,
                       channel=by or "", body=text)


def fallback(d: Delivery, channel: str, now: datetime) -> NewDelivery:
    """The failed delivery `d` again, now, on the contact's other `channel`."""
    return NewDelivery(f"fb:{d.id}", d.contact_id, d.purpose, now, d.occurrence_id, channel, d.informational,
                       d.body, fallback_of=d.id)


def instead_of_robot(d: Delivery, contact_id: int, now: datetime) -> NewDelivery:
    """The failed delivery `d` of a group robot that replaced its department's contacts, now, to
    one of those contacts (on their preferred channel)."""
    return NewDelivery(f"rfb:{d.id}:{contact_id}", contact_id, d.purpose, now, d.occurrence_id,
                       informational=d.informational, body=d.body, fallback_of=d.id)


def unreachable(d: Delivery, coordinator_id: int, reason: str, now: datetime, send_at: datetime,
                text: str) -> NewDelivery:
    """A coordinator told that `d` could not reach its contact, for `reason` (scheduler/outbox/told.py
    decides that it is news): no occurrence, the notice is about the contact."""
    return NewDelivery(f"fbn:{d.contact_id}:{coordinator_id}:{reason}:{now.strftime('%Y%m%dT%H%M%S')}",
                       coordinator_id, Purpose.notice, send_at, body=text, fallback_of=d.id)
