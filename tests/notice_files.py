"""Real notice files for the tests: a simple model (paragraphs and tables with merged cells) written
as .docx (python-docx), .xlsx (openpyxl), .html (a government page with its furniture) and .pdf
(that page printed by Chromium, as people save notices from a browser), and the seed 000 task table.

A model is a list of blocks: a str is a paragraph, a TableSpec a table. In a TableSpec a merged
area's text is the one in its top-left cell (the other cells it covers are not written);
`TableSpec.expected()` is what a reader must give back: that text repeated in every covered cell.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
SEED000_TABLE = Path(__file__).resolve().parent / "data" / "seed000_table.json"


@dataclass(frozen=True)
class Merge:
    """A merged area of a table, inclusive, 0-based row and column numbers."""

    top: int
    left: int
    bottom: int
    right: int

    def covers(self, row: int, col: int) -> bool:
        return self.top <= row <= self.bottom and self.left <= col <= self.right


@dataclass(frozen=True)
class TableSpec:
    rows: Sequence[Sequence[object]]  # str for text; the .xlsx writer also takes numbers and dates
    merges: Sequence[Merge] = ()

    def origin(self, row: int, col: int) -> Merge | None:
        """The merge whose top-left cell is (row, col)."""
        return next((m for m in self.merges if (m.top, m.left) == (row, col)), None)

    def hidden(self, row: int, col: int) -> bool:
        """A cell a merge covers but does not start at: not written."""
        return any(m.covers(row, col) and (m.top, m.left) != (row, col) for m in self.merges)

    def expected(self) -> tuple[tuple[str, ...], ...]:
        def text(row: int, col: int) -> str:
            merge = next((m for m in self.merges if m.covers(row, col)), None)
            return str(self.rows[merge.top][merge.left] if merge else self.rows[row][col])

        return tuple(tuple(text(r, c) for c in range(len(self.rows[r]))) for r in range(len(self.rows)))


Block = str | TableSpec


def model(before: Sequence[str], rows: Sequence[Sequence[object]], after: Sequence[str] = (),
          merges: Sequence[Merge] = ()) -> list[Block]:
    return [*before, TableSpec(rows, tuple(merges)), *after]


# ---- .docx ------------------------------------------------------------------------------------

def write_docx(path: Path, before: Sequence[str], rows: Sequence[Sequence[str]], after: Sequence[str] = (),
               merges: Sequence[Merge] = (), header: str | None = None) -> Path:
    return write_docx_blocks(path, model(before, rows, after, merges), header=header)


def write_docx_blocks(path: Path, blocks: Sequence[Block], header: str | None = None,
                      landscape: bool = False) -> Path:
    """A Word file as a person types it: each line of a cell its own paragraph; merges are real
    w:gridSpan / w:vMerge cells; `header` goes in the page header and footer (readers ignore those)."""
    import docx
    from docx.enum.section import WD_ORIENT

    document = docx.Document()
    if landscape:  # as wide task tables are laid out
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    if header:
        document.sections[0].header.paragraphs[0].text = header
        document.sections[0].footer.paragraphs[0].text = header
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            add_docx_table(document, block)
    if blocks and isinstance(blocks[-1], TableSpec):
        document.add_paragraph()  # Word always ends a document with a paragraph (LibreOffice's .doc needs it)
    document.save(str(path))
    return path


def add_docx_table(document, spec: TableSpec) -> None:
    width = max(len(r) for r in spec.rows)
    table = document.add_table(rows=len(spec.rows), cols=width)
    table.style = "Table Grid"
    for r, row in enumerate(spec.rows):
        for c, value in enumerate(row):
            if not spec.hidden(r, c):
                set_docx_cell_text(table.cell(r, c), str(value))
    for m in spec.merges:
        table.cell(m.top, m.left).merge(table.cell(m.bottom, m.right))


def set_docx_cell_text(cell, text: str) -> None:
    first, *rest = text.split("\n")
    cell.paragraphs[0].text = first
    for line in rest:
        cell.add_paragraph(line)


# ---- .xlsx ------------------------------------------------------------------------------------

def write_xlsx(path: Path, before: Sequence[str], rows: Sequence[Sequence[object]], after: Sequence[str] = (),
               merges: Sequence[Merge] = (), sheet: str = "Sheet1", blank_rows: Sequence[int] = ()) -> Path:
    return write_xlsx_blocks(path, model(before, rows, after, merges), sheet=sheet, blank_rows=blank_rows)


def write_xlsx_blocks(path: Path, blocks: Sequence[Block], sheet: str = "Sheet1",
                      blank_rows: Sequence[int] = ()) -> Path:
    """One sheet, blocks one after another as people lay them out: a paragraph is a row with its
    text in column A, merged across the widest table (a title); `blank_rows` (1-based sheet rows
    before which an empty row is put) mimic the gaps people leave."""
    import openpyxl
    from openpyxl.styles import Alignment

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    width = max((len(r) for b in blocks if isinstance(b, TableSpec) for r in b.rows), default=1)
    at = 1

    def next_row() -> int:
        nonlocal at
        while at in blank_rows:
            at += 1
        at += 1
        return at - 1

    for block in blocks:
        if isinstance(block, str):
            row = next_row()
            ws.cell(row=row, column=1, value=block)
            if width > 1:
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            continue
        first = None
        for r, values in enumerate(block.rows):
            row = next_row()
            first = row - r if first is None else first
            for c, value in enumerate(values):
                if not block.hidden(r, c):
                    ws.cell(row=row, column=c + 1, value=value).alignment = Alignment(wrap_text=True)
        for m in block.merges:
            ws.merge_cells(start_row=first + m.top, start_column=m.left + 1,
                           end_row=first + m.bottom, end_column=m.right + 1)
    book.save(path)
    return path


# ---- .html ------------------------------------------------------------------------------------

def write_html(path: Path, before: Sequence[str], rows: Sequence[Sequence[str]], after: Sequence[str] = (),
               merges: Sequence[Merge] = (), charset: str = "utf-8") -> Path:
    return write_html_blocks(path, model(before, rows, after, merges), charset=charset)


def write_html_blocks(path: Path, blocks: Sequence[Block], charset: str = "utf-8") -> Path:
    """The notice as a government site serves it: menus, breadcrumb, share bar, footer and scripts
    around the article. `charset` gb2312/gbk: declared in a meta tag and the bytes in GBK (a
    character GBK lacks as an &#...; reference, as such sites do)."""
    page = SITE_PAGE.format(charset=charset, article=article_html(blocks))
    codec = "gbk" if charset.lower() in ("gb2312", "gbk") else charset
    path.write_bytes(page.encode(codec, errors="xmlcharrefreplace"))
    return path


SITE_PAGE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>营口市人民政府</title>
<style>.share {{ float: right }}</style>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
</head><body>
<div class="top-header"><a href="/">营口市人民政府</a> 无障碍浏览 | 长者模式</div>
<div id="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/hdjl">互动交流</a></li></ul></div>
<div class="breadcrumb">当前位置:<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 通知公告</div>
<div class="main">
<div class="article">
{article}
</div>
<div class="share-bar">分享到:微信 微博</div>
</div>
<aside><h3>相关链接</h3><a href="/">中国政府网</a></aside>
<div class="footer">版权所有:营口市人民政府办公室 辽ICP备05000000号</div>
<script>console.log("页脚脚本")</script>
</body></html>
"""


def article_html(blocks: Sequence[Block], table_css: str = "") -> str:
    out = []
    for block in blocks:
        if isinstance(block, str):
            out.append(f"<p>{lines_html(block)}</p>")
        else:
            out.append(table_html(block, table_css))
    return "\n".join(out)


def lines_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def table_html(spec: TableSpec, css: str = "") -> str:
    style = f' style="{css}"' if css else ""
    rows = []
    for r, row in enumerate(spec.rows):
        cells = []
        for c, value in enumerate(row):
            if spec.hidden(r, c):
                continue
            m = spec.origin(r, c)
            span = ""
            if m and m.bottom > m.top:
                span += f' rowspan="{m.bottom - m.top + 1}"'
            if m and m.right > m.left:
                span += f' colspan="{m.right - m.left + 1}"'
            cells.append(f"<td{span}>{lines_html(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table border="1"{style}>\n{colgroup(spec)}\n' + "\n".join(rows) + "\n</table>"


def short_columns(spec: TableSpec) -> list[int | None]:
    """Each column's longest line in characters where all its lines are short (序号, 完成时限,
    牵头部门), None for a column of long text."""
    longest = [0] * max(len(r) for r in spec.rows)
    for row in spec.rows:
        for c, value in enumerate(row):
            longest[c] = max([longest[c]] + [len(line) for line in str(value).split("\n")])
    return [n if n <= 12 else None for n in longest]


def colgroup(spec: TableSpec) -> str:
    """Column widths as a person sets them in Word: a column of short lines two characters wider
    than its longest line, the long text columns sharing the rest."""
    return "<colgroup>" + "".join(f'<col style="width: {n + 2}em">' if n is not None else "<col>"
                                  for n in short_columns(spec)) + "</colgroup>"


# ---- .pdf -------------------------------------------------------------------------------------

PRINT_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><style>
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 15px; line-height: 1.6 }}
p {{ margin: 0 0 0.4em 0; text-indent: 2em }}
table {{ border-collapse: collapse; width: 100%; margin: 0.5em 0; table-layout: fixed; font-size: 12px }}
td {{ border: 1px solid #000; padding: 3px 5px; vertical-align: middle }}
tr {{ break-inside: avoid }}
</style></head><body>
{article}
</body></html>
"""


