"""The Telegram channel: sends rendered reminders with answer buttons, and reads Telegram's errors.

Errors are sorted for the dispatcher: flood control (429) is temporary and carries retry_after;
a blocked bot, a deactivated user or a chat that is gone is permanent, and that chat's binding is
removed so the dispatcher falls back to email (and tells the coordinator); a group that became a
supergroup is followed to its new chat id and the message is sent there.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
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
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.keyboards import reminder_markup
from bot.limiter import ChatRateLimiter
from db.engine import make_engine, session_scope
from db.models import Contact
from scheduler.channels.base import Limits, Message, Receipt, TransportError
from scheduler.settings import Settings

log = logging.getLogger(__name__)
GONE = ("chat not found", "user not found", "peer_id_invalid", "bot was kicked", "chat was deleted",
        "group chat was deactivated", "have no rights to send")  # BadRequest texts meaning "no such chat"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# PTB 22 warns, each time it builds a RetryAfter, that retry_after will become a timedelta;
# `seconds` below reads both forms, so the warning says nothing we need to act on.
warnings.filterwarnings("ignore", message=".*`retry_after` will be of type", category=PTBDeprecationWarning)


def api_urls(root: str) -> tuple[str, str]:
    """PTB's base_url and base_file_url for a Bot API server root: {root}/bot{token}/{method}."""
    root = root.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def make_bot(settings: Settings, limiter: ChatRateLimiter | None) -> ExtBot:
    base_url, file_url = api_urls(settings.telegram_api_url)
    return ExtBot(settings.telegram_token.get_secret_value(), base_url=base_url, base_file_url=file_url,
                  request=HTTPXRequest(connection_pool_size=64, read_timeout=15, write_timeout=15),
                  rate_limiter=limiter)


def seconds(exc: RetryAfter) -> float:
    """retry_after in seconds (PTB 22 deprecates reading it as an int; both forms are handled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    name = "telegram"

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.settings = settings
        self.limits = Limits(per_second=settings.telegram_rate_per_second,
                             per_recipient_per_second=1 / settings.telegram_chat_seconds
                             if settings.telegram_chat_seconds else 0.0)
        self._engine = engine
        self._bot: ExtBot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> TelegramChannel:
        if settings.telegram_token is None:
            raise ValueError("未设置 DUBAN_TELEGRAM_TOKEN / DUBAN_TELEGRAM_TOKEN is not set")
        return cls(settings, engine)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    async def _ready_bot(self) -> ExtBot:
        """The bot of the running event loop: `duban tick` runs one loop per call, and a client
        cannot outlive its loop, so a new loop gets a new bot (and a new limiter)."""
        loop = asyncio.get_running_loop()
        if self._bot is None or self._loop is not loop:
            self._bot, self._loop = make_bot(self.settings, ChatRateLimiter.from_settings(self.settings)), loop
        await self._bot.initialize()  # getMe once; returns at once when done
        return self._bot

    async def send(self, message: Message) -> Receipt:
        chat = int(message.recipient)
        markup = reminder_markup(message.buttons, message.language, message.text)
        try:
            try:
                bot = await self._ready_bot()
                sent = await bot.send_message(chat, message.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              link_preview_options=NO_PREVIEW)
            except ChatMigrated as moved:
                self._rebind(chat, moved.new_chat_id)
                chat = moved.new_chat_id
                sent = await bot.send_message(chat, message.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              link_preview_options=NO_PREVIEW)
        except TelegramError as exc:
            raise self._transport_error(chat, exc) from exc
        return Receipt(provider_id=f"{sent.chat_id}:{sent.message_id}")

    async def close(self) -> None:
        bot, self._bot = self._bot, None
        if bot is not None and self._loop is asyncio.get_running_loop():
            await bot.shutdown()

    def _transport_error(self, chat: int, exc: TelegramError) -> TransportError:
        text = str(exc)
        if isinstance(exc, RetryAfter):
            wait = seconds(exc)
            return TransportError(f"Telegram 限流 flood control: retry after {wait:g} s", retry_after=wait)
        if isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and _gone(text)):
            self._unbind(chat, text)
            return TransportError(f"Telegram 聊天不可用，已解除绑定 chat {chat} unreachable, binding removed: "
                                  f"{text}", permanent=True)
        if isinstance(exc, BadRequest):  # the message itself is wrong: sending it again will not help
            return TransportError(f"Telegram 拒绝了消息 refused the message: {text}", permanent=True)
        if isinstance(exc, InvalidToken):
            return TransportError("Telegram 令牌无效 the bot token was refused: check DUBAN_TELEGRAM_TOKEN",
                                  channel_down=True)
        # network errors, timeouts, Telegram's 5xx: nobody can be reached now, so the channel pauses
        return TransportError(f"Telegram 暂时不可用 temporary failure: {type(exc).__name__}: {text}",
                              channel_down=True)

    def _contacts(self, chat: int, change: Callable) -> int:
        with session_scope(self.engine) as session:
            result = session.connection().execute(change(update(Contact).where(Contact.telegram_chat_id == chat)))
            return result.rowcount

    def _unbind(self, chat: int, why: str) -> None:
        n = self._contacts(chat, lambda stmt: stmt.values(telegram_chat_id=None))
        log.warning("telegram chat %s is unreachable (%s): removed it from %d contact(s)", chat, why, n)

    def _rebind(self, old: int, new: int) -> None:
        n = self._contacts(old, lambda stmt: stmt.values(telegram_chat_id=new))
        log.info("telegram chat %s moved to %s: updated %d contact(s)", old, new, n)


def _gone(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in GONE)
