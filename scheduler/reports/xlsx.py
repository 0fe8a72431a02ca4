"""The monthly report as the Excel workbook an office prints and files for 考核: a summary sheet
(title row, departments ranked by on-time rate), a detail sheet (one line per occurrence, with
its evidence link) and a chart sheet (on-time rate per department), in one language. Every sheet
prints on A4 landscape, fitted to the page's width, its header row repeated on each page.
"""

from __future__ import annotations

from io import BytesIO
from unicodedata import east_asian_width

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chartsheet import Chartsheet
from openpyxl.drawing.spreadsheet_drawing import AbsoluteAnchor
from openpyxl.drawing.xdr import XDRPoint2D, XDRPositiveSize2D
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.units import cm_to_EMU
from openpyxl.worksheet.page import PageMargins, PrintPageSetup
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.i18n import LANGUAGES, N_, translator
from scheduler.reports import bulletin
from scheduler.reports.bulletin import DETAIL_COLUMNS, SUMMARY_COLUMNS, Column
from scheduler.reports.monthly import MonthReport

TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3  # the title, the header repeated on every page, the data
SHEETS = {"summary": N_("Summary"), "detail": N_("Details"), "chart": N_("Chart")}
CHART_TITLE = N_("On-time completion rate by department")
FORMATS = {"count": "0", "rank": "0", "percent": "0.0%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
CENTRED = {"count", "rank", "percent", "date", "datetime"}
# Column widths in characters of a Latin font (CJK characters count twice): long text wraps
# past its kind's width, so a detail line fits on A4 landscape at a readable size.
MIN_WIDTH, MAX_WIDTH = 6, 28
MAX_WIDTHS = {"prose": 30, "link": 32, "links": 36}
LINE_HEIGHT = 15  # points: one line of the default 11-point font
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", start_color="D9D9D9")
CHART_SIZE = (27.0, 18.0)  # cm: A4 landscape within the margins
MARGINS = PageMargins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)  # inches


def text_width(value: object) -> int:
    """How wide `value` prints, in Latin characters: a Chinese character takes two."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in longest)


def _shown(value: object) -> object:
    """What a cell holds: a list of links one a line; everything else as it is."""
    return "\n".join(value) if isinstance(value, list) else value


def _title(ws: Worksheet, text: str, width: int) -> None:
    ws.cell(TITLE_ROW, 1, text).font = Font(bold=True, size=16)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    ws.row_dimensions[TITLE_ROW].height = 32


def _header(ws: Worksheet, names: list[str]) -> None:
    for i, name in enumerate(names, 1):
        cell = ws.cell(HEADER_ROW, i, name)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _styles(wb: Workbook) -> None:
    """One named style per kind of value (boxed; numbers and dates centred with their format, text
    wrapped): a cell takes its style by name, far cheaper than a style object per cell."""
    for kind in {c.kind for c in (*SUMMARY_COLUMNS, *DETAIL_COLUMNS)}:
        centred = kind in CENTRED
        wb.add_named_style(NamedStyle(style_name(kind), border=BOX, number_format=FORMATS.get(kind, "General"),
                                      alignment=Alignment(horizontal="center" if centred else None, vertical="top",
                                                          wrap_text=not centred)))


def style_name(kind: str) -> str:
    return f"duban-{kind}"


def _body(ws: Worksheet, columns: tuple[Column, ...], rows: list[list]) -> None:
    styles = [style_name(c.kind) for c in columns]
    for r, row in enumerate(rows, FIRST_ROW):
        for c, (column, value) in enumerate(zip(columns, row, strict=True), 1):
            cell = ws.cell(r, c, _shown(value))
            if cell.data_type == "f":  # text from people that starts with "=" stays text, never a formula
                cell.data_type = "s"
            cell.style = styles[c - 1]
            if column.kind == "link" and value:
                cell.hyperlink = value


def _widths(ws: Worksheet, columns: tuple[Column, ...], names: list[str], rows: list[list]) -> list[int]:
    """Each column as wide as its widest header or value (dates and rates as they print), within
    MIN_WIDTH and its kind's maximum; the widths set."""
    printed = {"date": 10, "datetime": 16, "percent": 6}
    widths = []
    for i, (column, name) in enumerate(zip(columns, names, strict=True)):
        if column.kind in printed:
            widest = max(text_width(name), printed[column.kind])
        else:  # each distinct value measured once: a department's name repeats on every line
            widest = max([text_width(name), *map(text_width, {_shown(row[i]) for row in rows})])
        widths.append(min(MAX_WIDTHS.get(column.kind, MAX_WIDTH), max(MIN_WIDTH, widest + 2)))
        ws.column_dimensions[get_column_letter(i + 1)].width = widths[-1]
    return widths


