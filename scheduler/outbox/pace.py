"""A channel's pace for the whole deployment: its Limits (messages a second overall, and to one
recipient; Telegram: 30 a second, one a second to a chat) held in shared send windows
(db/send_windows.py), so that any number of dispatchers together stay within them.

Unlike a group robot's rate (a recipient allowed a few posts a minute, whose surplus waits to be
merged into the next digest), a pace is a matter of fractions of a second: the dispatcher waits
for the next free moment itself, and only a longer wait (another instance's burst to the same
chat) holds the message back in the outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlmodel import Session

from db import send_windows
from scheduler.channels.base import Limits

MARGIN = 0.05  # seconds added to each window: the time between taking a slot and the send arriving
LONGEST_WAIT = 1.5  # seconds a dispatcher waits in-process for its turn; longer: back to the outbox


def windows(channel: str, limits: Limits, recipient: str) -> list[tuple[str, list[tuple[int, float]]]]:
    """The shared windows a message to `recipient` on `channel` takes a slot in, with their
    (count, seconds) rates: the recipient's, then the channel's as a whole."""
    found = []
    if rates := limits.recipient_rates(recipient):
        found.append((f"{channel}:{recipient}", rates))
    if limits.per_second:
        count = max(1, int(limits.per_second))
        found.append((f"{channel}:*", [(count, count / limits.per_second)]))
    return found


async def keep_pace(session_factory: Callable[[], Session], channel: str, limits: Limits, recipient: str,
                    wall: Callable[[], float], sleep: Callable[[float], Awaitable] = asyncio.sleep) -> float:
    """Take the message's slot in each of its windows, waiting for short turns: 0 when it may
    go now, else the seconds to hold it back (the recipient's window first: a slot of the
    overall pace is not spent on a message that then waits for its chat)."""
    for key, rates in windows(channel, limits, recipient):
        waited = 0.0
        while (wait := send_windows.take(session_factory, key, rates, wall, margin=MARGIN)) > 0:
            if waited + wait > LONGEST_WAIT:
                return wait
            await sleep(wait)
            waited += wait
    return 0.0
