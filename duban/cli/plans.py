"""`duban plan check|show|load FILE`: validate a plan file, show its occurrences, load it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from db import queries
from duban.cli.common import (
    JsonOpt,
    calendar,
    database,
    err,
    fail,
    load_plan_file,
    now,
    out,
    print_json,
    print_table,
    settings,
)
from scheduler.bounds import parse_day
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.plans.file import PlanData
from scheduler.plans.show import calendar_warnings, default_window, show_plan
from scheduler.plans.store import store_plan

app = typer.Typer(no_args_is_help=True, help="计划文件 Plan files: check, show, load.")

FileArg = Annotated[Path, typer.Argument(help="The plan file (YAML).")]
FromOpt = Annotated[date | None, typer.Option("--from", parser=parse_day, help="Window start (YYYY-MM-DD).")]
ToOpt = Annotated[date | None, typer.Option("--to", parser=parse_day, help="Window end (YYYY-MM-DD).")]


def _window(data: PlanData, start: date | None, end: date | None) -> tuple[date, date]:
    default = default_window(data)
    return start or default[0], end or default[1]


def _warn(data: PlanData, cal: WorkdayCalendar, window: tuple[date, date]) -> list[str]:
    """The calendar's and the plan's warnings (deadlines before `issued`), said on stderr."""
    warnings = calendar_warnings(data, cal, *window) + data.warnings
    for w in warnings:
        err.print(f"[yellow]{w}[/yellow]", highlight=False)
    return warnings


@app.command("check")
def plan_check(file: FileArg, as_json: JsonOpt = False,
               strict: Annotated[bool, typer.Option(help="Fail when a duty needs review.")] = False) -> None:
    """校验 Validate a plan file and list the duties that need a person's review."""
    data = load_plan_file(file)
    cal = calendar(data.workdays)
    warnings = _warn(data, cal, _window(data, None, None))
    if as_json:
        print_json({"plan": data.key, "valid": True, "duties": len(data.duties),
                    "review": data.review_json(), "warnings": warnings})
    else:
        out.print(f"[green]✓[/green] {file}: {data.title} — {len(data.duties)} duties, "
                  f"{len(data.departments)} departments", highlight=False)
        _review_table(data)
    if strict and data.review:
        raise typer.Exit(1)


@app.command("show")
def plan_show(file: FileArg, as_json: JsonOpt = False, start: FromOpt = None, end: ToOpt = None) -> None:
    """展示 Show the normalised plan with each duty's occurrences in a window."""
    data = load_plan_file(file)
    cal = calendar(data.workdays)
    window = _window(data, start, end)
    if window[0] > window[1]:
        raise fail(f"时间窗口无效 the window {window[0]} – {window[1]} ends before it starts: check --from and --to")
    warnings = _warn(data, cal, window)
    view = show_plan(data, cal, *window) | {"warnings": warnings}
    if as_json:
        print_json(view)
        return
    print_table(f"{data.title} ({window[0]} – {window[1]})", ["id", "title", "lead", "schedule", "due"],
                [[d["id"], d["title"], "、".join(d["lead"]), d["schedule"]["text"] or "", _dues(d)]
                 for d in view["duties"]])
    _review_table(data)


def _dues(duty: dict) -> str:
    """The first deadlines; a duty under review is marked (one read only in part has none)."""
    dues = " ".join(sorted({o["due"] for o in duty["occurrences"]})[:6])
    return f"待核对 needs review {dues}".strip() if duty["review"] else dues


def _review_table(data: PlanData) -> None:
    if data.review:
        print_table("需要人工核对 Needs review", ["duty", "why", "source"],
                    [[r["duty"], r["why"], r["source"] or ""] for r in data.review_json()])


AcceptOpt = Annotated[bool, typer.Option("--accept-review", help="Load even though duties still need review.")]


@app.command("load")
def plan_load(file: FileArg, as_json: JsonOpt = False, accept_review: AcceptOpt = False) -> None:
    """导入 Load (or reload) a plan file into the database; idempotent. Refuses open review items."""
    data = load_plan_file(file)
    if data.review and not accept_review:
        raise _refuse_review(data, file)
    cal = calendar(data.workdays)
    _warn(data, cal, _window(data, None, None))
    with database() as session:
        moment = now()
        report = store_plan(session, data, calendar=cal, today=queries.today_in(data.timezone, moment),
                            horizon_days=settings().horizon_days, now=moment)
    if as_json:
        print_json(report.as_json())
        return
    changes = ", ".join(f"{k} {v}" for k, v in sorted(report.changes.items())) or "nothing changed"
    out.print(f"[green]✓[/green] {data.key}: {changes}", highlight=False)
    if data.review:
        out.print(f"[yellow]{len(data.review)} duties need review: `duban plan check {file}`[/yellow]")


def _refuse_review(data: PlanData, file: Path) -> typer.Exit:
    for r in data.review_json():
        where = f" ({r['source']})" if r["source"] else ""
        err.print(f"[red]✗[/red] {r['duty']}{where}: {r['why']}", highlight=False)
    n = len(data.review)
    return fail(f"{n} 项任务需要核对，未导入任何内容：核对后删除其 review 项（或改正时限），或加 --accept-review 导入 / "
                f"{n} duties need review; nothing was loaded: check them and delete each `review` item "
                "(or fix the schedule), or load anyway with --accept-review")