def _lines(value: object, width: int) -> int:
    """How many lines `value` wraps to in a column `width` wide."""
    parts = str(_shown(value)).split("\n") if value not in (None, "") else [""]
    return sum(max(1, -(-text_width(part) // (width - 1))) for part in parts)


def _heights(ws: Worksheet, columns: tuple[Column, ...], rows: list[list], widths: list[int]) -> None:
    """Rows tall enough for their wrapped text (a spreadsheet does not measure them when printing)."""
    wrapping = [i for i, c in enumerate(columns) if c.kind not in CENTRED]
    for r, row in enumerate(rows, FIRST_ROW):
        lines = max((_lines(row[i], widths[i]) for i in wrapping), default=1)
        if lines > 1:
            ws.row_dimensions[r].height = lines * LINE_HEIGHT


def print_setup(ws: Worksheet, footer: str, language: str) -> None:
    """A4 landscape, one page wide (as many long as it takes), the header row on every page,
    frozen under it on screen; the basis of the numbers and page numbers in the footer."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = MARGINS
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.freeze_panes = ws.cell(FIRST_ROW, 1).coordinate
    ws.oddFooter.left.text = footer.replace("&", "&&")  # & starts a field code in headers and footers
    ws.oddFooter.right.text = translator(language).gettext(N_("Page &P of &N"))


def _table(ws: Worksheet, heading: str, columns: tuple[Column, ...], rows: list[list], footer: str,
           language: str) -> None:
    names = bulletin.headers(columns, language)
    _title(ws, heading, len(columns))
    _header(ws, names)
    _body(ws, columns, rows)
    _heights(ws, columns, rows, _widths(ws, columns, names, rows))
    print_setup(ws, footer, language)


def _chart(sheet: Chartsheet, summary: Worksheet, departments: int, language: str) -> None:
    """Horizontal bars of the on-time rate, the best department at the top, read from the summary."""
    rate = 1 + next(i for i, c in enumerate(SUMMARY_COLUMNS) if c.key == "on_time_rate")
    chart = BarChart()
    chart.type, chart.style, chart.legend = "bar", 10, None
    chart.title = translator(language).gettext(CHART_TITLE)
    last = HEADER_ROW + max(departments, 1)
    chart.add_data(Reference(summary, min_col=rate, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    names = f"{quote_sheetname(summary.title)}!$A${FIRST_ROW}:$A${last}"
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=names))  # department names are text, not numbers
    chart.dataLabels = DataLabelList(showVal=True, showCatName=False, showSerName=False, showLegendKey=False,
                                     showPercent=False, numFmt="0.0%")  # the rate on each bar, for paper
    chart.x_axis.scaling.orientation = "maxMin"  # rank 1 first, at the top
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.number_format, chart.y_axis.majorGridlines = "0%", None
    chart.x_axis.delete = chart.y_axis.delete = False  # Excel hides axes openpyxl leaves unset
    sheet.add_chart(chart)
    # Excel stretches a chart sheet's chart over the page; LibreOffice draws the anchor's size
    width, height = (cm_to_EMU(cm) for cm in CHART_SIZE)
    chart.anchor = AbsoluteAnchor(pos=XDRPoint2D(0, 0), ext=XDRPositiveSize2D(width, height))
    sheet.pageSetup = PrintPageSetup(orientation="landscape", paperSize=Worksheet.PAPERSIZE_A4)
    sheet.pageMargins = MARGINS


def workbook(report: MonthReport, language: str = LANGUAGES[0]) -> Workbook:
    """The report in `language` (zh or en): summary, detail and chart sheets, ready to print."""
    gettext = translator(language).gettext
    footer = bulletin.basis(report, language)
    wb = Workbook()
    _styles(wb)
    summary = wb.active
    summary.title = gettext(SHEETS["summary"])
    _table(summary, bulletin.title(report, language), SUMMARY_COLUMNS, bulletin.summary_rows(report), footer,
           language)
    _table(wb.create_sheet(gettext(SHEETS["detail"])), bulletin.detail_title(report, language), DETAIL_COLUMNS,
           bulletin.detail_rows(report, language), footer, language)
    _chart(wb.create_chartsheet(gettext(SHEETS["chart"])), summary, len(report.departments), language)
    return wb


def xlsx_bytes(report: MonthReport, language: str = LANGUAGES[0]) -> bytes:
    buffer = BytesIO()
    workbook(report, language).save(buffer)
    return buffer.getvalue()

