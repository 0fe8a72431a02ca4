"""What the notice says about itself: its title, who issued it, when, and the year its deadlines
("9月底前", "年底前") belong to."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from notices.document import Document, Paragraph
from notices.noise import is_signature
from notices.text import key

_DATE_LINE = re.compile(r"^(?:成文日期|发布日期|发布时间|日期)?[:：]?\s*(20\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?$")
_POSTED = re.compile(r"(?:发布时间|发布日期|成文日期)[:：]\s*(20\d{2})[-./年](\d{1,2})[-./月](\d{1,2})")
_TITLE_END = re.compile(r"(通知|要点|方案|明细表|分解表|任务表|实施意见|意见|计划|安排|分工|清单)[》」]?$")
_YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年")


@dataclass(frozen=True)
class Meta:
    title: str
    issuer: str | None
    issued: date | None
    year: int
    year_found: bool = True  # False: nothing in the notice names a year; this year is assumed


def _issued(lines: list[Paragraph]) -> tuple[date | None, int | None]:
    """The notice's date: a line that is only a date (under the signature), else the site's
    发布时间 (a page is often posted days after the notice is signed)."""
    for pattern in (_DATE_LINE.match, _POSTED.search):
        for i, p in enumerate(lines):
            m = pattern(key(p.text))
            if m:
                try:
                    return date(int(m[1]), int(m[2]), int(m[3])), i
                except ValueError:
                    continue
    return None, None


def _title(lines: list[Paragraph]) -> str:
    for p in lines[:40]:
        t = key(p.text)
        if 6 <= len(t) <= 80 and _TITLE_END.search(t) and not t.startswith(("附件", "各", "为")):
            return p.text.strip()
    return next((p.text.strip()[:80] for p in lines if p.text.strip()), "")


def _issuer(lines: list[Paragraph], at: int | None) -> str | None:
    """The signature: the line(s) right above the date that name an office."""
    if at is None:
        return None
    for p in reversed(lines[max(0, at - 3):at]):
        if is_signature(p.text):
            return p.text.strip()
    return None


def _most_named_year(doc: Document) -> int | None:
    """A notice without a date or a year in its title (a table cut from a longer file): the year
    its text names most (部署开展2016年…, 2016年起), ties to the earlier year."""
    years = Counter(int(y) for y in re.findall(r"(20\d{2})\s*年", key(doc.text())))
    return min(years, key=lambda y: (-years[y], y)) if years else None


def _lines(doc: Document) -> list[Paragraph]:
    """The notice's lines, with the one-cell rows of a table (a spreadsheet's 说明 sheet) as lines."""
    lines: list[Paragraph] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            lines.append(block)
            continue
        for row, where in zip(block.rows, block.where, strict=False):
            filled = [c for c in row if c.strip()]
            if len(set(filled)) == 1:
                lines.append(Paragraph(filled[0], where))
    return lines


def read_meta(doc: Document, year: int | None, today: date) -> Meta:
    lines = _lines(doc)
    issued, at = _issued(lines)
    title = _title(lines)
    titled = _YEAR_IN_TITLE.search(key(title))
    found_year = int(titled[1]) if titled else (issued.year if issued else _most_named_year(doc))
    return Meta(title=title, issuer=_issuer(lines, at), issued=issued,
                year=year or found_year or today.year, year_found=bool(year or found_year))


def plan_slug(meta: Meta) -> str:
    """A readable plan id: the title's pinyin initials and the year (落实…主要任务明细表 2016 -> lszyrwmxb-2016)."""
    from pypinyin import Style, lazy_pinyin

    words = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", re.sub(r"《[^》]*》|20\d{2}年?", "", key(meta.title)))
    initials = "".join(lazy_pinyin(words, style=Style.FIRST_LETTER, errors="ignore")).lower()
    initials = re.sub(r"[^a-z0-9]", "", initials)[:24] or "notice"
    return f"{initials}-{meta.year}"
