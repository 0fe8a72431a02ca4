"""Duties written as numbered paragraphs (一、 (一) 1. (1) ①) read into Records, in the notice's words.

A duty is a numbered item with text of its own, or an unnumbered paragraph under a heading that
names who does the work: a clause ((市审计局牵头落实), (牵头单位:…;配合单位:…), 。市审计局牵头落实)
or a subject that assigns it (编办要…, 各部门要在9月底前…). One paragraph with several clauses holds
several duties ("…(各县区、各部门负责落实)加大审计结果…(市审计局牵头落实)").

Left out: the preamble before the first heading, 指导思想/基本原则/总体要求/工作目标 sections,
the closing (附件, signature, date), site furniture and ads, and a second copy of the notice (a
long line seen before is skipped). Numbers keep the notice's numerals with ASCII brackets:
"三.(一).1"; an unnumbered paragraph under a title is ".k", more duties in one item "-2", "-3". Safeguard sections (保障措施, 组织领导) give duties only where a
clause names a department.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from notices.departments import (
    Responsibility,
    find_responsibilities,
    fold,
    is_vague,
    looks_like_department,
    name_spans,
    split_departments,
)
from notices.document import Document, Paragraph
from notices.noise import is_closing, is_furniture, is_signature_date
from notices.records import Record, once
from notices.schedules import rules_in

# --- lines that are not the notice ----------------------------------------------------------

_CLOSING_START = re.compile(r"^附\s*件\s*(?:\d+|[一二三四五六七八九十]+)?\s*[:：]?")
_BLANK = " \t\u3000\xa0\ufeff"
_LEAD_PUNCT = _BLANK + "。；;，,、"
_REPEAT_MIN = 20  # (牵头单位:市财政局) may close several paragraphs; a whole paragraph is not repeated

# --- headings -------------------------------------------------------------------------------

_STYLES = (  # (style, pattern); the label is the numbering as the notice writes it
    ("一、", re.compile(r"(?P<label>[一二三四五六七八九十]{1,3})\s*[、.．]\s*")),
    ("(一)", re.compile(r"(?P<label>\([一二三四五六七八九十]{1,3}\))\s*")),
    ("1.", re.compile(r"(?P<label>\d{1,2})\s*(?:[、．]|\.(?!\d))\s*")),
    ("(1)", re.compile(r"(?P<label>\(\d{1,2}\))\s*")),
    ("①", re.compile(r"(?P<label>[①-⑳])\s*")),
)
_NO_DUTIES = re.compile(r"指导思想|基本原则|总体要求|工作目标|主要目标|总体目标|工作原则|重要意义|目标要求")
_SAFEGUARD = re.compile(r"保障措施|组织保障|组织领导|工作保障|有关要求|工作要求|组织实施|保障机制|"
                        r"督促检查|监督检查")

_EXHORTATION = re.compile(r"要(?:高度重视|充分认识|切实提高认识|认真贯彻落实|结合实际)")
NO_LEAD = "未写明牵头单位 / no lead named"
SUBJECT_LEAD = "牵头单位取自句中主语，请核对 / lead read from the sentence's subject: please check"


@dataclass
class _Para:
    text: str
    where: str


@dataclass
class _Heading:
    style: str
    label: str
    text: str  # after the number
    where: str
    paras: list[_Para] = field(default_factory=list)
    children: list[_Heading] = field(default_factory=list)


def records_from_prose(doc: Document) -> list[Record]:
    """Every duty the notice's numbered paragraphs hand out, in order (tables are not read here)."""
    records: list[Record] = []
    for top in _outline(_notice_lines(doc)):
        records.extend(_walk(top, (), "", safeguard=False))
    return once(records)


# --- lines and outline ----------------------------------------------------------------------

def _notice_lines(doc: Document) -> Iterator[_Para]:
    """The notice's own non-empty lines, once each, up to the closing 附件 of the body."""
    seen: set[str] = set()
    in_body = False
    for block in doc.blocks:
        if not isinstance(block, Paragraph):
            continue
        text = block.text.strip(_BLANK)
        if not text or (len(text) >= _REPEAT_MIN and text in seen and not _only_a_clause(text)):
            continue  # a long line seen before: the notice copied again (short lines and clauses recur)
        seen.add(text)
        folded = fold(text)
        if is_furniture(text) or is_closing(text) or is_signature_date(text):
            continue
        if in_body and _CLOSING_START.match(folded):
            return
        in_body = in_body or _heading(text) is not None
        yield _Para(text, block.where)


