"""What every command group of `duban` shares: the settings, the wall clock, the database
session, plan files, the consoles, failing with a message, printing JSON and tables, and the
deployment's time zone for the moments people type and read (scheduler/moments.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from db import migrate, queries
from db.engine import make_engine, session_scope
from scheduler import moments
from scheduler.bounds import parse_moment
from scheduler.calendar.workdays import WorkdayCalendar, calendar_for
from scheduler.plans.file import PlanData, read_plan
from scheduler.plans.source import SourceError
from scheduler.settings import Settings, SettingsError, hide_password, load_settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@cache
def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:  # which variable is wrong and why; never a traceback or its value
        raise fail(str(exc)) from None


def now() -> datetime:
    """The wall clock: only the CLI and the service read it; the core is handed it."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """The deployment's time zone (DUBAN_TIMEZONE): what people type and read times in."""
    return settings().zone


def typed_moment(text: str) -> datetime:
    """A moment option (`--now`, `--at`, `--until`): without an offset, the wall clock in the
    deployment's time zone; with one, as written. For typer.Option(parser=...)."""
    return moments.typed(parse_moment(text), zone())


MOMENT_HELP = "ISO time, e.g. '2016-09-29 09:00' (DUBAN_TIMEZONE unless an offset such as +08:00 is given)"


def shown(moment: datetime | None, empty: str = "") -> str:
    """A moment as people read it: 2016-09-29 09:00 in the deployment's time zone."""
    return moments.shown(moment, zone(), empty)


def calendar(kind: str) -> WorkdayCalendar:
    s = settings()
    return calendar_for(kind, s.extra_holidays, s.extra_workdays)  # type: ignore[arg-type]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]错误 error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _json_value(value: Any) -> Any:
    """Moments in the deployment's time zone with their offset, to the second; dates as ISO."""
    if isinstance(value, datetime):
        return moments.stamp(value, zone())
    return value.isoformat() if isinstance(value, date) else str(value)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=_json_value) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return shown(value) if isinstance(value, datetime) else str(value)


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table for people: moments as 2016-09-29 09:00 in the deployment's time zone."""
    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    out.print(table)


@contextmanager
def database() -> Iterator[Session]:
    """A session on the configured database, with clear errors when it is down or not migrated."""
    url = settings().database_url
    try:
        engine = make_engine(url)
        if migrate.pending(engine):
            raise fail(f"数据库未初始化或需要升级 the database at {hide_password(url)} is not at the "
                       "newest schema: run `duban db upgrade`")
        with session_scope(engine) as session:
            yield session
    except (OperationalError, DBAPIError) as exc:
        raise fail(f"无法访问数据库 cannot use the database at {hide_password(url)}: "
                   f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}", 2) from None
    except queries.NotFound as exc:
        raise fail(str(exc)) from None


def load_plan_file(file: Path) -> PlanData:
    try:
        return read_plan(file, moments.local_day(now(), zone()))  # "this year" as people here count it
    except SourceError as exc:
        for p in exc.problems:
            err.print(f"[red]✗[/red] {p}", highlight=False)
        raise fail(f"{len(exc.problems)} 个问题 problem(s) in {file}; nothing was loaded") from None
