"""PDF notices with a text layer (printed from Word, WPS or a browser): ruled tables become Tables,
the rest of each page lines of text joined into paragraphs where the layout only wrapped them;
page headers and page numbers are dropped. A PDF without text (a scan) is refused: it needs OCR.

Lines are joined where the text ran into the right edge (the next word would not have fitted), as
a paragraph or a table cell wraps; a line that stops short, or is followed by an indented line or a
numbered item ("2、", "(三)"), ends where the author ended it. (A column sized to its longest line
leaves this undecidable: such a line looks wrapped.)
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException
from pdfplumber.utils.text import chars_to_textmap

from notices.document import Block, Document, NoticeError, Paragraph, Table
from notices.readers.grid import Grid

NO_LINE_START = set(",。、;:?!)]}」』》〉】〕)’”…%,.;:?!·")  # kept with the character before
NO_LINE_END = set("(《〈【〔「『“‘([{")  # kept with the character after
PAIRS = ("“”", "‘’", "《》", "()", "()", "「」", "『』", "【】", "〔〕", "〈〉")
NUMBERED = re.compile(r"^\s*(\d{1,3}[、.．)]|[((][一二三四五六七八九十\d]{1,3}[))]|[一二三四五六七八九十]{1,3}、)")
PAGE_NUMBER = re.compile(r"^([-—–‐_]*#+[-—–‐_]*|第#+页(共#+页)?|共#+页第#+页|第#+页/共#+页|#+/#+|page#+(of#+)?)$",
                         re.IGNORECASE)
MARGIN_ZONE = 0.12  # the top and bottom eighth of a page, where headers and footers are
EDGE_TOLERANCE = 2.0  # points: cell edges this close are the same grid line


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    first_width: float  # the width of what could not have been split off the line's start
    page: int

    @classmethod
    def of(cls, found: dict, page: int) -> Line:
        chars = found["chars"]
        return cls(found["text"], found["x0"], found["x1"], found["top"], found["bottom"],
                   max(c["size"] for c in chars), first_token_width(chars), page)


@dataclass
class PdfTable:
    rows: list[tuple[str, ...]]
    edges: list[float]  # the columns' x positions, to know a table continued on the next page
    top: float  # where it stands among the page's lines
    page: int
    pages: list[int] = field(default_factory=list)  # each row's page
    starts: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, column) a cell starts at -> rows
    last_merged: set[int] = field(default_factory=set)  # columns whose last-row cell spans rows
    last_full: set[int] = field(default_factory=set)  # columns whose last-row text ran into the cell's edge
    merged_columns: set[int] = field(default_factory=set)  # columns with a cell merged down (a lead column)


Item = Line | PdfTable


def read_pdf(name: str, data: bytes) -> Document:
    try:
        with quiet_pdfminer(), pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page_items(page, number) for number, page in enumerate(pdf.pages, start=1)]
            has_text = any(page_has_text(page) for page in pdf.pages)
            sizes = [(page.width, page.height) for page in pdf.pages]
    except PdfminerException as error:
        raise unreadable(name, error) from error
    if not has_text:
        raise NoticeError(f"无法读取 {name}:这是扫描图片做成的 PDF,没有文字层,需要先做文字识别(OCR),"
                          f"本系统不支持;请找原始的 Word/WPS 文件,或用 OCR 软件转成文字后再导入 / cannot read "
                          f"{name}: it is a scanned image without a text layer and needs OCR, which is not "
                          f"supported; find the original Word/WPS file or OCR it first")
    drop_headers_and_footers(pages, [height for _, height in sizes])
    return Document(name, list(assemble([item for page in pages for item in page], [width for width, _ in sizes])))


def unreadable(name: str, error: PdfminerException) -> NoticeError:
    if any(isinstance(cause, PDFPasswordIncorrect) for cause in error.args):
        return NoticeError(f"无法读取 {name}:PDF 有打开密码;请去掉密码后再导入 / cannot read {name}: the PDF "
                           f"is protected by a password; remove it and import again")
    return NoticeError(f"无法读取 {name}:PDF 文件已损坏或不完整({error});请重新下载或另存后再导入 / "
                       f"cannot read {name}: the PDF is damaged or incomplete ({error}); download or save "
                       f"it again")


@contextmanager
def quiet_pdfminer() -> Iterator[None]:
    """pdfminer logs a warning for every font without a bounding box (Chromium's PDFs): noise here."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def page_has_text(page) -> bool:
    return any(c["text"].strip() for c in page.chars)


# ---- one page -----------------------------------------------------------------------------------

def page_items(page, number: int) -> list[Item]:
    """The page's tables and its other lines, top to bottom. A character in no cell (a table's
    rules drawn oddly) stays text, not lost."""
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines",
                "explicit_horizontal_lines": closing_rules(page)}
    tables = [t for t in page.find_tables(settings) if len(t.cells) >= 2]  # one box round some text: no table
    inside: list[list[list[dict]]] = [[[] for _ in t.cells] for t in tables]  # table -> cell -> chars
    outside: list[dict] = []
    for char in page.chars:
        home = next(((i, j) for i, t in enumerate(tables) for j, cell in enumerate(t.cells)
                     if contains(cell, char)), None)
        (outside if home is None else inside[home[0]][home[1]]).append(char)
    items: list[Item] = [read_table(t, cells, number) for t, cells in zip(tables, inside)]
    items += text_lines(outside, number)
    return sorted(items, key=lambda item: item.top)


