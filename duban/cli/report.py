"""`duban report --month YYYY-MM [--xlsx FILE]`: the monthly assessment report (scheduler/reports/monthly.py)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from duban.cli.common import JsonOpt, database, fail, now, out, print_json, print_table
from scheduler.reports.monthly import OUTCOMES, Month, month_report


def report(month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
           xlsx: Annotated[Path | None, typer.Option(help="Write the workbook to this file.")] = None,
           as_json: JsonOpt = False) -> None:
    """月度考核报表 The month's duties per department: on time, late, waived, open, overdue."""
    try:
        which = Month.parse(month)
    except ValueError as exc:
        raise fail(str(exc)) from None
    with database() as session:
        result = month_report(session, which, now())
    if xlsx is not None:
        from scheduler.reports.xlsx import xlsx_bytes  # openpyxl only when a workbook is asked for

        try:
            xlsx.write_bytes(xlsx_bytes(result))
        except OSError as exc:
            raise fail(f"无法写入文件 cannot write {xlsx}: {exc.strerror}") from None
    if as_json:
        print_json([asdict(d) | {"due": d.due, "on_time_rate": d.on_time_rate} for d in result.departments])
        return
    print_table(f"{which} 月度报表 report", ["department", "due", *OUTCOMES],
                [[d.department, d.due, *(d.counts[o] for o in OUTCOMES)] for d in result.departments])
    if xlsx is not None:
        out.print(f"[green]✓[/green] wrote {xlsx} ({len(result.lines)} occurrences)", highlight=False)
