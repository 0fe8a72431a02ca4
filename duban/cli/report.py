"""`duban report --month YYYY-MM [--plan KEY] [--xlsx FILE] [--lang zh|en]`: the monthly assessment
report (scheduler/reports/monthly.py), departments ranked by on-time rate; the workbook in one language."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from duban.cli.common import JsonOpt, database, fail, now, out, print_json, print_table, zone
from scheduler.i18n import Problem
from scheduler.reports.monthly import OUTCOMES, Month, MonthReport, month_report


class Lang(str, Enum):
    zh = "zh"
    en = "en"


def _table(result: MonthReport) -> None:
    """The ranking as operators read it in a terminal: the keys of `--json` as column names."""
    print_table(f"{result.month} 月度报表 report", ["rank", "department", "due", *OUTCOMES, "rate"],
                [[d.rank, d.department, d.due, *(d.counts[o] for o in OUTCOMES),
                  "—" if d.on_time_rate is None else f"{d.on_time_rate:.1%}"] for d in result.departments])


def _write(target: Path, result: MonthReport, language: str) -> None:
    from scheduler.reports.xlsx import xlsx_bytes  # openpyxl only when a workbook is asked for

    try:
        target.write_bytes(xlsx_bytes(result, language))
    except OSError as exc:
        raise fail(f"无法写入文件 cannot write {target}: {exc.strerror}") from None


def report(month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
           plan: Annotated[str | None, typer.Option(help="Only this plan (its id); all plans by default.")] = None,
           xlsx: Annotated[Path | None, typer.Option(help="Write the workbook to this file.")] = None,
           lang: Annotated[Lang, typer.Option(help="The workbook's language.")] = Lang.zh,
           as_json: JsonOpt = False) -> None:
    """月度考核报表 The month's duties per department, ranked by on-time rate: on time, late, waived, open, overdue."""
    try:
        which = Month.parse(month)
        with database() as session:
            result = month_report(session, which, now(), plan, zone())
    except Problem as exc:
        raise fail(str(exc)) from None
    if xlsx is not None:
        _write(xlsx, result, lang.value)
    if as_json:
        print_json([asdict(d) | {"due": d.due, "on_time_rate": d.on_time_rate} for d in result.departments])
        return
    _table(result)
    if xlsx is not None:
        out.print(f"[green]✓[/green] wrote {xlsx} ({len(result.lines)} occurrences)", highlight=False)