def closing_rules(page) -> list[dict]:
    """A rule across the top and the bottom of each run of vertical rules. Where a page break cuts
    a merged cell, browsers draw it without its top or bottom rule, and a cell not closed is no
    cell: these close it."""
    verticals = sorted((e for e in page.edges if e["orientation"] == "v" and e["height"] >= 3),
                       key=lambda e: e["top"])
    runs: list[list[dict]] = []
    for edge in verticals:
        if runs and edge["top"] <= max(e["bottom"] for e in runs[-1]) + EDGE_TOLERANCE:
            runs[-1].append(edge)
        else:
            runs.append([edge])
    rules = []
    for run in runs:
        x0, x1 = min(e["x0"] for e in run), max(e["x1"] for e in run)
        for y in (min(e["top"] for e in run), max(e["bottom"] for e in run)):
            rules.append({"object_type": "line", "x0": x0, "x1": x1, "top": y, "bottom": y,
                          "width": x1 - x0, "height": 0.0})
    return rules


def contains(bbox: tuple[float, float, float, float], char: dict) -> bool:
    x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def text_lines(chars: list[dict], page: int) -> list[Line]:
    if not chars:
        return []
    found = chars_to_textmap(chars).extract_text_lines(strip=True, return_chars=True)
    return [Line.of(line, page) for line in found if line["text"].strip()]


def first_token_width(chars: list[dict]) -> float:
    """How much of the line's start would have had to fit on the line before: one Chinese character,
    a whole Latin word or number, with the punctuation that may not be parted from it."""
    i, n = 0, len(chars)
    while i < n and chars[i]["text"] in NO_LINE_END:
        i += 1
    if i < n and chars[i]["text"].isascii() and chars[i]["text"].isalnum():
        while i < n and chars[i]["text"].isascii() and not chars[i]["text"].isspace():
            i += 1
    else:
        i += 1
    while i < n and chars[i]["text"] in NO_LINE_START:
        i += 1
    return chars[min(i, n) - 1]["x1"] - chars[0]["x0"]


# ---- tables -------------------------------------------------------------------------------------

def read_table(table, cell_chars: list[list[dict]], page: int) -> PdfTable:
    """Each ruled cell's text (from its characters, one list per cell) in every grid position the
    cell covers (a merged cell has no rules inside, so its box spans several rows or columns)."""
    cells = table.cells
    xs = grid_lines([x for c in cells for x in (c[0], c[2])])
    ys = grid_lines([y for c in cells for y in (c[1], c[3])])
    texts = [text_lines(chars, 0) for chars in cell_chars]
    pad = padding(cells, texts)
    grid = Grid()
    starts: dict[tuple[int, int], int] = {}
    last_merged: set[int] = set()
    last_full: set[int] = set()
    merged_columns: set[int] = set()
    for cell, lines in zip(cells, texts):
        row, col = index(ys, cell[1]), index(xs, cell[0])
        rows, cols = index(ys, cell[3]) - row, index(xs, cell[2]) - col
        right = cell[2] - pad
        grid.put(row, col, cell_text(lines, right), rows=rows, cols=cols)
        starts.update({(row, c): rows for c in range(col, col + cols)})
        if rows > 1:
            merged_columns.update(range(col, col + cols))
        if row + rows == len(ys) - 1:
            if rows > 1:
                last_merged.update(range(col, col + cols))
            if lines and lines[-1].x1 + lines[-1].size > right:
                last_full.update(range(col, col + cols))
    rows = grid.rows(len(ys) - 1)
    return PdfTable(rows, xs, table.bbox[1], page, [page] * len(rows), starts, last_merged, last_full,
                    merged_columns)


