"""Task tables (任务分解表, 主要任务明细表): rows rebuilt from the header, whether the notice holds a
real table or the table flattened into text, one cell per line or `a | b | c` rows.

A flattened table loses its columns. They are recovered from the header's order and from what
each line looks like: a row starts at its sequence number; a department name goes to the lead
column, a deadline phrase to the deadline column, the rest to the text columns in header order.
A column merged over a group of rows (a lead written once above its rows, a task shared by
several requirements) carries over to the following rows until the next value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notices.departments import looks_like_department, responsibility, split_departments
from notices.document import Document, Paragraph, Table
from notices.noise import is_closing, is_furniture, is_signature, is_signature_date
from notices.records import Record
from notices.text import key, looks_like_deadline

# Header words -> the field their column holds. Compared on the simplified text without spaces.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号", "序"),
    "title": ("工作任务", "任务事项", "主要任务", "重点任务", "任务名称", "工作事项", "任务", "事项", "工作项目",
              "项目", "重点工作", "工作内容", "任务内容"),
    "requirement": ("具体要求", "工作要求", "工作措施", "具体措施", "主要内容", "任务要求", "具体任务", "要求",
                    "具体内容", "措施", "工作目标", "目标要求", "主要措施", "任务分解", "具体工作"),
    "outlet": ("公开载体", "公开方式", "公开渠道", "发布渠道", "发布载体", "载体", "公开形式", "公开平台"),
    "deadline": ("完成时限", "时限要求", "完成时间", "时间要求", "时间节点", "进度安排", "时限", "完成期限",
                 "时间安排", "办结时限", "推进时限", "时间进度", "进度要求", "完成时间节点", "时间", "进度时限"),
    "lead": ("牵头单位", "牵头部门", "责任单位", "责任部门", "主办单位", "责任主体", "牵头责任单位", "承办单位",
             "牵头领导和单位", "落实单位", "负责单位", "主责单位", "责任科室"),
    "support": ("配合单位", "配合部门", "协办单位", "参与单位", "协同单位"),
    "note": ("备注", "说明"),
    "leader": ("牵头领导", "责任领导", "分管领导", "牵头市领导", "责任人", "联系人", "分管市领导"),  # people
}
_HEADER = {word: name for name, words in HEADER_WORDS.items() for word in words}
_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.、]?\s*$")
_SECTION = re.compile(r"^\s*([一二三四五六七八九十]+)[、.．]\s*(\S.*)$")
_CARRIER = re.compile(r"网站|网页|门户|媒体|公开栏|公示栏|宣传栏|公告栏|报刊|报纸|电视|广播|微博|微信|客户端|"
                      r"载体|平台|场所|大厅|专栏|政务网|信息网|APP|app|公报|手机|热线|短信|查询系统|栏")


def header_field(cell: str) -> str | None:
    words = re.sub(r"[\s:：()（）/]", "", key(cell))
    return _HEADER.get(words)


def _beside_lead(fields: list[str | None], cells: list[str]) -> list[str | None]:
    if fields.count("lead") < 2 or "support" in fields:
        return fields
    first = fields.index("lead")
    return [f if i == first or f != "lead" else "support" for i, f in enumerate(fields)]


def _header(cells: list[str]) -> list[str] | None:
    """The fields of a header row, or None when the row is not a header (needs two known words).
    Beside a 牵头单位 column, 责任单位 names those who carry the work out with the lead: support."""
    fields = _beside_lead([header_field(c) for c in cells], cells)
    known = [f for f in fields if f]
    if len(known) < 2 or len(set(known)) < len(known) or not ({"title", "requirement"} & set(known)):
        return None
    return [f or f"col{i}" for i, f in enumerate(fields)]


@dataclass
class _Row:
    number: str
    cells: dict[str, list[str]] = field(default_factory=dict)
    where: list[str] = field(default_factory=list)
    text_follows: bool = False  # while placing: more text lines come after this one

    def add(self, column: str, text: str, where: str) -> None:
        self.cells.setdefault(column, []).append(text.strip())
        self.where.append(where)

    def get(self, column: str) -> str:
        """A cell's text; a cell split over lines is one text again (Chinese needs no space between),
        but departments one per line stay apart, and a bracket line belongs to the name above it."""
        parts = [t for t in self.cells.get(column, []) if t]
        if column not in ("lead", "support"):
            return "".join(("\n" if i and re.match(r"\d{1,2}[、.．]", t) else "") + t for i, t in enumerate(parts))
        return "".join(("" if i == 0 or t.startswith(("(", "（")) else "、") + t for i, t in enumerate(parts))


@dataclass
class _Part:
    """One part of the table (一、… 二、…): its heading's responsibility, its rows."""

    heading: str
    columns: list[str]
    rows: list[_Row] = field(default_factory=list)


