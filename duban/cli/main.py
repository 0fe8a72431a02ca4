"""The `duban` command: a thin layer that parses, calls one core function and prints."""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from db import migrate, queries
from db.engine import make_engine, session_scope
from db.models import Contact
from scheduler.bounds import parse_day, parse_id, parse_moment
from scheduler.calendar.workdays import WorkdayCalendar, calendar_for
from scheduler.plans.file import PlanData, read_plan
from scheduler.plans.show import calendar_warnings, default_window, show_plan
from scheduler.plans.source import SourceError
from scheduler.plans.store import store_plan
from scheduler.settings import Settings, SettingsError, hide_password, load_settings, masked

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="督办 Duban: duties, deadlines and reminders for government offices.")
plan_app = typer.Typer(no_args_is_help=True, help="计划文件 Plan files: check, show, load.")
db_app = typer.Typer(no_args_is_help=True, help="数据库 Database schema.")
contacts_app = typer.Typer(no_args_is_help=True, help="联系人 Department contacts.")
app.add_typer(plan_app, name="plan")
app.add_typer(db_app, name="db")
app.add_typer(contacts_app, name="contacts")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class Role(str, Enum):
    primary = "primary"
    backup = "backup"
    supervisor = "supervisor"


@cache
def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:  # which variable is wrong and why; never a traceback or its value
        raise fail(str(exc)) from None


def now() -> datetime:
    """The wall clock: only the CLI and the service read it; the core is handed it."""
    return datetime.now(UTC)


def calendar(kind: str) -> WorkdayCalendar:
    s = settings()
    return calendar_for(kind, s.extra_holidays, s.extra_workdays)  # type: ignore[arg-type]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]错误 error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
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
        return read_plan(file, now().date())
    except SourceError as exc:
        for p in exc.problems:
            err.print(f"[red]✗[/red] {p}", highlight=False)
        raise fail(f"{len(exc.problems)} 个问题 problem(s) in {file}; nothing was loaded") from None


def _window(data: PlanData, start: date | None, end: date | None) -> tuple[date, date]:
    default = default_window(data)
    return start or default[0], end or default[1]


def _warn(data: PlanData, cal: WorkdayCalendar, window: tuple[date, date]) -> list[str]:
    warnings = calendar_warnings(data, cal, *window)
    for w in warnings:
        err.print(f"[yellow]{w}[/yellow]", highlight=False)
    return warnings


FileArg = Annotated[Path, typer.Argument(help="The plan file (YAML).")]
FromOpt = Annotated[date | None, typer.Option("--from", parser=parse_day, help="Window start (YYYY-MM-DD).")]
ToOpt = Annotated[date | None, typer.Option("--to", parser=parse_day, help="Window end (YYYY-MM-DD).")]


@plan_app.command("check")
def plan_check(file: FileArg, as_json: JsonOpt = False,
               strict: Annotated[bool, typer.Option(help="Fail when a duty needs review.")] = False) -> None:
    """校验 Validate a plan file and list the duties that need a person's review."""
    data = load_plan_file(file)
    cal = calendar(data.workdays)
    warnings = _warn(data, cal, _window(data, None, None))
    if as_json:
        print_json({"plan": data.key, "valid": True, "duties": len(data.duties),
                    "review": [{"duty": k, "why": w} for k, w in data.review], "warnings": warnings})
    else:
        out.print(f"[green]✓[/green] {file}: {data.title} — {len(data.duties)} duties, "
                  f"{len(data.departments)} departments", highlight=False)
        if data.review:
            print_table("需要人工核对 Needs review", ["duty", "why"], [list(r) for r in data.review])
    if strict and data.review:
        raise typer.Exit(1)


