"""`duban plan check|show|load FILE`: validate a plan file, show its occurrences, load it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

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
    warnings = calendar_warnings(data, cal, *window)
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
                    "review": [{"duty": k, "why": w} for k, w in data.review], "warnings": warnings})
    else:
        out.print(f"[green]✓[/green] {file}: {data.title} — {len(data.duties)} duties, "
                  f"{len(data.departments)} departments", highlight=False)
        if data.review:
            print_table("需要人工核对 Needs review", ["duty", "why"], [list(r) for r in data.review])
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
    _warn(data, cal, window)
    view = show_plan(data, cal, *window)
    if as_json:
        print_json(view)
        return
    print_table(f"{data.title} ({window[0]} – {window[1]})", ["id", "title", "lead", "schedule", "due"],
                [[d["id"], d["title"], "、".join(d["lead"]), d["schedule"]["text"] or "",
                  " ".join(sorted({o["due"] for o in d["occurrences"]})[:6])] for d in view["duties"]])


@app.command("load")
def plan_load(file: FileArg, as_json: JsonOpt = False) -> None:
    """导入 Load (or reload) a plan file into the database; idempotent."""
    data = load_plan_file(file)
    cal = calendar(data.workdays)
    _warn(data, cal, _window(data, None, None))
    with database() as session:
        moment = now()
        report = store_plan(session, data, calendar=cal, today=moment.date(),
                            horizon_days=settings().horizon_days, now=moment)
    if as_json:
        print_json(report.as_json())
        return
    changes = ", ".join(f"{k} {v}" for k, v in sorted(report.changes.items())) or "nothing changed"
    out.print(f"[green]✓[/green] {data.key}: {changes}", highlight=False)
    if data.review:
        out.print(f"[yellow]{len(data.review)} duties need review: `duban plan check {file}`[/yellow]")
