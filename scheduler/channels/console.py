"""The console channel: prints what would be sent. The default when nothing else is configured."""

from __future__ import annotations

import itertools
import sys
from typing import TextIO

from scheduler.channels.base import Limits, Message, Receipt
from scheduler.channels.registry import ChannelSpec, register
from scheduler.messages.render import Layout


class ConsoleChannel:
    name = "console"
    limits = Limits()

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self._ids = itertools.count(1)

    async def send(self, message: Message) -> Receipt:
        n = next(self._ids)
        self.stream.write(f"--- [console #{n}] to {message.recipient}: {message.subject}\n{message.text}\n")
        self.stream.flush()
        return Receipt(provider_id=f"console-{n}")

    async def close(self) -> None:
        self.stream.flush()


# Reaches every contact by name: the last resort, used when nothing else is configured.
# It prints the plain text only: its layout is email's without the HTML page (a third of the work).
register(ChannelSpec(name="console", address=None, priority=100, layout=Layout("console", "_text.j2"),
                     build=lambda settings: ConsoleChannel()))
