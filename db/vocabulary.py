"""The words Duban stores: occurrence kinds and statuses, delivery statuses and purposes, answer actions.

Each is a StrEnum whose members equal the strings already in the database and the JSON, so a
member compares equal to its string (templates and old rows need no change) and no migration is
needed. db/ is the lowest layer: the core and the adapters import these from here.
"""

from __future__ import annotations

from enum import StrEnum


class OccurrenceKind(StrEnum):
    """Which deadline of a duty an occurrence is (DESIGN.md "Occurrences")."""

    start = "start"  # the date by which the work must have started (启动)
    due = "due"
    recurring = "recurring"  # one period of a duty that repeats (monthly, quarterly ...)
    event = "event"  # counted from a recorded event (文件公开, 突发事件)


class OccurrenceStatus(StrEnum):
    open = "open"
    done = "done"
    waived = "waived"  # a coordinator excused the department (免办)
    cancelled = "cancelled"  # the plan no longer has this deadline


class DeliveryStatus(StrEnum):
    """A delivery's place in the outbox: pending -> claimed (leased) -> sent | failed | cancelled."""

    pending = "pending"
    claimed = "claimed"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class Purpose(StrEnum):
    """Why a delivery is sent; its message's wording is templates/reminders/{lang}/{purpose}.j2."""

    upcoming = "upcoming"
    due = "due"
    overdue = "overdue"
    escalation = "escalation"
    digest = "digest"  # never stored: the message of several deliveries that fall due together
    help = "help"  # someone asked the coordinating office for help
    notice = "notice"  # free text for coordinators: a fallback report, a channel paused or back
    weekly = "weekly"  # the coordinator's weekly summary; its body is the plan's key


# The reminders the planner owns: merged into digests, cancelled when answered, snoozed or no longer
# planned, superseded by a later one of the same occurrence and contact.
PLANNED = (Purpose.upcoming, Purpose.due, Purpose.overdue, Purpose.escalation)


class Action(StrEnum):
    """What an answer did to an occurrence (the answer log's `action`)."""

    done = "done"
    snooze = "snooze"
    help = "help"
    reopen = "reopen"
    waive = "waive"
    refused = "refused"  # logged only: an attempt by someone who may not answer
    reply = "reply"  # a coordinator's note to whoever asked for help (sent to them through the outbox)
    resolve = "resolve"  # a coordinator closed the requests for help made on the occurrence before it


# The actions a person may take (every door: CLI, links, Telegram, board, API).
ANSWERS = (Action.done, Action.snooze, Action.help, Action.reopen, Action.waive)