# ---------------------------------------------------------------- flattened tables (text lines)

def _flat_columns(lines: list[Paragraph], i: int) -> tuple[list[str], int] | None:
    """A header written one cell per line starting at line i: its fields and the next line's index."""
    fields: list[str] = []
    j = i
    while j < len(lines) and (f := header_field(lines[j].text)):
        if f == "lead" and "lead" in fields and "support" not in fields:
            f = "support"  # 牵头单位 then 责任单位
        if f in fields:
            break
        fields.append(f)
        j += 1
    if len(fields) >= 3 and ({"title", "requirement"} & set(fields)):
        return fields, j
    return None


def _next_number(text: str, expected: int | None) -> int | None:
    m = _NUMBER.match(text)
    if not m:
        return None
    n = int(m.group(1))
    if expected is None or n == expected or n == 1:
        return n
    return None


def _kind(text: str) -> str:
    t = text.strip().rstrip("、，,")  # 市政府各部门、 / 各直属机构: a list going on on the next line
    if not t:
        return "empty"
    if looks_like_department(t) or (t.startswith(("(", "（")) and looks_like_department(t.strip("()（）"))):
        return "department"
    names = split_departments(t) if len(t) <= 60 and not t.endswith("。") else []
    if len(names) > 1 and all(looks_like_department(n) for n in names):
        return "department"  # 各县（市、区）政府、市直各部门
    if looks_like_deadline(t):
        return "deadline"
    if _CARRIER.search(t) and len(t) <= 60 and not t.endswith(("。", ";", "；")):
        return "outlet"
    return "text"


def _place(row: _Row, columns: list[str], lines: list[Paragraph]) -> list[Paragraph]:
    """Put a row's lines into its columns; returns department lines that belong to the NEXT row
    (when the lead column comes before 序号, a lead written above a group follows the last row)."""
    lead_first = "lead" in columns and columns.index("lead") < columns.index("number") \
        if "number" in columns else False
    lines = _join_fragments(lines)
    kinds = [_kind(p.text) for p in lines]
    carry: list[Paragraph] = []
    if lead_first:
        while lines and kinds[-1] in ("department", "empty"):
            carry.insert(0, lines.pop())
            kinds.pop()
    text_cols = [c for c in columns if c in ("title", "requirement")]
    has_outlet = "outlet" in columns
    lead_after_text = not lead_first and "lead" in columns and bool(text_cols) \
        and columns.index("lead") > min(columns.index(c) for c in text_cols)
    after_lead = False
    previous = None
    for i, (p, k) in enumerate(zip(lines, kinds, strict=True)):
        row.text_follows = "text" in kinds[i + 1:]
        if k == "empty":
            continue
        if k == "department" and lead_after_text and not (row.cells.get("title") or row.cells.get("requirement")):
            k = "text"  # 建设市级公共资源交易中心 right after the number: the task, not its lead
        col = _column_for(k, p.text, row, text_cols, has_outlet, after_lead, previous, columns)
        if col in ("lead", "support"):
            after_lead = True
        row.add(col, p.text, p.where)
        previous = col
    return carry