def _only_a_clause(text: str) -> bool:
    """责任单位：各县（区）人民政府，市直各单位 under several items: the same words, each item's own."""
    found = find_responsibilities(text)
    return bool(found) and found[0].span[0] == 0 and found[-1].span[1] >= len(fold(text).rstrip("。. "))


def _heading(text: str) -> _Heading | None:
    folded = fold(text)
    for style, pattern in _STYLES:
        found = pattern.match(folded)
        if found and found.end() < len(folded):
            label = text[found.start("label"):found.end("label")]
            if style != "①":  # （一） and (一), １ and 1 are one numbering; ① stays ①
                label = unicodedata.normalize("NFKC", label)
            return _Heading(style, label, text[found.end():].strip(_BLANK), "")
    return None


def _outline(lines: Iterator[_Para]) -> list[_Heading]:
    """Headings nested as the notice nests them: a numbering style seen above is a level up."""
    tops: list[_Heading] = []
    stack: list[_Heading] = []
    for line in lines:
        heading = _heading(line.text)
        if heading is None:
            if stack and not _is_signature(line.text):
                stack[-1].paras.append(line)
            continue  # before the first heading: the preamble
        heading.where = line.where
        styles = [h.style for h in stack]
        if heading.style in styles:
            del stack[styles.index(heading.style):]
        (stack[-1].children if stack else tops).append(heading)
        stack.append(heading)
    return tops


def _is_signature(text: str) -> bool:
    """大庆市人民政府办公室 alone on a line closes a notice; it hands out nothing."""
    return len(text) <= 20 and "。" not in text and looks_like_department(text)


# --- duties ---------------------------------------------------------------------------------

@dataclass
class _Part:
    """A stretch of text that is one duty, with the clause that ends it (if any)."""

    text: str
    where: str
    clause: Responsibility | None
    title: str = ""
    number: str = ""
    optional: bool = False  # an unnumbered paragraph: a duty only if someone is named for it


def _walk(h: _Heading, path: tuple[str, ...], parent_title: str, safeguard: bool) -> list[Record]:
    title, body = _heading_title(h.text)
    if title and _NO_DUTIES.search(fold(title)) and len(title) <= 16:
        return []
    safeguard = safeguard or _is_safeguard(title)
    number = ".".join((*path, h.label))
    parts = _own_parts(h, number, title, body, parent_title)
    _add_para_parts(parts, h, number, title or parent_title, continuing=bool(body))
    records = _records(parts, safeguard)
    if title and not body and not h.children and len(records) == 1 and records[0].number == f"{number}.1" \
            and len(records[0].title) > 30:
        _as_the_headings_duty(records[0], number, title, h.paras[0].text)
    for child in h.children:
        records.extend(_walk(child, (*path, h.label), title or parent_title, safeguard))
    return records


def _as_the_headings_duty(record: Record, number: str, title: str, paragraph: str) -> None:
    """One paragraph under a heading is the heading's duty, titled as the heading; the paragraph's
    own title (准备阶段(2016年6月底前)：…) goes back into its words instead of being lost."""
    record.number, record.title = number, title
    own_title, own_body = _split_title(paragraph)
    if own_title and own_body and not record.requirement.startswith(own_title):
        record.requirement = paragraph[:len(paragraph) - len(own_body)] + record.requirement


def _own_parts(h: _Heading, number: str, title: str, body: str, parent_title: str) -> list[_Part]:
    """The heading's own text, when it is a duty (1.推进决策公开。探索推行…) rather than a title."""
    text = body or ("" if h.paras or h.children else h.text)
    if not text:
        return []
    if not body and not (find_responsibilities(text) or _subjects(text)):
        return []  # a bare heading with nothing under it: nothing to chase
    parts = _cut_after_title(h.text, text, h.where)
    for i, part in enumerate(parts):
        part.number = number if i == 0 else f"{number}-{i + 1}"
        base = title if body and title else parent_title
        part.title = title if i == 0 and title else _titled(base, part)
    return parts


def _add_para_parts(parts: list[_Part], h: _Heading, number: str, title: str,
                    continuing: bool) -> None:
    """Unnumbered paragraphs: more of the heading's duty (-2, -3 after its own parts) when the
    heading has text of its own, else each paragraph is an item (.1, .2). A line that is only a
    clause closes the part before it."""
    for k, para in enumerate(h.paras, start=1):
        own_title, own_body = _split_title(para.text)
        cut = _cut_after_title(para.text, own_body if own_title else para.text, para.where)
        if not cut:
            _close_last(parts, para.text)
        for i, part in enumerate(cut):
            part.optional = True
            if continuing:
                part.number = f"{number}-{len(parts) + i + 1}"
            else:
                part.number = f"{number}.{k}" if i == 0 else f"{number}.{k}-{i + 1}"
            first_title = own_title if own_title and own_body else ""
            part.title = first_title if i == 0 and first_title else _titled(
                first_title or title, part)
        parts.extend(cut)


