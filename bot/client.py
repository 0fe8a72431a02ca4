"""The process's one Telegram client: one ExtBot with one rate limiter, shared by the bot runner
(replies, edits) and the Telegram channel (reminders), which draw on one ~30 messages/s budget.

A client belongs to an event loop (its HTTP pool does), so it is one per process and loop: `duban
run` has one loop, and `duban tick` gets a fresh client for each of its loops. The runner holds
the client while it runs, so a channel closing at shutdown does not close it under the bot.
"""

from __future__ import annotations

import asyncio
import weakref

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.limiter import ChatRateLimiter
from scheduler.settings import Settings

REPLY_RETRIES = 3  # replies and edits wait out a flood themselves; reminders leave it to the dispatcher


def api_urls(root: str) -> tuple[str, str]:
    """PTB's base_url and base_file_url for a Bot API server root: {root}/bot{token}/{method}."""
    root = root.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def make_bot(settings: Settings, limiter: ChatRateLimiter | None) -> ExtBot:
    base_url, file_url = api_urls(settings.telegram_api_url)
    return ExtBot(settings.telegram_token.get_secret_value(), base_url=base_url, base_file_url=file_url,
                  request=HTTPXRequest(connection_pool_size=64, read_timeout=15, write_timeout=15),
                  get_updates_request=HTTPXRequest(read_timeout=settings.telegram_poll_timeout + 10),
                  rate_limiter=limiter)


class TelegramClient:
    """One bot and its limiter; `hold`/`release` count the users, the last one shuts it down."""

    def __init__(self, settings: Settings):
        self.limiter = ChatRateLimiter.from_settings(settings, max_retries=REPLY_RETRIES)
        self.bot = make_bot(settings, self.limiter)
        self.loop = asyncio.get_running_loop()
        self._users = 0

    async def ready(self) -> ExtBot:
        """The bot, initialised (getMe once; at once when done, again after a shutdown)."""
        await self.bot.initialize()
        return self.bot

    def hold(self) -> ExtBot:
        self._users += 1
        return self.bot

    async def release(self) -> None:
        self._users = max(self._users - 1, 0)
        if not self._users and self.loop is asyncio.get_running_loop():
            await self.bot.shutdown()


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, TelegramClient]] = \
    weakref.WeakKeyDictionary()


def _key(settings: Settings) -> tuple:
    return (settings.telegram_token.get_secret_value(), settings.telegram_api_url,
            settings.telegram_rate_per_second, settings.telegram_chat_seconds,
            settings.telegram_group_per_minute, settings.telegram_poll_timeout)


def shared(settings: Settings) -> TelegramClient:
    """The client of this process and running loop for these settings (made on first use)."""
    if settings.telegram_token is None:
        raise ValueError("未设置 DUBAN_TELEGRAM_TOKEN / DUBAN_TELEGRAM_TOKEN is not set")
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    if (key := _key(settings)) not in per_loop:
        per_loop[key] = TelegramClient(settings)
    return per_loop[key]
