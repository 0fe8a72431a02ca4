"""Excel task tables (.xlsx; .et/.xls after LibreOffice): each visible sheet's table, merged ranges
repeated into every cell they cover; a row holding a single text (a title, a part's heading such as
"二、市政府重点部门牵头落实的工作任务", a note) is a paragraph between tables."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError

from lxml.etree import XMLSyntaxError
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from notices.document import Block, Document, NoticeError, Paragraph, Table


def read_xlsx(name: str, data: bytes) -> Document:
    try:
        # Not read-only: only a full load knows the merged ranges; data_only: a formula's last value.
        book = load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError,
            ParseError, XMLSyntaxError) as error:  # a part that is not XML (openpyxl parses with either)
        raise NoticeError(f"无法读取 {name}:Excel 文件已损坏或不完整({error});请用 WPS 或 Excel 打开后"
                          f"另存为 .xlsx 再导入 / cannot read {name}: the Excel file is damaged or "
                          f"incomplete ({error}); open it in WPS or Excel, save as .xlsx and import again") from error
    blocks: list[Block] = []
    for ws in book.worksheets:
        if ws.sheet_state == "visible":
            blocks.extend(sheet_blocks(ws))
    return Document(name, blocks)


def sheet_blocks(ws) -> Iterator[Block]:
    values, origin = sheet_cells(ws)
    rows: list[tuple[int, tuple[str, ...]]] = []
    for r in range(ws.min_row, ws.max_row + 1):
        row = tuple(values.get((r, c), "") for c in range(ws.min_column, ws.max_column + 1))
        if not any(row):
            continue
        sources = {origin[(r, c)] for c in range(ws.min_column, ws.max_column + 1) if values.get((r, c))}
        if len(sources) == 1 and len(row) > 1 and is_heading(sources.pop(), ws, origin):
            yield from table_of(ws.title, rows)
            rows = []
            yield Paragraph(next(v for v in row if v), f"{ws.title} 第{r}行")
        else:
            rows.append((r, row))
    yield from table_of(ws.title, rows)


def is_heading(source: tuple[int, int], ws, origin: dict) -> bool:
    """A lone text is a title or heading when it starts in the sheet's first column or is merged
    across columns; a lone value further right is a table row with its other cells empty."""
    row, col = source
    spans_columns = origin.get((row, col + 1)) == source
    return col == ws.min_column or spans_columns


def sheet_cells(ws) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], tuple[int, int]]]:
    """Each position's text, merged ranges repeated, and the cell each position's text came from."""
    values: dict[tuple[int, int], str] = {}
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                values[(cell.row, cell.column)] = cell_text(cell)
                origin[(cell.row, cell.column)] = (cell.row, cell.column)
    for merged in ws.merged_cells.ranges:
        top_left = (merged.min_row, merged.min_col)
        text = values.get(top_left, "")
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                values[(r, c)] = text
                origin[(r, c)] = top_left
    return values, origin


def cell_text(cell) -> str:
    """A value as the sheet shows it: 3 not 3.0, dates as 2016-07-31, 50% for a percentage."""
    value = cell.value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        if "%" in (cell.number_format or ""):
            return number_text(value * 100) + "%"
        return number_text(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value).strip()


def number_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(round(value, 10))


def table_of(sheet: str, rows: list[tuple[int, tuple[str, ...]]]) -> Iterator[Table]:
    """The rows as a Table, without the columns that are empty in every row (formatted but unused)."""
    if not rows:
        return
    used = [c for c in range(len(rows[0][1])) if any(row[c] for _, row in rows)]
    yield Table(tuple(tuple(row[c] for c in used) for _, row in rows),
                tuple(f"{sheet} 第{r}行" for r, _ in rows))