def _close_last(parts: list[_Part], line: str) -> None:
    clause = next((c for c in find_responsibilities(line) if not c.inline), None)
    if clause and parts and parts[-1].clause is None:
        parts[-1].clause = clause


def _cut_after_title(whole: str, body: str, where: str) -> list[_Part]:
    """The parts of the text after its title; a clause right after the title closes the title
    sentence itself ("市审计局要公开审计结果。(市审计局负责落实)")."""
    if not body.strip(_BLANK):
        return _cut(whole, where)
    return _cut(body, where, head=whole[:len(whole) - len(body)])


def _cut(text: str, where: str, head: str = "") -> list[_Part]:
    """Split text at each clause that closes a duty; 由XX局负责 stays in its sentence. A clause
    with no words before it in `text` closes `head`, the sentence before the text."""
    parts: list[_Part] = []
    pos = 0
    clauses = find_responsibilities(text)
    for clause in (c for c in clauses if not c.inline):
        before = text[pos:clause.span[0]].strip(_BLANK) or ("" if parts else head.strip(_BLANK))
        if _has_words(before):
            parts.append(_Part(before, where, clause))
        elif parts and parts[-1].clause is None:
            parts[-1].clause = clause
        pos = clause.span[1]
    rest = text[pos:].strip(_BLANK)
    if _has_words(rest):
        inline = next((c for c in clauses if c.inline), None)
        parts.append(_Part(rest, where, inline))
    return parts


def _has_words(text: str) -> bool:
    return len(re.sub(r"[\W_]", "", text)) >= 2


def _records(parts: list[_Part], safeguard: bool) -> list[Record]:
    """Lead and support for each part: its clause, else the subject that is told to act, else the
    clause of a later part of the same heading, else none (noted for review)."""
    records = []
    for i, part in enumerate(parts):
        record = Record(number=part.number, title=part.title, requirement=part.text.lstrip(_LEAD_PUNCT),
                        source=[part.where])
        if part.clause:
            record.lead, record.support = list(part.clause.lead), list(part.clause.support)
            record.deadline = part.clause.deadline  # 完成时限：2021年6月30日前 in the clause
        elif safeguard and not _dated(part.text):
            continue  # 各部门要高度重视: exhortation, not a duty; with a date (12月20日前报送) it is one
        elif part.optional and _EXHORTATION.search(fold(part.text)[:40]):
            continue  # 各地各部门要高度重视…: the closing words of a notice, not a duty of its own
        elif subjects := _subjects(part.text):
            record.lead, record.support = _with_partners(subjects)
            record.notes.append(SUBJECT_LEAD)
        elif not _inherit(record, parts[i + 1:]) and part.optional:
            continue
        record.notes.extend(f"“{name}”未具体指明部门 / {name!r} does not say which departments"
                            for name in record.lead if is_vague(name))
        records.append(record)
    return records


def _with_partners(subjects: list[str]) -> tuple[list[str], list[str]]:
    """市发展改革委会同市自然资源和规划局、市住房城乡建设局: the first leads, those it works with support."""
    lead: list[str] = []
    support: list[str] = []
    for name in subjects:
        first, _, partners = name.partition("会同")
        lead.append(first)
        support += split_departments(partners) if partners else []
    return lead, [s for s in support if s not in lead]


def _is_safeguard(title: str) -> bool:
    """健全制度机制,加强组织领导 is about safeguards (a part of it is nothing else); 加强平台建设和
    监督检查 is work that merely names one."""
    return any(re.fullmatch(rf"(?:加强|强化|健全|完善|落实|狠抓)?(?:{_SAFEGUARD.pattern})", piece)
               for piece in re.split(r"[,;、]", fold(title)))


def _dated(text: str) -> bool:
    """A date to meet (12月20日前, 年底前) or a frequency (每半年督查一次), not a count (每年至少听取
    一次 汇报) or a habit (定期): what makes safeguard text a duty."""
    return any(re.search(r"\d+月|年底|年末|上半年|下半年|^每", rule) and not re.search(r"\d+[次期场]$", rule)
               for rule in rules_in(text, every_word=True))