def padding(cells: list[tuple], texts: list[list[Line]]) -> float:
    """The cells' inner margin on the right, where a wrapped line ends: no text goes past it, and
    the table's fullest line reaches it; at least the margin text keeps from the left rule."""
    filled = [(cell, lines) for cell, lines in zip(cells, texts) if lines]
    left = min((min(line.x0 for line in lines) - cell[0] for cell, lines in filled), default=2.0)
    right = min((cell[2] - line.x1 for cell, lines in filled for line in lines), default=left)
    return max(left, right, 0.0)


def grid_lines(values: list[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > EDGE_TOLERANCE:
            out.append(value)
    return out


def index(lines: list[float], value: float) -> int:
    return min(range(len(lines)), key=lambda i: abs(lines[i] - value))


# ---- joining wrapped lines ----------------------------------------------------------------------

def cell_text(lines: list[Line], right: float) -> str:
    """A cell's lines as the author wrote them: a line the layout wrapped goes on in the next."""
    if not lines:
        return ""
    out = lines[0].text
    for before, line in pairwise(lines):
        inside_quotes = unclosed(out.rsplit("\n", 1)[-1])
        ended = NUMBERED.match(line.text) or not (inside_quotes or ran_full(before, line, right))
        out += "\n" if ended else joint(before, line)
        out += line.text
    return out


def unclosed(text: str) -> bool:
    """A quotation or bracket opened and not closed: nobody ends a line there, only the layout
    (LibreOffice keeps words such as 营口 together, so a line may stop short inside “信用营口”)."""
    return any(text.count(a) > text.count(b) for a, b in PAIRS)


def ran_full(before: Line, line: Line, right: float) -> bool:
    """The layout broke the line: the next line's first word would not have fitted before `right`."""
    return before.x1 + line.first_width > right


def joint(before: Line, line: Line) -> str:
    """Chinese wraps anywhere and needs nothing between; Latin words wrapped at a space get one back."""
    a, b = before.text[-1], line.text[0]
    return " " if a.isascii() and a.isalnum() and b.isascii() and b.isalnum() else ""


# ---- pages --------------------------------------------------------------------------------------

def drop_headers_and_footers(pages: list[list[Item]], heights: list[float]) -> None:
    """Removes page numbers ("- 3 -", "第3页 共9页") and lines repeated at the top or bottom of most
    pages (a running title, "通知 第3页"), wherever a page's first or last two lines are in its
    margin zone. Only the page's own number is blurred, so numbered items ("(17)…") at the top of
    each page are not taken for a running title."""
    edges = [margin_lines(items, height) for items, height in zip(pages, heights)]
    keys = [{id(line): running_key(line.text, number) for line in lines} for number, lines in enumerate(edges, 1)]
    seen = Counter(key for page in keys for key in set(page.values()))
    repeated = {key for key, count in seen.items() if len(pages) > 1 and count >= max(2, math.ceil(len(pages) / 2))}
    for items, lines, page in zip(pages, edges, keys):
        for line in lines:
            if PAGE_NUMBER.match(re.sub(r"\d+", "#", page[id(line)])) or page[id(line)] in repeated:
                items.remove(line)


def margin_lines(items: list[Item], height: float) -> list[Line]:
    lines = [item for item in items if isinstance(item, Line)]
    first_and_last = {id(line): line for line in lines[:2] + lines[-2:]}  # a page of few lines: each once
    return [line for line in first_and_last.values()
            if line.bottom < height * MARGIN_ZONE or line.top > height * (1 - MARGIN_ZONE)]


def running_key(text: str, page: int) -> str:
    """The line with the page's number blurred: page 3's "第3页" and page 4's "第4页" are one line."""
    return re.sub(rf"(?<!\d){page}(?!\d)", "#", re.sub(r"\s+", "", text))


# ---- the document -------------------------------------------------------------------------------

def assemble(items: list[Item], widths: list[float]) -> Iterator[Block]:
    """Paragraphs of joined lines and tables joined across pages, in order. The text's right edge
    is the longest line's, or as far from the page's right side as the text starts from its left
    (a page with only short lines says nothing about its right margin)."""
    lines = [item for item in items if isinstance(item, Line)]
    left = min((line.x0 for line in lines), default=0.0)
    right = max([line.x1 for line in lines] + [widths[0] - left])
    tables = 0
    run: list[Line] = []
    merged: list[Item] = join_tables(items)
    for item in merged:
        if isinstance(item, Line):
            if run and not continues(run[-1], item, right, left):
                yield paragraph(run)
                run = []
            run.append(item)
            continue
        if run:
            yield paragraph(run)
            run = []
        tables += 1
        yield Table(tuple(item.rows), tuple(f"第{p}页 表{tables} 第{r}行" for r, p in enumerate(item.pages, start=1)))
    if run:
        yield paragraph(run)


SENTENCE_END = ("。", "；", ";", "：", ":", "！", "？", "）", ")")


def continues(before: Line, line: Line, right: float, left: float) -> bool:
    """The line goes on the paragraph of the line before (the next page's first line included):
    the line before ran into the right margin, and this one is not indented, numbered, set in
    another size or after a blank line."""
    if abs(line.size - before.size) > 1.0 or NUMBERED.match(line.text):
        return False
    if line.x0 > left + line.size * 0.8:  # a first-line indent starts a paragraph
        return False
    if line.page == before.page and line.top - before.bottom > before.size * 1.2:
        return False
    return ran_full(before, line, right) or kinsoku_short(before, line, right)


def kinsoku_short(before: Line, line: Line, right: float) -> bool:
    """A line that stops a character or two short of the margin in mid-sentence: line-breaking
    rules moved its last character down with the punctuation that may not start a line (配合单/位：)."""
    return not before.text.rstrip().endswith(SENTENCE_END) and before.x1 + 2.5 * line.size > right


def paragraph(lines: list[Line]) -> Paragraph:
    text = lines[0].text + "".join(joint(a, b) + b.text for a, b in pairwise(lines))
    return Paragraph(text, f"第{lines[0].page}页")


def join_tables(items: list[Item]) -> list[Item]:
    """A table that goes on over a page break (the same columns at the top of the next page) is one
    table: a repeated header row goes, and a merged cell cut by the break keeps its text below."""
    out: list[Item] = []
    for item in items:
        before = out[-1] if out else None
        if isinstance(item, PdfTable) and isinstance(before, PdfTable) and item.page == before.page + 1 \
                and same_columns(before, item):
            add_rows(before, item)
        else:
            out.append(item)
    return out


def same_columns(a: PdfTable, b: PdfTable) -> bool:
    return len(a.edges) == len(b.edges) and all(abs(x - y) <= EDGE_TOLERANCE for x, y in zip(a.edges, b.edges))


def add_rows(table: PdfTable, more: PdfTable) -> None:
    rows = list(more.rows)
    skip = 1 if rows and rows[0] == table.rows[0] and len(table.rows) > 1 else 0  # the header again
    rows = rows[skip:]
    last = table.rows[-1]
    for col in cut_merges(table):
        count = more.starts.get((skip, col), 0)
        if rows and not rows[0][col]:
            for r in range(min(count, len(rows))):
                rows[r] = rows[r][:col] + (last[col],) + rows[r][col + 1:]
    if rows and goes_on(table, rows[0]):
        table.rows[-1] = tuple(joined_cell(table, c, a, b) for c, (a, b) in enumerate(zip(last, rows[0])))
        rows = rows[1:]
    table.rows += rows
    table.pages += [more.page] * len(rows)
    table.page = more.page
    table.last_merged, table.last_full = more.last_merged, more.last_full
    table.merged_columns |= more.merged_columns


def cut_merges(table: PdfTable) -> set[int]:
    """Columns whose last cell may go on at the top of the next page with no text: one merged down
    on this page, or in a column of merged cells (a lead department written once for its rows,
    whose group the break cut after its first row)."""
    serial = serial_column(table)
    grouped = {c for c in table.merged_columns if c != serial and table.rows[-1][c]}
    return table.last_merged | grouped


SERIAL = re.compile(r"^(\d{1,3}|[一二三四五六七八九十]{1,3})[、.．]?$")


def goes_on(table: PdfTable, first: tuple[str, ...]) -> bool:
    """The next page's first row is the rest of this page's last row (Word lets a row break across
    pages): the table numbers its rows (序号) and that row has no number."""
    column = serial_column(table)
    return column is not None and column not in table.last_merged and not first[column] \
        and bool(table.rows[-1][column])


def serial_column(table: PdfTable) -> int | None:
    data = table.rows[1:]  # below the header
    for column in range(len(table.edges) - 1):
        values = [row[column] for row in data]
        if values and sum(bool(SERIAL.match(v)) for v in values) >= 0.8 * len(values):
            return column
    return None


def joined_cell(table: PdfTable, column: int, before: str, after: str) -> str:
    if column in table.last_merged or not after or after == before:
        return before
    if not before:
        return after
    wrapped = column in table.last_full or unclosed(before.rsplit("\n", 1)[-1])
    return before + ("" if wrapped and not NUMBERED.match(after) else "\n") + after