def write_pdf(path: Path, before: Sequence[str], rows: Sequence[Sequence[str]], after: Sequence[str] = (),
              merges: Sequence[Merge] = (), header: str | None = None, page_numbers: bool = True,
              landscape: bool = False) -> Path:
    return write_pdf_blocks(path, model(before, rows, after, merges), header=header, page_numbers=page_numbers,
                            landscape=landscape)


def write_pdf_blocks(path: Path, blocks: Sequence[Block], header: str | None = None,
                     page_numbers: bool = True, landscape: bool = False) -> Path:
    """The notice printed to PDF by Chromium (a real text layer, tables with drawn borders), with
    `header` at the top of every page and "- N -" page numbers at the bottom, as Word notices have."""
    from playwright.sync_api import sync_playwright

    content = PRINT_PAGE.format(article=article_html(blocks))
    small = "font-family: 'Noto Sans CJK SC'; font-size: 10px; width: 100%; text-align: center"
    options: dict = {"path": str(path), "format": "A4", "print_background": True, "landscape": landscape,
                     "margin": {"top": "25mm", "bottom": "25mm", "left": "20mm", "right": "20mm"}}
    if header or page_numbers:
        options.update(
            display_header_footer=True,
            header_template=f'<div style="{small}">{html.escape(header or "")}</div>',
            footer_template=(f'<div style="{small}">- <span class="pageNumber"></span> -</div>'
                             if page_numbers else "<div></div>"),
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_content(content, wait_until="load")
            page.pdf(**options)
        finally:
            browser.close()
    return path


# ---- seed 000's task table --------------------------------------------------------------------

@dataclass(frozen=True)
class SeedPart:
    heading: str  # "一、…" / "二、…"
    table: TableSpec  # the header row first; part 二's lead department merged down its group


@dataclass(frozen=True)
class SeedTable:
    before: tuple[str, ...]  # "附件:" and the table's title
    parts: tuple[SeedPart, ...] = field(default_factory=tuple)

    def blocks(self) -> list[Block]:
        """The attachment as a writer takes it: title lines, then each part's heading and table."""
        out: list[Block] = list(self.before)
        for part in self.parts:
            out += [part.heading, part.table]
        return out


def seed000_table() -> SeedTable:
    """The task table of seed 000 (tests/data/seed000_table.json, rebuilt by hand from the seed's
    one-cell-per-line text): part 一 with 序号/任务事项/工作要求/公开载体/完成时限, part 二 with the
    lead department (牵头部门) first, written once for its group of rows (a vertical merge)."""
    data = json.loads(SEED000_TABLE.read_text(encoding="utf-8"))
    first, second = data["parts"]
    parts = [SeedPart(first["heading"], TableSpec([first["header"], *first["rows"]]))]
    rows: list[list[str]] = [second["header"]]
    merges: list[Merge] = []
    for group in second["groups"]:
        top = len(rows)
        rows += [[group["lead"], *row] for row in group["rows"]]
        if len(rows) - 1 > top:
            merges.append(Merge(top, 0, len(rows) - 1, 0))
    parts.append(SeedPart(second["heading"], TableSpec(rows, tuple(merges))))
    return SeedTable(tuple(data["before"]), tuple(parts))


# ---- other kinds ------------------------------------------------------------------------------

def write_scanned_pdf(path: Path) -> Path:
    """A PDF that is only a picture of a page, as a scanner makes it: no text layer."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((100, 100, 1140, 180), outline="black", width=3)
    for y in range(260, 1500, 60):
        draw.line((120, y, 1100, y), fill="black", width=8)  # lines of "text"
    page.save(path, "PDF", resolution=150)
    return path


def office_convert(source: Path, target: str, outdir: Path) -> Path:
    """`source` converted by LibreOffice (the tests' way to make real .doc/.xls/.rtf/.odt files)."""
    import subprocess

    outdir.mkdir(parents=True, exist_ok=True)
    profile = (outdir / "lo-profile").as_uri()
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile}",
                    "--convert-to", target, "--outdir", str(outdir), str(source)],
                   check=True, capture_output=True, timeout=180)
    result = outdir / f"{source.stem}.{target.split(':')[0]}"
    assert result.exists(), f"LibreOffice made no {result.name}"
    return result
