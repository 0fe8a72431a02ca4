"""`duban plan import NOTICE`: a notice (.txt .docx .xlsx .html .pdf .doc) -> a plan file to review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from db import migrate
from db.engine import make_engine, session_scope
from duban.cli.common import err, fail, now, out, settings, zone
from notices.document import NoticeError
from notices.records import KnownDepartment
from scheduler.bounds import FIRST_YEAR, LAST_YEAR, whole_number
from scheduler.moments import local_day
from scheduler.plans.store import known_departments
from scheduler.settings import hide_password

if TYPE_CHECKING:
    from notices.importer import NoticeImport, Summary

NoticeArg = Annotated[Path, typer.Argument(help="The notice: .txt .docx .xlsx .html .pdf (.doc/.wps with LibreOffice).")]
YearOpt = Annotated[int | None, typer.Option("--year", parser=whole_number(FIRST_YEAR, LAST_YEAR, "年份", "the year"),
                                             help="The year that 9月底前 and 年底前 refer to (default: the notice's).")]
OutOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Write the plan here (default: print it).")]


def _known() -> list[KnownDepartment]:
    """Departments of earlier plans, when the database is set up; none before `duban db upgrade`
    (an import needs no database: it writes a file, and creates no SQLite file either)."""
    url = settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return []
    try:
        engine = make_engine(url)
        if migrate.pending(engine):
            return []
        with session_scope(engine) as session:
            return [KnownDepartment(*row) for row in known_departments(session)]
    except (OperationalError, DBAPIError) as exc:
        why = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err.print(f"[yellow]无法访问数据库，单位按新单位处理 / cannot use the database, departments are not "
                  f"matched with earlier plans: {hide_password(url)}: {why}[/yellow]", highlight=False)
        return []


def _summary_lines(s: Summary) -> str:
    return (f"{s.duties} 项任务 duties, {s.departments} 个单位 departments, {s.recurring} 项周期性 recurring, "
            f"{s.event_triggered} 项事件触发 event-triggered, {s.quotas} 项有次数要求 with quotas, "
            f"{s.ongoing} 项长期 ongoing; {s.needing_review} 项需要核对 need review")


def plan_import(notice: NoticeArg, year: YearOpt = None, output: OutOpt = None) -> None:
    """从通知生成计划文件 Import a notice into a plan file for review (then `plan check`, `plan load`)."""
    # imported here, not on top: every other `duban` command starts without the importer (~0.1 s)
    from notices.importer import import_notice

    if not notice.is_file():
        raise fail(f"找不到文件 no such file: {notice}")
    if output is not None and not output.parent.is_dir():  # said before a long import, not after
        raise fail(f"找不到输出目录 no such folder for the plan: {output.parent}")
    settings()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=err, transient=True) as bar:
        task = bar.add_task("读取 reading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        try:
            result = import_notice(notice, year=year, known=_known(), progress=progress, today=local_day(now(), zone()))
        except NoticeError as exc:
            raise fail(str(exc)) from None
    if not result.plan["duties"]:  # a plan without duties is no plan: `plan check` refuses it
        raise fail(f"{notice.name} 中没有找到任务，未生成计划：请导入含任务分解表或编号任务的通知（不是转发函）/ "
                   f"no duties were found in {notice.name}, no plan was written: import the notice that holds "
                   "the task table or the numbered tasks (not a covering letter)")
    _write(result, output)


def _write(result: NoticeImport, output: Path | None) -> None:
    text = result.yaml()
    if output is None:
        out.file.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"无法写入 cannot write {output}: {exc.strerror}") from None
        err.print(f"[green]✓[/green] {output}", highlight=False)
    for warning in result.warnings:
        err.print(f"[yellow]注意 warning:[/yellow] {warning}", highlight=False)
    err.print(_summary_lines(result.summary), highlight=False)
    if result.summary.needing_review:
        err.print(f"[yellow]请核对后再导入 review, then: duban plan check {output or 'PLAN.yaml'}[/yellow]",
                  highlight=False)