_FRAGMENT = re.compile(r"^(网站|网页|网|公示栏|宣传栏|公告栏|专栏|平台|微信|微博)$")


def _join_fragments(lines: list[Paragraph]) -> list[Paragraph]:
    """A carrier split over two lines (市农委 / 网站, 农村 / 公示栏) is one cell again."""
    out: list[Paragraph] = []
    for p in lines:
        if out and _FRAGMENT.match(key(p.text)):
            out[-1] = Paragraph(out[-1].text + p.text.strip(), out[-1].where)
        else:
            out.append(p)
    return out


def _column_for(kind: str, text: str, row: _Row, text_cols: list[str], has_outlet: bool,
                after_lead: bool, previous: str | None, columns: list[str]) -> str:
    if kind == "department":
        if previous == "lead" and text.strip().startswith(("(", "（")):
            return "lead"
        return "support" if "support" in columns and "lead" in row.cells else "lead"
    if kind == "deadline" or (after_lead and "deadline" in columns
                              and columns.index("deadline") > columns.index("lead")):
        return "deadline"
    if kind == "outlet" and has_outlet and (row.cells.get("requirement") or row.cells.get("title")):
        return "outlet"
    if previous == "outlet" and has_outlet and len(text) <= 12:
        return "outlet"  # a carrier split over two lines: 农村 / 公示栏
    return _text_column(text, row, text_cols)


def _text_column(text: str, row: _Row, text_cols: list[str]) -> str:
    if not text_cols:
        return "requirement"
    if len(text_cols) == 1:
        return text_cols[0]
    if "requirement" not in row.cells and _title_like(text) and _title_goes_on(row, text):
        return "title"
    return "requirement"


def _title_goes_on(row: _Row, text: str) -> bool:
    """The task cell: the row's first text, or its second line when the first broke off short
    (推进“双随机、一公开” / 监管信息公开), which a requirement's full sentence never does."""
    if "title" not in row.cells:
        return True
    return (row.text_follows and len(row.cells["title"]) == 1 and len(text) <= 16
            and not re.search(r"[,，。；;]", text))


def _title_like(text: str) -> bool:
    t = text.strip()
    return len(t) <= 60 and not t.endswith(("。", ";", "；", ",", "，")) and not re.match(r"^\d+[、.]", t)


def _flat_parts(lines: list[Paragraph]) -> list[_Part]:
    """Every flattened table in the text: parts after a header run of at least three header words."""
    parts: list[_Part] = []
    i = 0
    heading = ""
    while i < len(lines):
        m = _SECTION.match(lines[i].text)
        if m and len(lines[i].text) <= 80:
            heading = lines[i].text.strip()
        found = _flat_columns(lines, i)
        if not found:
            i += 1
            continue
        columns, i = found
        part, i = _read_flat_rows(lines, i, columns, heading)
        parts.append(part)
    return parts


def _read_flat_rows(lines: list[Paragraph], i: int, columns: list[str], heading: str) -> tuple[_Part, int]:
    part = _Part(heading, columns)
    pending: list[Paragraph] = []  # lines before the first row number (a lead written above)
    current: _Row | None = None
    body: list[Paragraph] = []
    expected: int | None = None
    while i < len(lines):
        text = lines[i].text
        if (_SECTION.match(text) and len(text) <= 80) or _flat_columns(lines, i) or is_closing(text):
            break
        if is_signature_date(text):
            while body and is_signature(body[-1].text):
                body.pop()
            break
        if is_furniture(text):
            i += 1
            continue
        n = _next_number(text, expected)
        if n is not None:
            if current is not None:
                pending = _place(current, columns, body)
                part.rows.append(current)
            current, body, expected = _Row(str(n)), [], n + 1
            for p in pending:
                current.add("lead", p.text, p.where)
            pending = []
        elif current is None:
            pending.append(lines[i])
        else:
            body.append(lines[i])
        i += 1
    if current is not None:
        _place(current, columns, body)
        part.rows.append(current)
    return part, i


