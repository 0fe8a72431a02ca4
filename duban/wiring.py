"""Assembling a running Duban from settings: channels, renderer, signer, calendars, dispatcher.

Importing this module registers every channel adapter (each declares itself in
scheduler/channels/registry.py where it is defined): the core's console and email, bot/'s Telegram.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import APIRouter
from sqlalchemy.engine import Engine
from sqlmodel import Session

# Imported for their registration in scheduler/channels/registry.py: every channel adapter.
import bot.channel  # noqa: F401
import scheduler.channels.console
import scheduler.channels.email  # noqa: F401
from bot import webhook
from db.models import utcnow
from scheduler.access import links
from scheduler.access.links import Signer
from scheduler.calendar import workdays
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.channels import registry
from scheduler.channels.base import Channel
from scheduler.messages.render import Renderer
from scheduler.outbox.breaker import Backoff
from scheduler.outbox.dispatcher import Dispatcher, DispatchPolicy
from scheduler.settings import Settings


def calendars(settings: Settings) -> Callable[[str], WorkdayCalendar]:
    """One calendar per kind (CN, mon-fri) with the settings' extra days, built once."""
    return workdays.calendars(settings.extra_holidays, settings.extra_workdays)


def channels(settings: Settings, extra: dict[str, Channel] | None = None) -> dict[str, Channel]:
    """The channels the settings configure (DUBAN_CHANNELS: those of them), `extra` built ones
    first; the registry's last resort (the console) when nothing else is."""
    return registry.build(settings, settings.channels, extra)


def signer(settings: Settings, now: Callable[[], datetime] = utcnow) -> Signer:
    """The link signer; `now` is the clock links are signed and checked by (the wall clock here,
    at the root: the core is handed it)."""
    return links.signer_for(settings, now)


def dispatch_policy(settings: Settings) -> DispatchPolicy:
    return DispatchPolicy(
        batch=settings.dispatch_batch, lease=timedelta(seconds=settings.lease_seconds),
        tries=settings.send_tries, max_attempts=settings.max_attempts,
        backoff_base=timedelta(seconds=settings.retry_base_seconds),
        backoff_max=timedelta(seconds=settings.retry_max_seconds),
        pause=Backoff(timedelta(seconds=settings.pause_base_seconds),
                      timedelta(seconds=max(settings.pause_max_seconds, settings.pause_base_seconds))))


def dispatcher(engine: Engine, settings: Settings, chans: dict[str, Channel]) -> Dispatcher:
    return Dispatcher(lambda: Session(engine, expire_on_commit=False), chans,
                      Renderer(settings.templates_dir), signer(settings), calendars(settings),
                      worker=worker_name(), policy=dispatch_policy(settings))


def worker_name() -> str:
    """Who holds a lease: host, process and this dispatcher (two in one process hold apart)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def web_routers(settings: Settings) -> list[APIRouter]:
    """What other parts add to the web side: in Telegram webhook mode, the bot's update route
    (it feeds whichever bot serve_bot started). web/ imports no bot/: the root joins them."""
    if settings.telegram_token is not None and settings.telegram_mode == "webhook":
        return [webhook.router(settings)]
    return []
