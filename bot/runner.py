"""Running the bot: the PTB application with Duban's handlers, polling (default) or fed by the web
side's webhook route, until `stop` is set.

Stopping finishes cleanly: the updater stops fetching and confirms the offset of everything it
fetched (one last getUpdates), then the application handles every update still queued, so no
update is handled twice or lost across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot import client, feeds, webhook
from bot.commands import set_coordinator_commands, set_default_commands
from bot.context import Deps
from bot.handlers import install
from scheduler.calendar.workdays import calendars
from scheduler.settings import Settings

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def build_application(engine: Engine, settings: Settings, *, clock: Clock | None = None) -> Application:
    """The PTB application for the settings, on the process's one Telegram client (its Bot API
    server and rate limiter, shared with the Telegram channel), with Duban's handlers."""
    builder = Application.builder().bot(client.shared(settings).hold()).job_queue(None)
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    clock = clock or _now
    cals = calendars(settings.extra_holidays, settings.extra_workdays)
    install(application, Deps(engine, settings, cals, clock, feed_url=feeds.resolver(settings, clock)))
    return application


async def _initialize(application: Application, stop: asyncio.Event) -> bool:
    """getMe until the Bot API answers (or `stop`); False when the token is refused or stopped."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            log.error("Telegram 拒绝了令牌 the Bot API refused DUBAN_TELEGRAM_TOKEN: the bot is not started")
            return False
        except TelegramError as exc:
            log.warning("Telegram 暂时无法连接 cannot reach the Bot API (%s); retrying in %.0f s", exc, delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, 60.0)
    return False


async def _listen(application: Application, engine: Engine, settings: Settings) -> None:
    await set_default_commands(application.bot)
    await set_coordinator_commands(application.bot, engine)
    if settings.telegram_mode == "webhook":
        await application.bot.set_webhook(webhook.url(settings), secret_token=webhook.secret(settings),
                                          allowed_updates=ALLOWED_UPDATES)
        webhook.publish(application)
    else:
        await application.updater.start_polling(timeout=timedelta(seconds=settings.telegram_poll_timeout),
                                                allowed_updates=ALLOWED_UPDATES, bootstrap_retries=-1)
    log.info("Telegram bot @%s started (%s)", application.bot.username, settings.telegram_mode)


async def _unless_stopped(work: Coroutine, stop: asyncio.Event) -> bool:
    """Run `work` unless `stop` comes first (then `work` is cancelled); True when it finished.
    Starting retries while the Bot API is unreachable, and a stop must not wait for it."""
    task, stopped = asyncio.ensure_future(work), asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task in done:
        task.result()  # a failure to start is raised here
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False


async def serve_bot(engine: Engine, settings: Settings, stop: asyncio.Event, *, clock: Clock | None = None) -> None:
    """Run the bot until `stop` is set, then stop fetching, confirm, and finish what was fetched."""
    application = build_application(engine, settings, clock=clock)
    if not await _initialize(application, stop):
        return
    try:
        await application.start()
        if await _unless_stopped(_listen(application, engine, settings), stop):
            await stop.wait()
    finally:
        webhook.withdraw(application)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()  # confirms the offset of every fetched update
        if application.running:
            await application.stop()  # handles what is still queued
        await application.shutdown()
        log.info("Telegram bot stopped")
