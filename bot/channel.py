"""The Telegram channel: sends rendered reminders with answer buttons, and reads Telegram's errors.

Errors are sorted for the dispatcher: flood control (429) is temporary and carries retry_after;
a blocked bot, a deactivated user or a chat that is gone is permanent with `disable`, and the
dispatcher disables that chat in the addresses table (its own session) and falls back to the
contact's other channel (and tells the coordinator); a group that became a supergroup is followed
to its new chat id, the message is sent there, and the receipt tells the dispatcher the new id.
The channel keeps no database and no client of its own: it sends through the process's one
Telegram client (bot/client.py), shared with the bot runner.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot import client
from bot.keyboards import reminder_markup
from bot.limiter import NO_RETRY
from scheduler.channels.base import Limits, Message, Receipt, Recipient, TransportError
from scheduler.channels.registry import ChannelSpec, register
from scheduler.i18n import N_, Problem, Text
from scheduler.settings import Settings

log = logging.getLogger(__name__)
GONE = ("chat not found", "user not found", "peer_id_invalid", "bot was kicked", "chat was deleted",
        "group chat was deactivated", "have no rights to send")  # BadRequest texts meaning "no such chat"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# PTB 22 warns, each time it builds a RetryAfter, that retry_after will become a timedelta;
# `seconds` below reads both forms, so the warning says nothing we need to act on.
warnings.filterwarnings("ignore", message=".*`retry_after` will be of type", category=PTBDeprecationWarning)


def seconds(exc: RetryAfter) -> float:
    """retry_after in seconds (PTB 22 deprecates reading it as an int; both forms are handled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    name = "telegram"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = _limits(settings)
        self._client: client.TelegramClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramChannel:
        if settings.telegram_token is None:
            raise Problem(N_("DUBAN_TELEGRAM_TOKEN is not set"))
        return cls(settings)

    async def _ready_bot(self):
        """The process's client for the running loop (`duban tick` runs one loop per call)."""
        shared = client.shared(self.settings)
        if shared is not self._client:
            self._client = shared
            shared.hold()
        return await shared.ready()

    async def send(self, message: Message) -> Receipt:
        chat = int(message.recipient.address or 0)
        markup = reminder_markup(message.buttons, message.language, message.text, message.button_labels)
        moved = None
        try:
            bot = await self._ready_bot()
            try:
                sent = await bot.send_message(chat, message.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              link_preview_options=NO_PREVIEW, rate_limit_args=NO_RETRY)
            except ChatMigrated as migrated:
                chat = moved = migrated.new_chat_id
                sent = await bot.send_message(chat, message.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              link_preview_options=NO_PREVIEW, rate_limit_args=NO_RETRY)
        except TelegramError as exc:
            raise read_error(exc, Recipient(message.recipient.name, str(chat))) from exc
        return Receipt(provider_id=f"{sent.chat_id}:{sent.message_id}",
                       moved_to=str(moved) if moved is not None else None)

    async def close(self) -> None:
        shared, self._client = self._client, None
        if shared is not None:
            await shared.release()


def read_error(exc: BaseException, recipient: Recipient) -> TransportError | None:
    """Telegram's error, sorted: flood control waits, a chat that is gone is disabled, a refused
    message is permanent, a refused token or an unreachable Bot API pauses the channel."""
    if not isinstance(exc, TelegramError):
        return None
    text, chat = str(exc), recipient.address
    if isinstance(exc, RetryAfter):
        wait = seconds(exc)
        return TransportError(Text("Telegram flood control: retry after {seconds} s", {"seconds": f"{wait:g}"}),
                              retry_after=wait)
    if isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and _gone(text)):
        return TransportError(Text("Telegram chat {chat} is unreachable, binding removed: {error}",
                                   {"chat": chat, "error": text}), disable=True)
    if isinstance(exc, BadRequest):  # the message itself is wrong: sending it again will not help
        return TransportError(Text("Telegram refused the message: {error}", {"error": text}), permanent=True)
    if isinstance(exc, InvalidToken):
        return TransportError(Text("Telegram refused the bot token: check DUBAN_TELEGRAM_TOKEN"), channel_down=True)
    # network errors, timeouts, Telegram's 5xx: nobody can be reached now, so the channel pauses
    return TransportError(Text("Telegram is temporarily unavailable: {error}",
                               {"error": f"{type(exc).__name__}: {text}"}), channel_down=True)


def _limits(settings: Settings) -> Limits:
    return Limits(per_second=settings.telegram_rate_per_second,
                  per_recipient_per_second=1 / settings.telegram_chat_seconds
                  if settings.telegram_chat_seconds else 0.0,
                  group_per_minute=settings.telegram_group_per_minute, group=_group_chat)


def _group_chat(chat: str) -> bool:
    """Telegram's group and supergroup chats have negative ids; people's chats positive ones."""
    return chat.startswith("-")


def _gone(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in GONE)


register(ChannelSpec(
    name="telegram", address="telegram", priority=10, limits=Limits(per_second=30, per_recipient_per_second=1),
    layout="chat", read_error=read_error,
    build=lambda settings: TelegramChannel(settings) if settings.telegram_token is not None else None))