def _inherit(record: Record, later: list[_Part]) -> bool:
    """The clause of a later part of the same heading covers this one; False if there is none."""
    covering = next((p for p in later if p.clause and not p.clause.inline), None)
    if covering is None:
        record.notes.append(NO_LEAD)
        return False
    record.lead, record.support = list(covering.clause.lead), list(covering.clause.support)
    record.notes.append(f"牵头单位取自其后的落实要求（{covering.where}） / lead taken from the "
                        f"clause that follows ({covering.where})")
    return True


# --- titles and subjects --------------------------------------------------------------------

def _heading_title(text: str) -> tuple[str, str]:
    """A heading line without a full stop inside (健全制度机制,加强组织领导) is all title."""
    if "。" not in fold(text).rstrip("。 ") and len(text) <= 40:
        return text.rstrip("。 ").strip(_BLANK), ""
    return _split_title(text)


def _split_title(text: str) -> tuple[str, str]:
    """("推进决策公开", "探索推行…") for "推进决策公开。探索推行…": a short first sentence is a title."""
    folded = fold(text)
    end = folded.find("。")
    colon = folded.find(":")
    if 0 < colon <= 20 and (end < 0 or colon < end) and not _in_clause(text, colon):
        end = colon  # 准备阶段(2016年6月底前)：各县区…, but not (牵头单位：市财政局)
    head = text[:end] if end >= 0 else text
    if len(head) <= 30 and not re.search(r"[,;:]", fold(head)) and _has_words(head):
        return head.strip(_BLANK), (text[end + 1:] if end >= 0 else "").strip(_BLANK)
    return "", text


def _in_clause(text: str, pos: int) -> bool:
    return any(c.span[0] <= pos < c.span[1] for c in find_responsibilities(text))


def _titled(base: str, part: _Part) -> str:
    """A part with no heading of its own is titled by its first sentence, as a clerk would copy it
    (the heading it sits under is already the duty's number); very long sentences are cut at 120."""
    text = part.text.lstrip(_LEAD_PUNCT)  # a part cut after a clause starts with its 。
    folded = fold(text)
    cut = re.search(r"[;。]", folded)
    first = text[:cut.start()] if cut else text
    first = first.strip(_BLANK)
    return first or base


_FOLLOWERS = re.compile(r"要|应|负责|牵头|组织|对|在|每|均|及时|进一步|会同|按|通过|于|统一|也|还|"
                        r"主动|可|须|必须|务必|切实|认真|定期")
_STRICT_FOLLOWERS = re.compile(r"要|应|负责")


def _subjects(text: str) -> list[str]:
    """Departments told to act at the start of a sentence or clause: 编办要…, 社保局每季度要…,
    卫生局、人计局要…, …外,行政服务中心应对…"""
    folded = fold(text)
    names: list[str] = []
    for start, strict in _clause_starts(folded):
        for name in _subject_at(text, folded, start, strict):
            if name not in names:
                names.append(name)
    return names


def _clause_starts(folded: str) -> Iterator[tuple[int, bool]]:
    yield 0, False
    for found in re.finditer(r"[。;!?,]", folded):
        yield found.end(), found.group() == ","


def _subject_at(text: str, folded: str, start: int, strict: bool) -> list[str]:
    followers = _STRICT_FOLLOWERS if strict else _FOLLOWERS
    limit = min(len(folded), start + 40)
    stop = re.search(r"[。;!?,]", folded[start:limit])
    limit = start + stop.start() if stop else limit
    for end in range(limit, start + 1, -1):
        if not followers.match(folded, end):
            continue
        spans = name_spans(folded, start, end)
        names = [text[a:b] for a, b in spans]
        if names and all(looks_like_department(fold(n)) for n in names):
            partners = _partners(text, folded, end, limit, followers) if folded.startswith("会同", end) else []
            return names[:-1] + [f"{names[-1]}会同{'、'.join(partners)}"] if partners else names
    return []


def _partners(text: str, folded: str, end: int, limit: int, followers: re.Pattern[str]) -> list[str]:
    """A会同B、C在…: the departments after 会同, up to the words that tell them what to do."""
    for stop in range(limit, end + 2, -1):
        if stop < limit and not followers.match(folded, stop):
            continue
        names = [text[a:b] for a, b in name_spans(folded, end + 2, stop)]
        if names and all(looks_like_department(fold(n)) for n in names):
            return names
    return []
