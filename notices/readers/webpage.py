"""Notices saved from a government site (.html/.htm, also a Word "web page" saved as .doc): the
article's lines and data tables, without the site around it (menus, breadcrumb, share bar, footer,
scripts). Layout tables (old sites build the whole page from them) are read as containers."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from notices.document import Block, Document, Paragraph, Table
from notices.readers.grid import Grid
from notices.readers.text import decode

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
# Pages labelled GB2312/GBK are written with GBK characters (and browsers read them so): GB18030
# is the superset that reads them all.
CHINESE_CODECS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
                  "cp936": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs"}

DROPPED_TAGS = ["script", "style", "noscript", "template", "head", "title", "nav", "aside", "iframe",
                "object", "embed", "svg", "input", "select", "button", "textarea", "map"]
# Site furniture by class or id: distinctive words anywhere in a name ("main-nav", "bdshare_box",
# "dqwz" = 当前位置), common words only as the whole name (a "position-relative" div is no breadcrumb).
FURNITURE_WORDS = {"nav", "navbar", "navigation", "menu", "menus", "submenu", "topnav", "footer",
                   "breadcrumb", "breadcrumbs", "crumb", "crumbs", "dqwz", "share", "sharebar", "bdshare",
                   "sidebar", "copyright", "banner", "toolbar", "topbar", "friendlink", "qrcode"}
FURNITURE_NAMES = {"foot", "bottom", "position", "location", "side", "links", "search", "login", "skip",
                   "ewm", "header", "top", "top-header"}
BLOCK_TAGS = {"address", "article", "blockquote", "body", "caption", "center", "dd", "div", "dl", "dt",
              "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
              "header", "hr", "html", "li", "main", "ol", "p", "pre", "section", "table", "tbody", "td",
              "tfoot", "th", "thead", "tr", "ul"}
SPACE_RUN = re.compile(r"[ \t\r\n\f]+")  # HTML's own whitespace, not U+3000 (a Chinese indent)
NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)


def read_html(name: str, data: bytes) -> Document:
    soup = BeautifulSoup(html_text(data, name), "lxml")
    strip_furniture(soup)
    reader = ArticleReader()
    reader.walk(soup.body or soup)
    return Document(name, reader.finish())


def html_text(data: bytes, name: str) -> str:
    """Decoded by the page's byte-order mark or meta charset, else as plain text is."""
    found = META_CHARSET.search(data[:4096])
    if found and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        label = found.group(1).decode("ascii").lower()
        codec = CHINESE_CODECS.get(label, label)
        try:
            return data.decode(codec, errors="replace")
        except LookupError:
            pass  # an unknown label: guess as for text
    return decode(data, name)


def strip_furniture(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(["header", "footer"]):
        if not tag.find_parent(["article", "main"]):  # an article's own header holds its title
            tag.decompose()
    total = len(soup.get_text(strip=True)) or 1
    for tag in soup.find_all(is_furniture):
        if not tag.decomposed and len(tag.get_text(strip=True)) < total / 2:  # never the article
            tag.decompose()


def is_furniture(tag: Tag) -> bool:
    if tag.has_attr("hidden") or re.search(r"display\s*:\s*none|visibility\s*:\s*hidden",
                                          tag.get("style", ""), re.IGNORECASE):
        return True
    names = {name.lower() for name in [*tag.get("class", []), str(tag.get("id", ""))] if name}
    words = {word for name in names for word in re.split(r"[_\-]+", name)}
    return bool(words & FURNITURE_WORDS or names & FURNITURE_NAMES)


def is_data_table(table: Tag) -> bool:
    """A table of cells (rows and columns of text), not a page layout: no table inside it, two
    rows or more, and some row of two cells or more."""
    if table.find("table"):
        return False
    rows = table.find_all("tr")
    return len(rows) >= 2 and any(len(tr.find_all(["td", "th"], recursive=False)) >= 2 for tr in rows)


class ArticleReader:
    """Walks the page keeping lines: text flows into the current line, <br> and block elements end it."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.line: list[str] = []
        self.paragraphs = 0
        self.tables = 0

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NOT_TEXT):
                continue
            if isinstance(child, NavigableString):
                self.line.append(SPACE_RUN.sub(" ", str(child)))
            elif child.name == "br":
                self.end_line()
            elif child.name == "table" and is_data_table(child):
                self.end_line()
                if child.caption:
                    self.walk(child.caption)
                    self.end_line()
                self.tables += 1
                self.blocks.append(read_table(child, self.tables))
            elif child.name in BLOCK_TAGS:
                self.end_line()
                self.walk(child)
                self.end_line()
            else:
                self.walk(child)

    def end_line(self) -> None:
        text = "".join(self.line).strip()
        self.line = []
        if text:
            self.paragraphs += 1
            self.blocks.append(Paragraph(text, f"第{self.paragraphs}段"))

    def finish(self) -> list[Block]:
        self.end_line()
        return self.blocks


def cell_text(cell: Tag) -> str:
    reader = ArticleReader()
    reader.walk(cell)
    return "\n".join(b.text for b in reader.finish() if isinstance(b, Paragraph))


def read_table(table: Tag, number: int) -> Table:
    grid = Grid()
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for r, tr in enumerate(rows):
        col = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            col = grid.next_free(r, col)
            cols = span(cell, "colspan")
            grid.put(r, col, cell_text(cell), rows=span(cell, "rowspan"), cols=cols)
            col += cols
    return Table(tuple(grid.rows(len(rows))), tuple(f"表{number} 第{r}行" for r in range(1, len(rows) + 1)))


def span(cell: Tag, attribute: str) -> int:
    digits = re.match(r"\s*(\d+)", str(cell.get(attribute, "1")))
    return max(1, min(int(digits.group(1)), 1000)) if digits else 1
