"""The one small interface every channel implements: `name`, `limits`, `send(message) -> receipt`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Limits:
    """How fast a channel may send: messages per second overall and per recipient."""

    per_second: float = 0.0  # 0 = unlimited
    per_recipient_per_second: float = 0.0


@dataclass(frozen=True)
class Message:
    """A rendered message for one recipient on one channel."""

    recipient: str  # address on the channel: email address, chat id, or a name for the console
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The occurrences shown, in order, as (occurrence id, informational): chat channels add
    # answer buttons for the ones that are not informational. Email carries signed links instead.
    buttons: tuple[tuple[int, bool], ...] = ()
    language: str = "zh"  # the recipient's language, for what the channel adds (button labels)


@dataclass(frozen=True)
class Receipt:
    """What the channel answered: its id for the message, if it gives one."""

    provider_id: str | None = None


class TransportError(Exception):
    """A send failed, and whose fault it is.

    `permanent`: this message or this recipient will never go (bad address, bot blocked): not
    retried. `channel_down`: the channel cannot send to anyone now (relay unreachable, login or
    sender refused, 4xx): the dispatcher pauses the channel and spends no delivery's attempts.
    Neither: this message may go later (retried, spending its attempts). `reply` is the
    provider's answer without addresses, so that refusals of different recipients compare.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 channel_down: bool = False, reply: str | None = None):
        super().__init__(message)
        self.permanent = permanent and not channel_down
        self.retry_after = retry_after
        self.channel_down = channel_down
        self.reply = reply


class Channel(Protocol):
    name: str
    limits: Limits

    async def send(self, message: Message) -> Receipt: ...

    async def close(self) -> None:
        """Let go of connections at shutdown; sending again afterwards reconnects."""
