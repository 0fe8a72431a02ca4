"""`duban tick` (plan and send what is due, once) and `duban run` (the service: planner and
dispatcher on the clock, the web side, the bot): the process wiring's front door."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import typer

from db.engine import make_engine
from duban.cli.common import (
    MOMENT_HELP,
    JsonOpt,
    database,
    err,
    fail,
    now,
    out,
    print_json,
    settings,
    shown,
    typed_moment,
)
from scheduler.moments import as_utc


def _wired():
    """Engine, planning and dispatcher from the settings (the adapters' assembly)."""
    from duban import wiring
    from duban.service import Planning

    s = settings()
    engine = make_engine(s.database_url)
    planning = Planning(wiring.calendars(s), s.horizon_days, s.overdue_lookahead_days)
    try:
        channels = wiring.channels(s)
    except ValueError as exc:  # e.g. a DUBAN_SMTP_URL that is not smtp:// or smtps://
        raise fail(str(exc)) from None
    return engine, planning, wiring.dispatcher(engine, s, channels)


class Only(str, Enum):
    dispatch = "dispatch"
    bot = "bot"
    web = "web"


def tick_command(at: Annotated[datetime | None, typer.Option(
                     "--now", parser=typed_moment, help=f"Act as of this moment (default: now); {MOMENT_HELP}.")] = None,
                 as_json: JsonOpt = False) -> None:
    """走一步 Plan and send everything due as of now (or --now), then exit."""
    import asyncio

    from duban.logs import configure_logging
    from duban.service import tick

    configure_logging(settings())
    moment = as_utc(at) if at else now()  # the core works in UTC
    with database():
        pass  # fails clearly when the database is down or not migrated
    engine, planning, dispatcher = _wired()
    planned, sent = asyncio.run(tick(engine, planning, dispatcher, moment))
    result = {"now": moment, **planned.as_json(), **sent.as_json()}
    if as_json:
        print_json(result)
    else:
        out.print(f"{shown(moment)} " + " ".join(f"{k}={v}" for k, v in result.items() if k != "now"),
                  highlight=False)
    if sent.errors:
        for e in sorted(set(sent.errors)):
            err.print(f"[yellow]send failed: {e}[/yellow]", highlight=False)


def run(only: Annotated[Only | None, typer.Option(help="Run one part alone.")] = None) -> None:
    """运行 Start the service: planner and dispatcher on the clock, the web side, and the bot when
    a Telegram token is set (console channel when no channel is configured)."""
    import asyncio

    from duban.logs import configure_logging

    s = settings()
    configure_logging(s)
    with database():
        pass  # fails clearly when the database is down or not migrated
    if only is Only.bot and s.telegram_token is None:
        raise fail("DUBAN_TELEGRAM_TOKEN is not set: the bot has nothing to log in with")
    from web.server import CannotListen

    try:
        asyncio.run(_run_parts(only))
    except CannotListen as exc:
        raise fail(str(exc)) from None


async def _run_parts(only: Only | None) -> None:
    """Start the chosen parts in one event loop and stop them all on SIGTERM or Ctrl-C."""
    import asyncio
    import signal
    from datetime import timedelta

    from duban import wiring
    from duban.service import Service

    s = settings()
    if only in (None, Only.web):
        from web.server import listen, serve_web

        sock = listen(s)  # a taken port stops `duban run` before any part has started
    engine, planning, dispatcher = _wired()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    parts = []
    if only in (None, Only.dispatch):
        service = Service(engine, planning, dispatcher, now, plan_every=timedelta(minutes=s.planner_every_minutes),
                          dispatch_every=timedelta(seconds=s.dispatch_every_seconds))
        parts.append(service.run(stop))
    if only in (None, Only.web):
        parts.append(serve_web(engine, s, stop, sock, wiring.web_routers(s)))
    if only in (None, Only.bot) and s.telegram_token is not None:
        from bot.runner import serve_bot

        parts.append(serve_bot(engine, s, stop))
    await asyncio.gather(*parts)
