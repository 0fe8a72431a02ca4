"""The one small interface every channel implements: `name`, `limits`, `send(message) -> receipt`.
What a channel is (its address kind, layout, errors) is declared in scheduler/channels/registry.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from scheduler.i18n import Text, in_every_language


@dataclass(frozen=True)
class Limits:
    """How fast a channel may send, for the whole deployment (scheduler/outbox/pace.py): messages
    per second overall and per recipient, and per group recipient a minute (`group` tells which
    addresses are groups: Telegram's group chats have negative ids)."""

    per_second: float = 0.0  # 0 = unlimited
    per_recipient_per_second: float = 0.0
    group_per_minute: float = 0.0
    group: Callable[[str], bool] | None = None

    def recipient_rates(self, address: str) -> list[tuple[int, float]]:
        """(count, seconds) rates one recipient's messages keep."""
        rates = [(1, 1 / self.per_recipient_per_second)] if self.per_recipient_per_second else []
        if self.group_per_minute and self.group is not None and self.group(address):
            count = max(1, int(self.group_per_minute))
            rates.append((count, 60 * count / self.group_per_minute))
        return rates


@dataclass(frozen=True)
class Rate:
    """At most `count` messages in any `seconds` to one recipient (a group robot's documented rate)."""

    count: int
    seconds: float


@dataclass(frozen=True)
class Endpoint:
    """Where a group robot or webhook posts: its webhook URL and signing secret as stored (sealed:
    the channel opens them), whom to @-mention by mobile, and the keyword its security setting
    requires in every message."""

    url_sealed: str
    secret_sealed: str | None = None
    mentions: tuple[str, ...] = ()
    keyword: str | None = None


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: the contact's name and its address on the channel (an email address,
    a chat id, a robot's id; None for a channel that reaches people by name, such as the console);
    a robot's `endpoint`."""

    name: str
    address: str | None = None
    endpoint: Endpoint | None = None

    def __str__(self) -> str:
        return self.address if self.address is not None else self.name


@dataclass(frozen=True)
class Message:
    """A rendered message for one recipient on one channel."""

    recipient: Recipient
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The occurrences shown, in order, as (occurrence id, informational): chat channels add
    # answer buttons for the ones that are not informational. Email carries signed links instead.
    buttons: tuple[tuple[int, bool], ...] = ()
    # The label of each one's buttons, in the same order: the item's number in a digest ("3"), with
    # the date for a deadline listed under a daily duty's line ("3 7/31"); empty: number by position.
    button_labels: tuple[str, ...] = ()
    language: str = "zh"  # the recipient's language, for what the channel adds (button labels)
    purpose: str = ""  # why it is sent (db.vocabulary.Purpose: due, digest, ...), for a webhook receiver


@dataclass(frozen=True)
class Receipt:
    """What the channel answered: its id for the message, if it gives one."""

    provider_id: str | None = None
    # The recipient's new address, when the channel followed a move (a group became a supergroup):
    # the dispatcher rewrites the address in its own session.
    moved_to: str | None = None


class TransportError(Exception):
    """A send failed, and whose fault it is.

    `permanent`: this message or this recipient will never go (bad address, bot blocked): not
    retried. `channel_down`: the channel cannot send to anyone now (relay unreachable, login or
    sender refused, 4xx): the dispatcher pauses the channel and spends no delivery's attempts.
    Neither: this message may go later (retried, spending its attempts). `reply` is the
    provider's answer without addresses, so that refusals of different recipients compare.
    `throttled`: the provider refuses this recipient for `retry_after` seconds (a robot posted too
    fast): the dispatcher holds every message to it that long, deployment-wide, spending nothing.
    `disable`: the recipient's address is gone for good (a blocked bot, a deleted chat): the
    dispatcher disables it in the addresses table, in its own session (implies permanent).
    `message` is a Text when a person may read it (a coordinator's notice): `text` says it in their
    language, str() holds zh / en for logs and Attempt rows; a plain str is a provider's or a bug's
    own words, said as they are (`text` is None; scheduler.i18n.told reads both).
    """

    def __init__(self, message: Text | str, *, permanent: bool = False, retry_after: float | None = None,
                 channel_down: bool = False, reply: str | None = None, disable: bool = False,
                 throttled: bool = False):
        self.text = message if isinstance(message, Text) else None
        super().__init__(in_every_language(message) if isinstance(message, Text) else message)
        self.permanent = (permanent or disable) and not channel_down
        self.retry_after = retry_after
        self.channel_down = channel_down
        self.reply = reply
        self.disable = disable and not channel_down
        self.throttled = throttled and not self.permanent


class Channel(Protocol):
    name: str
    limits: Limits

    async def send(self, message: Message) -> Receipt: ...

    async def close(self) -> None:
        """Let go of connections at shutdown; sending again afterwards reconnects."""