@plan_app.command("show")
def plan_show(file: FileArg, as_json: JsonOpt = False, start: FromOpt = None, end: ToOpt = None) -> None:
    """展示 Show the normalised plan with each duty's occurrences in a window."""
    data = load_plan_file(file)
    cal = calendar(data.workdays)
    window = _window(data, start, end)
    if window[0] > window[1]:
        raise fail(f"时间窗口无效 the window {window[0]} – {window[1]} ends before it starts: check --from and --to")
    _warn(data, cal, window)
    view = show_plan(data, cal, *window)
    if as_json:
        print_json(view)
        return
    print_table(f"{data.title} ({window[0]} – {window[1]})", ["id", "title", "lead", "schedule", "due"],
                [[d["id"], d["title"], "、".join(d["lead"]), d["schedule"]["text"] or "",
                  " ".join(sorted({o["due"] for o in d["occurrences"]})[:6])] for d in view["duties"]])


@plan_app.command("load")
def plan_load(file: FileArg, as_json: JsonOpt = False) -> None:
    """导入 Load (or reload) a plan file into the database; idempotent."""
    data = load_plan_file(file)
    cal = calendar(data.workdays)
    _warn(data, cal, _window(data, None, None))
    with database() as session:
        report = store_plan(session, data, calendar=cal, today=now().date(),
                            horizon_days=settings().horizon_days)
    if as_json:
        print_json(report.as_json())
        return
    changes = ", ".join(f"{k} {v}" for k, v in sorted(report.changes.items())) or "nothing changed"
    out.print(f"[green]✓[/green] {data.key}: {changes}", highlight=False)
    if data.review:
        out.print(f"[yellow]{len(data.review)} duties need review: `duban plan check {file}`[/yellow]")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """升级 Create or upgrade the database schema to the newest migration."""
    url = settings().database_url
    try:
        make_engine(url).dispose()  # creates the SQLite folder
        migrate.upgrade(url)
    except (OperationalError, DBAPIError) as exc:
        raise fail(f"无法访问数据库 cannot use the database at {hide_password(url)}: {exc.orig}", 2) from None
    out.print(f"[green]✓[/green] database at {hide_password(url)} is at the newest schema", highlight=False)


@app.command("occurrences")
def occurrences(department: Annotated[str | None, typer.Option(help="Department id, name or alias.")] = None,
                overdue: Annotated[bool, typer.Option(help="Only open ones past their due date.")] = False,
                status: Annotated[str, typer.Option(help="open, done, waived, cancelled or all.")] = "open",
                limit: Annotated[int, typer.Option(min=0, max=100_000, help="At most this many rows (0 = all).")] = 200,
                as_json: JsonOpt = False) -> None:
    """事项 List occurrences, soonest first."""
    moment = now()
    with database() as session:
        dept = queries.find_department(session, department) if department else None
        rows = queries.list_occurrences(session, moment, department=dept, overdue=overdue,
                                        status=None if status == "all" else status, limit=limit or None)
    items = [{"id": r.occurrence.id, "plan": r.plan.key, "duty": r.duty.key, "title": r.duty.title,
              "department": r.department.name, "kind": r.occurrence.kind, "period": r.occurrence.period,
              "due": r.occurrence.due.isoformat(), "status": r.occurrence.status,
              "days_overdue": r.days_overdue(queries.today_in(r.plan.timezone, moment))} for r in rows]
    if as_json:
        print_json(items)
        return
    print_table("事项 Occurrences", ["id", "due", "overdue", "department", "duty", "title", "kind", "status"],
                [[i["id"], i["due"], i["days_overdue"] or "", i["department"], i["duty"], i["title"],
                  i["kind"], i["status"]] for i in items])


@app.command("departments")
def departments(as_json: JsonOpt = False) -> None:
    """部门 List departments."""
    from sqlmodel import select

    from db.models import Department

    with database() as session:
        rows = session.exec(select(Department).order_by(Department.key)).all()
    items = [{"id": d.id, "key": d.key, "name": d.name, "aliases": d.aliases, "tags": d.tags} for d in rows]
    if as_json:
        print_json(items)
        return
    print_table("部门 Departments", ["id", "key", "name", "aliases", "tags"],
                [[d["id"], d["key"], d["name"], "、".join(d["aliases"]), ", ".join(d["tags"])] for d in items])


