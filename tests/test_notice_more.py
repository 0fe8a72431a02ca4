"""A second set of notices the importer was not tuned on (tests/data/notices/more), in shapes the first set
(tests/data/notices/other) lacks: an Excel 任务清单 with a two-row header and group rows merged across the
table (also written as .docx and .html), a prose 工作要点 whose doers are named at the start of sentences and
in 分别牵头 / 会同 / 指导 clauses, a page from a 繁體 mirror site served as Big5, a 30-row task table printed to
PDF over several pages with its header repeated, and a WPS table copied as text one cell per line with empty
cells as empty lines and the lead column last. Each is imported, checked by `plan check` and scored duty by
duty, field by field, against a hand reading (bench.notice_accuracy); the target is every field right for 95%
of the duties."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from tests import notice_files
from tests.notice_files import Merge, TableSpec
from tests.notice_sets import NOTICES, NoticeSet, ReadsItsNotices

MORE = NOTICES / "more"

# (notice, file kind): a .json is a table model the test writes as that kind of file.
CASES = [
    ("a_taizhou_2023", "xlsx"),  # 任务清单: title rows, 责任分工 over 牵头单位|配合单位, group rows, 序号 per group
    ("a_taizhou_2023", "docx"),
    ("a_taizhou_2023", "html"),
    ("b_jinhua_2022", "txt"),  # prose 工作要点: 市财政局要…, （…按职责分别牵头）, 会同, 指导, 汛期前
    ("c_foshan_2020", "html"),  # a 繁體 mirror page in Big5, with its furniture and adverts
    ("d_zhanjiang_2024", "pdf"),  # 30 rows over several pages, wrapped cells, header repeated on each page
    ("e_zhuzhou_2019", "txt"),  # WPS copy: one cell per line, empty cells as empty lines, lead column last
]
EXCEL_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def table_spec(rows: list[list[str | None]]) -> TableSpec:
    """A table model's rows as a TableSpec: a None cell is covered by the cell above it, a "<" cell by the
    cell to its left; a merge is as wide as its run of "<" and as tall as the None rows under all of it."""
    grid = [list(row) for row in rows]
    merges = []
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value is None or value == "<":
                continue
            right = c
            while right + 1 < len(row) and row[right + 1] == "<":
                right += 1
            bottom = r
            while bottom + 1 < len(grid) and all(grid[bottom + 1][k] is None for k in range(c, right + 1)):
                bottom += 1
            if (bottom, right) != (r, c):
                merges.append(Merge(r, c, bottom, right))
    spec_rows = [["" if v is None or v == "<" else v for v in row] for row in grid]
    spec = TableSpec(spec_rows, tuple(merges))
    loose = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row)
             if (v is None or v == "<") and not spec.hidden(r, c)]
    assert not loose, f"cells covered by no merge: {loose}"
    return spec


def as_excel_typed(spec: TableSpec) -> TableSpec:
    """The table as Excel stores what people type: 序号 as numbers, 2023年9月30日 as a date cell."""
    def typed(col: int, value: object) -> object:
        text = str(value)
        if col == 0 and text.isdigit():
            return int(text)
        if m := EXCEL_DATE.fullmatch(text):
            return datetime(int(m[1]), int(m[2]), int(m[3]))
        return value
    return TableSpec([[typed(c, v) for c, v in enumerate(row)] for row in spec.rows], spec.merges)


def with_repeated_header(header_rows: int):
    """notice_files.table_html with the first rows in a <thead>: Chromium repeats it on every printed
    page, as Word does for a table whose 标题行重复 is set."""
    plain = notice_files.table_html

    def table_html(spec: TableSpec, css: str = "") -> str:
        page = plain(spec, css)
        first = page.index("<tr>")
        end = first
        for _ in range(header_rows):
            end = page.index("</tr>", end) + len("</tr>")
        return f"{page[:first]}<thead>{page[first:end]}</thead><tbody>{page[end:]}".replace(
            "</table>", "</tbody></table>")
    return table_html


def write_model(data: dict, path: Path) -> Path:
    """The notice of a table model written as a real file of the kind its suffix names: the .xlsx is the
    attachment alone (title rows and table), the others carry the letter before it and the 版记 after it."""
    spec = table_spec(data["rows"])
    kind = path.suffix.removeprefix(".")
    if kind == "xlsx":
        blocks = [*data["before"], as_excel_typed(spec), *data["after"]]
        return notice_files.write_xlsx_blocks(path, blocks, blank_rows=[len(data["before"]) + 1])
    blocks = [*data.get("letter", []), *data["before"], spec, *data["after"], *data.get("closing", [])]
    if kind == "docx":
        return notice_files.write_docx_blocks(path, blocks, header=data["header"])
    if kind == "html":
        return notice_files.write_html_blocks(path, blocks)
    if kind == "pdf":
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(notice_files, "table_html", with_repeated_header(data.get("header_rows", 1)))
            return notice_files.write_pdf_blocks(path, blocks, header=data["header"])
    raise ValueError(kind)


NOTICE_SET = NoticeSet(MORE, CASES, writers=dict.fromkeys(("xlsx", "docx", "html", "pdf"), write_model))
notices, plans = NOTICE_SET.fixtures()


# ---- the notices are what they claim to be ------------------------------------------------------

def test_every_expected_reading_names_its_notice_and_has_10_to_30_duties():
    NOTICE_SET.check_expected_readings(most_duties=30)


def test_the_task_list_model_has_a_two_row_header_and_group_rows_across_the_table():
    data = json.loads((MORE / "a_taizhou_2023.json").read_text(encoding="utf-8"))
    spec = table_spec(data["rows"])
    shown = spec.expected()
    assert shown[0][3] == shown[0][4] == "责任分工" and shown[1][3:5] == ("牵头单位", "配合单位")
    assert shown[1][0] == "序号" and shown[1][5] == "完成时间"
    assert set(shown[2]) == {"一、深化重点领域信息公开"} and Merge(2, 0, 2, 5) in spec.merges
    assert shown[6][1] == "公共资源配置信息公开" and shown[6][3] == "市公共资源交易中心" and shown[6][4] == ""
    assert shown[21][3] == "市级各部门\n各县（市、区）政府" and shown[21][4] == "市司法局"


def test_the_task_list_xlsx_has_number_and_date_cells(notices):
    import openpyxl
    sheet = openpyxl.load_workbook(notices["a_taizhou_2023", "xlsx"]).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert 5 in values and datetime(2023, 9, 30) in values
    assert "台州市2023年政务公开重点工作任务清单" in values and not any("台政办函" in str(v) for v in values)


def test_the_pdf_table_runs_over_pages_with_its_header_on_each(notices):
    import pdfplumber
    with pdfplumber.open(notices["d_zhanjiang_2024", "pdf"]) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    with_table = [text for text in pages if "配合单位" in text]
    assert len(with_table) >= 2, "the table should continue on a second page"
    assert all("牵头单位" in text and "完成时限" in text for text in with_table)


def test_the_mirror_page_is_big5_and_traditional():
    raw = (MORE / "c_foshan_2020.html").read_bytes()
    assert b"charset=big5" in raw
    text = raw.decode("big5")
    assert "政務公開工作要點" in text and "政务公开" not in text


# ---- the importer reads them -------------------------------------------------------------------


class TestTheImporter(ReadsItsNotices):
    notice_set = NOTICE_SET
    dateless_kinds = ("xlsx",)  # the .xlsx is the attachment alone: no date
