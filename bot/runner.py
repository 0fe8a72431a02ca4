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
from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot import client, feeds, webhook
from bot.commands import set_coordinator_commands, set_default_commands
from bot.context import Deps
from bot.handlers import install
from db import locks
from db.locks import Leadership
from scheduler.calendar.workdays import calendars
from scheduler.settings import Settings

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
LEAD_CHECK_SECONDS = 1.0  # how often a follower tries to lead, and the leader checks it still does
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
            if await _stopped_within(stop, delay):
                return False
            delay = min(delay * 2, 60.0)
    return False


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, or less when `stop` comes first: True when it did."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
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


async def _lead(leadership: Leadership, stop: asyncio.Event, check_seconds: float) -> bool:
    """Wait until this instance leads (True), trying every `check_seconds`; False when stopped."""
    waiting = False
    while not stop.is_set():
        try:
            if await asyncio.to_thread(leadership.try_lead):
                return True
            if not waiting:
                log.info("另一实例正在接收 Telegram 消息 another instance polls Telegram: this one takes over "
                         "when it stops")
                waiting = True
        except SQLAlchemyError as exc:  # the database is down: nobody can lead; try again
            log.warning("cannot reach the database to lead Telegram polling: %s", type(exc).__name__)
        if await _stopped_within(stop, check_seconds):
            return False
    return False


async def _poll_while_leading(application: Application, engine: Engine, settings: Settings,
                              stop: asyncio.Event, leadership: Leadership, check_seconds: float) -> None:
    """Poll Telegram while this instance leads (Telegram answers one poller at a time); follow while
    another one does, and take over within `check_seconds` of its end."""
    while await _lead(leadership, stop, check_seconds):
        if not await _unless_stopped(_listen(application, engine, settings), stop):
            return
        while not await _stopped_within(stop, check_seconds):
            if not await asyncio.to_thread(leadership.still_leading):
                log.warning("lost the lead of Telegram polling (database connection ended): stopping polling")
                await application.updater.stop()  # confirms what it fetched; another instance takes over
                break
        else:
            return


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


async def serve_bot(engine: Engine, settings: Settings, stop: asyncio.Event, *, clock: Clock | None = None,
                    check_seconds: float = LEAD_CHECK_SECONDS) -> None:
    """Run the bot until `stop` is set, then stop fetching, confirm, and finish what was fetched.
    Polling is led by one instance of the deployment at a time (db/locks.py); webhook mode needs
    no leader, since Telegram posts each update to one web instance."""
    application = build_application(engine, settings, clock=clock)
    if not await _initialize(application, stop):
        return
    leadership = Leadership(engine, locks.TELEGRAM_POLLING)
    try:
        await application.start()
        if settings.telegram_mode == "polling":
            await _poll_while_leading(application, engine, settings, stop, leadership, check_seconds)
        elif await _unless_stopped(_listen(application, engine, settings), stop):
            await stop.wait()
    finally:
        webhook.withdraw(application)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()  # confirms the offset of every fetched update
        leadership.resign()  # after the confirmation: the next leader must not fetch them again
        if application.running:
            await application.stop()  # handles what is still queued
        await application.shutdown()
        log.info("Telegram bot stopped")