@contacts_app.command("add")
def contacts_add(department: Annotated[str, typer.Option(help="Department id, name or alias.")],
                 name: Annotated[str, typer.Option(help="The contact's name.")],
                 email: Annotated[str | None, typer.Option()] = None,
                 telegram: Annotated[int | None, typer.Option(help="Telegram chat id.")] = None,
                 lang: Annotated[Lang, typer.Option()] = Lang.zh,
                 role: Annotated[Role, typer.Option()] = Role.primary,
                 as_json: JsonOpt = False) -> None:
    """添加联系人 Add a contact to a department."""
    from scheduler.plans.file import ContactIn

    try:
        ContactIn(department=department, name=name, email=email, telegram=telegram, lang=lang.value,
                  role=role.value)
    except ValueError as exc:
        raise fail(f"无效的联系人 invalid contact: {exc.errors()[0]['msg']}") from None  # type: ignore[attr-defined]
    with database() as session:
        dept = queries.find_department(session, department)
        try:
            contact = queries.add_contact(session, dept, name=name.strip(), email=email, telegram=telegram,
                                          language=lang.value, role=role.value)
        except ValueError as exc:
            raise fail(str(exc)) from None
        item = {"id": contact.id, "department": dept.name, "name": contact.name, "email": contact.email,
                "telegram": contact.telegram_chat_id, "lang": contact.language, "role": contact.role}
    if as_json:
        print_json(item)
    else:
        out.print(f"[green]✓[/green] contact {item['id']}: {item['name']} ({item['department']})",
                  highlight=False)


@contacts_app.command("list")
def contacts_list(department: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False) -> None:
    """联系人列表 List contacts."""
    with database() as session:
        dept = queries.find_department(session, department) if department else None
        rows = queries.list_contacts(session, dept)
        items = [{"id": c.id, "department": d.name, "name": c.name, "email": c.email,
                  "email_opt_out_at": c.email_opt_out_at.isoformat() if c.email_opt_out_at else None,
                  "telegram": c.telegram_chat_id, "lang": c.language, "role": c.role, "active": c.active}
                 for c, d in rows]
    if as_json:
        print_json(items)
        return
    print_table("联系人 Contacts", ["id", "department", "name", "email", "telegram", "lang", "role"],
                [[i["id"], i["department"], i["name"],
                  f"{i['email']} (已退订 unsubscribed)" if i["email_opt_out_at"] else i["email"],
                  i["telegram"], i["lang"], i["role"]] for i in items])


@contacts_app.command("resubscribe")
def contacts_resubscribe(contact_id: Annotated[int, typer.Argument(
                             parser=parse_id, help="The contact's id (duban contacts list).")]) -> None:
    """恢复邮件提醒 Email a contact again after they used the unsubscribe link (on their request)."""
    with database() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise fail(f"找不到联系人 {contact_id} / no contact with id {contact_id}: see duban contacts list")
        if not contact.email:
            raise fail(f"{contact.name} 没有邮箱地址 / has no email address: add it in the plan file")
        was = contact.email_opt_out_at
        contact.email_opt_out_at = None
        session.add(contact)
    out.print(f"[green]✓[/green] {contact.name} <{contact.email}>: "
              + ("恢复邮件提醒 email reminders resumed" if was else "本来就在接收邮件 was already receiving email"),
              highlight=False)


@app.command("settings")
def show_settings(as_json: JsonOpt = False) -> None:
    """设置 Print the effective settings, secrets masked."""
    values = masked(settings())
    if as_json:
        print_json(values)
        return
    print_table("设置 Settings", ["name", "value"], [[k, v] for k, v in values.items()])


