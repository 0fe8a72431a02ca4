"""The monthly report as an Excel workbook: a summary sheet per department and a sheet listing
every occurrence with its status, dates and evidence link (what the office files for 考核)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from scheduler.reports.monthly import OUTCOME_NAMES, OUTCOMES, MonthReport

SUMMARY_HEADERS = ["部门 Department", "应办 Due", *(OUTCOME_NAMES[o] for o in OUTCOMES),
                   "按时率 On-time rate", "公开链接 Evidence links"]
DETAIL_HEADERS = ["部门 Department", "计划 Plan", "编号 Duty", "事项 Title", "类型 Kind", "期次 Period",
                  "期限 Due", "状态 Status", "完成时间 Done at", "完成人 Done by", "公开链接 Evidence", "备注 Note"]


def _sheet(ws, title: str, headers: list[str], rows: list[list]) -> None:
    ws.title = title
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # text from people that starts with "=" stays text, never a formula
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for i, header in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(60, len(header) + 4))


def workbook(report: MonthReport) -> Workbook:
    wb = Workbook()
    _sheet(wb.active, f"汇总 {report.month}", SUMMARY_HEADERS, [
        [d.department, d.due, *(d.counts[o] for o in OUTCOMES),
         round(d.on_time_rate, 4) if d.on_time_rate is not None else None, "\n".join(d.evidence)]
        for d in report.departments])
    for row in wb.active.iter_rows(min_row=2, min_col=len(SUMMARY_HEADERS) - 1, max_col=len(SUMMARY_HEADERS) - 1):
        row[0].number_format = "0.0%"
    _sheet(wb.create_sheet(), "明细 Occurrences", DETAIL_HEADERS, [
        [x.department, x.plan, x.duty_key, x.duty, x.kind, x.period, x.due, OUTCOME_NAMES[x.outcome],
         x.done_at.replace(tzinfo=None) if x.done_at else None, x.done_by, x.evidence_url, x.note]
        for x in report.lines])
    for line, row in zip(report.lines, wb["明细 Occurrences"].iter_rows(min_row=2), strict=True):
        if line.evidence_url:
            row[10].hyperlink = line.evidence_url
    return wb


def xlsx_bytes(report: MonthReport) -> bytes:
    buffer = BytesIO()
    workbook(report).save(buffer)
    return buffer.getvalue()
