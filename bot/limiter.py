"""How fast the bot may talk: PTB's AIORateLimiter (whole bot, group chats) plus one per chat.

Telegram allows about 30 messages a second overall, one a second in a chat and 20 a minute in a
group. AIORateLimiter covers the first and the last; private chats get their own limiter here.
A chat waits for its own turn before it takes one of the bot's, so a busy chat never holds up
the others' share of the overall rate. This limiter is the process's own; reminders also keep the
overall and per-chat pace for the whole deployment (scheduler/outbox/pace.py: shared windows in
the database), so several instances together stay within Telegram's limits.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

from scheduler.settings import Settings

_KEEP = 512  # per-chat limiters kept before idle ones are dropped
NO_RETRY = -1  # rate_limit_args of a request that must not wait out a flood (the dispatcher does)
_no_retry: ContextVar[bool] = ContextVar("no_retry", default=False)


class _NoFinalFloodTrace(logging.Filter):
    """Without retries (the channel's requests) a flood wait is handed to the dispatcher, which
    records and honours it; PTB's traceback for it is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum of 0 retries")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_NoFinalFloodTrace())


class ChatRateLimiter(AIORateLimiter):
    """AIORateLimiter with at most one request per `chat_seconds` to any one chat; a request with
    rate_limit_args=NO_RETRY is tried once whatever `max_retries` says."""

    def __init__(self, *, per_second: float, chat_seconds: float, group_per_minute: float,
                 max_retries: int = 0):
        super().__init__(overall_max_rate=per_second, overall_time_period=1,
                         group_max_rate=group_per_minute, group_time_period=60, max_retries=max_retries)
        self._chat_seconds = chat_seconds
        self._chats: dict[str, AsyncLimiter] = {}

    @property
    def _max_retries(self) -> int:  # AIORateLimiter reads it for every request
        return 0 if _no_retry.get() else self._retries

    @_max_retries.setter
    def _max_retries(self, value: int) -> None:
        self._retries = value

    @classmethod
    def from_settings(cls, settings: Settings, max_retries: int = 0) -> ChatRateLimiter:
        return cls(per_second=settings.telegram_rate_per_second, chat_seconds=settings.telegram_chat_seconds,
                   group_per_minute=settings.telegram_group_per_minute, max_retries=max_retries)

    def _chat(self, chat: str) -> AsyncLimiter:
        if len(self._chats) > _KEEP:
            for key, limiter in list(self._chats.items()):
                if key != chat and limiter.has_capacity(limiter.max_rate):
                    del self._chats[key]
        if chat not in self._chats:
            self._chats[chat] = AsyncLimiter(1, self._chat_seconds)
        return self._chats[chat]

    async def process_request(self, callback, args, kwargs, endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None):
        if rate_limit_args == NO_RETRY:
            token = _no_retry.set(True)
            try:
                return await self.process_request(callback, args, kwargs, endpoint, data, None)
            finally:
                _no_retry.reset(token)
        chat = data.get("chat_id")
        if chat is None or not self._chat_seconds:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        async with self._chat(str(chat)):
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