def _wired():
    """Engine, planning and dispatcher from the settings (the adapters' assembly)."""
    from duban import wiring
    from duban.service import Planning

    s = settings()
    engine = make_engine(s.database_url)
    planning = Planning(wiring.calendars(s), s.horizon_days, s.overdue_lookahead_days)
    extra = {}
    if s.telegram_token is not None:
        from bot.channel import TelegramChannel

        extra["telegram"] = TelegramChannel.from_settings(s)
    try:
        channels = wiring.channels(s, extra)
    except ValueError as exc:  # e.g. a DUBAN_SMTP_URL that is not smtp:// or smtps://
        raise fail(str(exc)) from None
    return engine, planning, wiring.dispatcher(engine, s, channels)


class Only(str, Enum):
    dispatch = "dispatch"
    bot = "bot"
    web = "web"


@app.command("tick")
def tick_command(at: Annotated[datetime | None, typer.Option(
                     "--now", parser=parse_moment, help="ISO time to act as of (default: now).")] = None,
                 as_json: JsonOpt = False) -> None:
    """走一步 Plan and send everything due as of now (or --now), then exit."""
    import asyncio

    from duban.logs import configure_logging
    from duban.service import tick

    configure_logging(settings())
    moment = (at.replace(tzinfo=at.tzinfo or UTC) if at else now()).astimezone(UTC)
    with database():
        pass  # fails clearly when the database is down or not migrated
    engine, planning, dispatcher = _wired()
    planned, sent = asyncio.run(tick(engine, planning, dispatcher, moment))
    result = {"now": moment.isoformat(), **planned.as_json(), **sent.as_json()}
    if as_json:
        print_json(result)
    else:
        out.print(" ".join(f"{k}={v}" for k, v in result.items()), highlight=False)
    if sent.errors:
        for e in sorted(set(sent.errors)):
            err.print(f"[yellow]send failed: {e}[/yellow]", highlight=False)


@app.command("run")
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
    from duban.service import CannotStart

    try:
        asyncio.run(_run_parts(only))
    except CannotStart as exc:
        raise fail(str(exc)) from None


async def _run_parts(only: Only | None) -> None:
    """Start the chosen parts in one event loop and stop them all on SIGTERM or Ctrl-C."""
    import asyncio
    import signal
    from datetime import timedelta

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
        parts.append(serve_web(engine, s, stop, sock))
    if only in (None, Only.bot) and s.telegram_token is not None:
        from bot.runner import serve_bot

        parts.append(serve_bot(engine, s, stop))
    await asyncio.gather(*parts)


class Action(str, Enum):
    done = "done"
    snooze = "snooze"
    help = "help"
    reopen = "reopen"
    waive = "waive"


@app.command("answer")
def answer_command(occurrence: Annotated[int, typer.Argument(
                       parser=parse_id, help="Occurrence id (see `duban occurrences`).")],
                   action: Annotated[Action, typer.Argument()],
                   evidence: Annotated[str | None, typer.Option(help="Link to what was published.")] = None,
                   note: Annotated[str | None, typer.Option()] = None,
                   until: Annotated[datetime | None, typer.Option(
                       parser=parse_moment, help="Snooze until (ISO time); default: next working day 09:00.")] = None,
                   by: Annotated[str, typer.Option(help="Who answers (recorded in the log).")] = "cli",
                   as_json: JsonOpt = False) -> None:
    """答复 Mark an occurrence done, snooze it, ask for help, reopen or waive it."""
    import getpass

    from scheduler.answers.record import Actor, Refused, answer

    moment = now()
    with database() as session:
        snooze = _snooze_until(session, occurrence, until, moment) if action is Action.snooze else None
        try:
            outcome = answer(session, occurrence, action.value, actor=Actor(f"{by} ({getpass.getuser()})",
                             coordinator=True), channel="cli", now=moment, origin="cli",
                             evidence_url=evidence, note=note, snooze_until=snooze)
        except (Refused, ValueError) as exc:
            raise fail(str(exc)) from None
        result = {"occurrence": outcome.occurrence.id, "action": action.value, "changed": outcome.changed,
                  "status": outcome.occurrence.status,
                  "snoozed_until": snooze.isoformat() if snooze else None}
    if as_json:
        print_json(result)
    else:
        what = "recorded" if outcome.changed else "already so; logged as a repeat"
        out.print(f"[green]✓[/green] occurrence {occurrence}: {action.value} {what} "
                  f"(status {result['status']})", highlight=False)


