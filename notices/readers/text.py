"""Plain-text notices (.txt): whatever encoding Chinese offices save in (GB18030/GBK, UTF-8,
UTF-16, with or without a byte-order mark); each line a paragraph, `a | b | c` (or tab-separated)
runs a table."""

from __future__ import annotations

import re

from notices.document import Block, Document, NoticeError, Paragraph, Table

BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
SEPARATOR_ROW = re.compile(r"^[\s|:\-+=]*$")  # a Markdown-style |---|---| line


def decode(data: bytes, name: str) -> str:
    """The text of `data`: by its byte-order mark, else UTF-16 if it looks like it, else UTF-8,
    else GB18030 (a superset of GB2312 and GBK)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if looks_like_utf16(data):
        return data.decode(utf16_codec(data), errors="replace")
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise NoticeError(f"无法读取 {name}:不是可识别的文本编码(已试 UTF-8、GB18030、UTF-16);"
                      f"请用记事本另存为 UTF-8 后再导入 / cannot read {name}: the text is in no "
                      f"known encoding (tried UTF-8, GB18030, UTF-16); save it as UTF-8 and import again")


def looks_like_utf16(data: bytes) -> bool:
    """UTF-16 without a mark: ASCII characters (newlines, digits) leave zero bytes, all on one side
    of each pair; UTF-8 and GB18030 text has none."""
    sample = data[:4000]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) >= max(2, len(sample) // 100) and min(even, odd) * 4 <= max(even, odd)


def utf16_codec(data: bytes) -> str:
    return "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"


def read_text(name: str, data: bytes) -> Document:
    lines = decode(data, name).splitlines()
    return Document(name, blocks_of_lines(lines))


def blocks_of_lines(lines: list[str]) -> list[Block]:
    """Every non-empty line a Paragraph "第N行"; consecutive lines with two or more pipes (or tabs
    between cells) a Table."""
    blocks: list[Block] = []
    rows: list[tuple[str, ...]] = []
    where: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        inner_tabs = line.strip(" \t\r\n\u3000").count("\t")  # cells copied from a table: 1\t推进…\t市住建局
        if text.count("|") >= 2 or inner_tabs >= 2:
            if not SEPARATOR_ROW.match(text):
                rows.append(pipe_cells(text) if text.count("|") >= 2 else tab_cells(line))
                where.append(f"第{number}行")
            continue
        if rows:
            blocks.append(Table(tuple(rows), tuple(where)))
            rows, where = [], []
        if text:
            blocks.append(Paragraph(text, f"第{number}行"))
    if rows:
        blocks.append(Table(tuple(rows), tuple(where)))
    return blocks


def tab_cells(line: str) -> tuple[str, ...]:
    """`a<TAB>b<TAB><TAB>d` -> cells, an empty one kept where two tabs meet."""
    return tuple(cell.strip() for cell in line.strip(" \r\n\u3000").split("\t"))


def pipe_cells(text: str) -> tuple[str, ...]:
    """`a | b | c` -> cells; a Markdown row's outer pipes (`| a | b |`) enclose, not separate."""
    if text.startswith("|") and text.endswith("|"):
        text = text[1:-1]
    return tuple(cell.strip() for cell in text.split("|"))
