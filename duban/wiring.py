"""Assembling a running Duban from settings: channels, renderer, signer, calendars, dispatcher."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler.access.links import Signer, load_or_create_secret
from scheduler.calendar.workdays import WorkdayCalendar, calendar_for
from scheduler.channels.base import Channel
from scheduler.channels.console import ConsoleChannel
from scheduler.messages.render import Renderer
from scheduler.outbox.breaker import Backoff
from scheduler.outbox.dispatcher import Dispatcher, DispatchPolicy
from scheduler.settings import Settings


def calendars(settings: Settings) -> Callable[[str], WorkdayCalendar]:
    """One calendar per kind (CN, mon-fri) with the settings' extra days, built once."""

    @cache
    def of(kind: str) -> WorkdayCalendar:
        return calendar_for(kind, settings.extra_holidays, settings.extra_workdays)  # type: ignore[arg-type]

    return of


def channels(settings: Settings, extra: dict[str, Channel] | None = None) -> dict[str, Channel]:
    """The channels the settings configure; the console when nothing else is."""
    found: dict[str, Channel] = dict(extra or {})
    if settings.smtp_url is not None:
        from scheduler.channels.email import EmailChannel

        found["email"] = EmailChannel.from_url(settings.smtp_url.get_secret_value(), settings.mail_from)
    if settings.channels is not None:
        found = {k: v for k, v in found.items() if k in settings.channels}
        if "console" in settings.channels:
            found["console"] = ConsoleChannel()
    elif not found:
        found["console"] = ConsoleChannel()
    return found


def signing_secret(settings: Settings) -> str:
    """The one secret that signs links and board sessions: DUBAN_SECRET_KEY, else the secret file."""
    return (settings.secret_key.get_secret_value() if settings.secret_key
            else load_or_create_secret(settings.secret_file))


def signer(settings: Settings, now: Callable[[], datetime] | None = None) -> Signer:
    """The link signer; `now` is the clock links are signed and checked by (the web app's)."""
    secret = signing_secret(settings)
    return Signer(secret, settings.public_url) if now is None else Signer(secret, settings.public_url, now=now)


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