def headerless_parts(lines: list[Paragraph]) -> list[_Part]:
    """A table flattened without its header (cut from a longer file): numbered lines counting up
    one by one, each followed by text. Columns assumed: 序号, task, requirement, lead, deadline."""
    starts = [i for i, p in enumerate(lines) if _NUMBER.match(p.text)]
    run = _counting_run(lines, starts)
    if len(run) < 5:
        return []
    columns = ["number", "title", "requirement", "lead", "deadline"]
    part, _ = _read_flat_rows(lines, run[0], columns, "")
    return [part]


def _counting_run(lines: list[Paragraph], starts: list[int]) -> list[int]:
    """The longest run of number lines counting up by one (8, 9, 10 ...), in one pass: the run
    ending at a line numbered n extends the longest run ending at n-1 before it."""
    ending: dict[int, tuple[int, int]] = {}  # n -> (length, last line) of the longest run ending at n
    previous: dict[int, int | None] = {}  # line -> the line before it in its run
    best: tuple[int, int | None] = (0, None)
    for i in starts:
        n = int(_NUMBER.match(lines[i].text).group(1))
        length, before = ending.get(n - 1, (0, None))
        previous[i] = before
        if length + 1 >= ending.get(n, (0, 0))[0]:
            ending[n] = (length + 1, i)
        best = max(best, (length + 1, i), key=lambda run: run[0])
    run, at = [], best[1]
    while at is not None:
        run.append(at)
        at = previous[at]
    return run[::-1]


# ---------------------------------------------------------------- real tables

def _table_parts(table: Table, inherited: list[str] | None,
                 heading: str = "") -> tuple[list[_Part], list[str] | None]:
    """The parts of a real table; `heading` is the paragraph right above it (一、…负责落实的任务)."""
    parts: list[_Part] = []
    columns = inherited
    part: _Part | None = _Part(heading, inherited) if heading and inherited else None
    if part:
        parts.append(part)
    for cells, where in zip(table.rows, table.where, strict=True):
        cells = [c.strip() for c in cells]
        found = _header(cells)
        if found:
            columns, part = found, None
            continue
        if columns is None:
            continue
        if part is None and heading:
            part = _Part(heading, columns)
            parts.append(part)
        if _is_heading_row(cells):
            heading = next(c for c in cells if c)
            part = _Part(heading, columns)
            parts.append(part)
            continue
        if part is None:
            part = _Part("", columns)
            parts.append(part)
        row = _Row("")
        for col, text in zip(columns, cells, strict=False):
            if text:
                row.add(col, text, where)
        row.number = _number_of(row.get("number"))
        if row.cells:
            part.rows.append(row)
    return parts, columns


def _is_heading_row(cells: list[str]) -> bool:
    filled = {c for c in cells if c}
    return len(filled) == 1 and (len(cells) > 2 and sum(1 for c in cells if c) == len(cells)
                                 or bool(_SECTION.match(next(iter(filled)))))


def _number_of(text: str) -> str:
    m = re.match(r"^\s*(\d{1,3}(?:[.\-]\d{1,3})?)", text)
    return m.group(1) if m else text.strip()


# ---------------------------------------------------------------- rows -> records

def _records(parts: list[_Part]) -> list[Record]:
    restart = sum(1 for p in parts if p.rows and p.rows[0].number in ("1", "")) > 1
    records: list[Record] = []
    for index, part in enumerate(parts, start=1):
        default = _heading_responsibility(part.heading)
        carried: dict[str, str] = {}
        for position, row in enumerate(part.rows, start=1):
            number = row.number or str(position)
            records.append(_record(row, f"{index}-{number}" if restart else number, default, carried))
    return records


def _heading_responsibility(heading: str):
    """一、市政府、各县(市)区政府、市政府各部门负责落实的任务: the lead of every row of that part."""
    words = re.sub(r"的(?:工作)?任务$|任务$", "", _SECTION.sub(r"\2", heading).strip())
    return responsibility(words) if words else None