def _snooze_until(session: Session, occurrence: int, until: datetime | None, moment: datetime) -> datetime:
    """An explicit time (naive = the plan's local time), else the next working day at the send time."""
    from zoneinfo import ZoneInfo

    from db.models import Duty, Occurrence, Plan
    from scheduler.answers.snooze import snooze_until

    occ = session.get(Occurrence, occurrence)
    if occ is None:
        raise queries.NotFound(f"没有这个事项 no occurrence #{occurrence}: see `duban occurrences`")
    duty = session.get(Duty, occ.duty_id)
    plan = session.get(Plan, duty.plan_id)
    if until is not None:
        return (until if until.tzinfo else until.replace(tzinfo=ZoneInfo(plan.timezone))).astimezone(UTC)
    return snooze_until(plan, duty, "1d", moment, calendar(plan.workdays))


event_app = typer.Typer(no_args_is_help=True, help="事件 Events that start a deadline.")
app.add_typer(event_app, name="event")


@event_app.command("record")
def event_record(duty: Annotated[str, typer.Argument(help="PLAN/KEY, or KEY when only one plan has it.")],
                 department: Annotated[str | None, typer.Option(help="Lead department (id, name or alias).")] = None,
                 at: Annotated[datetime | None, typer.Option(
                     parser=parse_moment, help="When it happened (ISO; naive = plan's local time).")] = None,
                 note: Annotated[str | None, typer.Option()] = None,
                 as_json: JsonOpt = False) -> None:
    """记录事件 Record an event (e.g. 文件公开) and create the deadline it starts."""
    import getpass

    from scheduler.answers.events import record_event

    moment = now()
    with database() as session:
        try:
            rec = record_event(session, duty, department=department, happened_at=at or moment, note=note,
                               recorded_by=f"cli ({getpass.getuser()})", calendar_of=calendar)
        except ValueError as exc:
            raise fail(str(exc)) from None
        result = {"event": rec.event.id, "occurrence": rec.occurrence.id, "deadline": rec.deadline.isoformat(),
                  "due": rec.occurrence.due.isoformat()}
    if as_json:
        print_json(result)
    else:
        out.print(f"[green]✓[/green] event {result['event']}: occurrence {result['occurrence']} "
                  f"due {result['deadline']}", highlight=False)


INTERNAL_ERROR = 70  # sysexits' EX_SOFTWARE: a fault in duban itself, not in what was asked


def main() -> None:
    """The `duban` command. A fault that no command foresaw ends in one line on stderr and exit
    code 70, never a traceback: the traceback goes to the log at DEBUG, and to stderr with DUBAN_DEBUG=1."""
    try:
        app()
    except Exception as exc:  # the last resort: known faults are answered where they happen
        logging.getLogger("duban.cli").debug("unexpected fault", exc_info=exc)
        if os.environ.get("DUBAN_DEBUG"):
            traceback.print_exception(exc)
        detail = hide_password(" ".join(str(exc).split()))[:200]
        err.print(f"[red]错误 error:[/red] 意外故障 unexpected fault ({type(exc).__name__}: {detail}). "
                  "请报告给管理员 Please report it; DUBAN_DEBUG=1 shows the details.", highlight=False)
        sys.exit(INTERNAL_ERROR)


# bot/ and web/ add their own commands (invites, feeds, users, reports): each module has register(app).
# Registered last, so those modules may import this one's helpers.
PART_COMMANDS: list[str] = ["duban.cli.telegram", "duban.cli.report", "duban.cli.api", "duban.cli.feeds", "duban.cli.users"]
for _name in PART_COMMANDS:
    importlib.import_module(_name).register(app)