def _record(row: _Row, number: str, default, carried: dict[str, str]) -> Record:
    """One record from a row; lead and task cells written once for a group carry over."""
    if row.get("lead"):
        carried["lead"] = row.get("lead")
    own_title, requirement = row.get("title"), row.get("requirement")
    if own_title and not requirement and re.search(r"[。；;]", own_title.rstrip("。；; ")):
        # 任务内容 holding 推进决策公开。制定并公开…: the heading is the title, the cell the requirement
        own_title, requirement = _first_sentence(own_title), own_title
    shared = own_title and own_title == carried.get("title")  # a merged task cell, repeated
    carried["title"] = own_title or carried.get("title", "")
    title = own_title if own_title and not (shared and requirement) else _first_sentence(requirement)
    title = re.sub(r"\s*\n\s*", "", title)  # a cell that wrapped (PDF) is one title
    lead_text = re.sub(r"\n(?![(（])", "、", carried.get("lead", "")).replace("\n", "")
    rec = Record(number=number, title=title, requirement=requirement, outlet=row.get("outlet"),
                 deadline=_deadline(row.cells.get("deadline", [])), source=list(dict.fromkeys(row.where)))
    if lead_text:
        found = responsibility(lead_text)
        rec.lead = list(found.lead) if found else _names_in_cell(lead_text)
        rec.support = list(found.support) if found else []
        rec.lead, rec.support = _marked_lead(rec.lead, rec.support)
    elif default:
        rec.lead, rec.support = list(default.lead), list(default.support)
    if row.get("support"):  # 配合单位 is the row's own: an empty cell names no one
        rec.support = split_departments(row.get("support"))
    return rec


def _names_in_cell(text: str) -> list[str]:
    """市财政局、市审计局; also names a cell sets apart with spaces only (市财政局　市直各部门)."""
    names = split_departments(text)
    spaced = [n for name in names for n in name.split()]
    return spaced if len(spaced) > len(names) and all(looks_like_department(n) for n in spaced) else names


def _marked_lead(lead: list[str], support: list[str]) -> tuple[list[str], list[str]]:
    """市发展改革委（牵头）、市工业和信息化局、市财政局: the one marked leads, the others support."""
    marked = re.compile(r"\s*[(（]牵头[)）]\s*$")
    if not any(marked.search(n) for n in lead):
        return lead, support
    return ([marked.sub("", n) for n in lead if marked.search(n)],
            [n for n in lead if not marked.search(n)] + support)


def _deadline(lines: list[str]) -> str:
    """Deadline lines as one phrase: 7月底前启动 / 长期推进 apart, 2017年 / 3月底 together."""
    out = ""
    for line in (t.strip() for t in lines if t.strip()):
        out += line if not out or out.endswith("年") else " " + line
    return out


def _first_sentence(text: str) -> str:
    """Up to the first full stop or the next numbered part; a line break alone is only where a
    cell wrapped (PDF, narrow Word columns)."""
    first = re.split(r"[。;；]|\n(?=\d{1,2}[、.．])", text.strip(), maxsplit=1)[0]
    first = re.sub(r"^\d+[、.]\s*", "", first).replace("\n", "")
    return first


def records_from_tables(doc: Document) -> list[Record]:
    """Records from the notice's task tables (real or flattened); [] when it has none."""
    parts: list[_Part] = []
    columns: list[str] | None = None
    lines: list[Paragraph] = []
    for block in doc.blocks:
        if isinstance(block, Table):
            above = lines[-1].text.strip() if lines and _SECTION.match(lines[-1].text) else ""
            found, columns = _table_parts(block, columns, above)
            parts.extend(p for p in found if p.rows)
        else:
            lines.append(block)
    if not parts:
        parts = _flat_parts(lines) or headerless_parts(lines)
    return _records(parts)
