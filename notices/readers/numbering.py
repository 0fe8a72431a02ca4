"""Word's automatic numbers ("一、", "(二)", "3.", a 序号 column numbered by Word): shown on the page
but not in a paragraph's text, so the reader counts them as Word does and puts them back."""

from __future__ import annotations

from dataclasses import dataclass

from docx.oxml.ns import qn

CHINESE_DIGITS = "〇一二三四五六七八九"
STEMS = "甲乙丙丁戊己庚辛壬癸"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
         (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def chinese(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 105 -> 一百零五 (as Word's chineseCounting)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    tail = "" if rest == 0 else ("零" + CHINESE_DIGITS[rest] if rest < 10 else ("一" if rest < 20 else "") + chinese(rest))
    return CHINESE_DIGITS[hundreds] + "百" + tail


def roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        count, n = divmod(n, value)
        out += letters * count
    return out


def letters(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa (Word repeats the letter)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def formatted(n: int, style: str) -> str:
    formats = {
        "decimal": lambda: str(n),
        "decimalZero": lambda: f"{n:02d}",
        "decimalFullWidth": lambda: "".join(chr(ord(d) + 0xFEE0) for d in str(n)),
        "decimalEnclosedCircle": lambda: CIRCLED[n - 1] if n <= len(CIRCLED) else str(n),
        "decimalEnclosedCircleChinese": lambda: CIRCLED[n - 1] if n <= len(CIRCLED) else str(n),
        "ideographTraditional": lambda: STEMS[(n - 1) % len(STEMS)],
        "upperLetter": lambda: letters(n).upper(),
        "lowerLetter": lambda: letters(n),
        "upperRoman": lambda: roman(n).upper(),
        "lowerRoman": lambda: roman(n),
        "none": lambda: "",
    }
    if style in formats:
        return formats[style]()
    if "chinese" in style.lower() or "counting" in style.lower() or "ideograph" in style.lower():
        return chinese(n)
    return str(n)


@dataclass(frozen=True)
class Level:
    style: str  # numFmt
    text: str  # lvlText, "%1、" / "(%1)" / "%1.%2"
    start: int
    separator: str  # what Word puts between the number and the text: tab, space or nothing


class Numbering:
    """Counts numbered paragraphs per list (w:num) and level, as Word does in reading order."""

    def __init__(self, document) -> None:
        self.lists: dict[str, dict[int, Level]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.style_numbers: dict[str, tuple[str, int]] = {}
        part = numbering_part(document)
        if part is not None:
            self.read_lists(part.element)
        self.read_styles(document)

    def read_lists(self, root) -> None:
        abstract = {a.get(qn("w:abstractNumId")): levels_of(a) for a in root.iterchildren(qn("w:abstractNum"))}
        for num in root.iterchildren(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = dict(abstract.get(ref.get(qn("w:val")) if ref is not None else None, {}))
            for override in num.iterchildren(qn("w:lvlOverride")):
                ilvl = int(override.get(qn("w:ilvl"), "0"))
                start = override.find(qn("w:startOverride"))
                if start is not None and ilvl in levels:
                    old = levels[ilvl]
                    levels[ilvl] = Level(old.style, old.text, int(start.get(qn("w:val"))), old.separator)
            self.lists[num.get(qn("w:numId"))] = levels

    def read_styles(self, document) -> None:
        """Paragraph styles that number their paragraphs (a heading style "一、"), following basedOn."""
        styles = {s.get(qn("w:styleId")): s for s in document.styles.element.iterchildren(qn("w:style"))}
        for style_id in styles:
            seen, current = set(), styles.get(style_id)
            while current is not None and style_id not in self.style_numbers and id(current) not in seen:
                seen.add(id(current))
                found = number_properties(current.find(qn("w:pPr")))
                if found:
                    self.style_numbers[style_id] = found
                based = current.find(qn("w:basedOn"))
                current = styles.get(based.get(qn("w:val"))) if based is not None else None

    def label(self, p) -> str:
        """The number Word shows before paragraph `p` ("" if none), counting it."""
        ppr = p.find(qn("w:pPr"))
        found = number_properties(ppr)
        if found is None and ppr is not None and ppr.find(qn("w:pStyle")) is not None:
            found = self.style_numbers.get(ppr.find(qn("w:pStyle")).get(qn("w:val")))
        if found is None:
            return ""
        num_id, ilvl = found
        levels = self.lists.get(num_id, {})
        if num_id == "0" or ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, {})
        counts[ilvl] = counts.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        text = levels[ilvl].text
        for k in range(ilvl, -1, -1):
            if k in levels:
                text = text.replace(f"%{k + 1}", formatted(counts.get(k, levels[k].start), levels[k].style))
        return text + (levels[ilvl].separator if text and text[-1].isascii() else "")


def numbering_part(document):
    try:
        return document.part.numbering_part
    except (KeyError, NotImplementedError):
        return None


def levels_of(abstract) -> dict[int, Level]:
    levels = {}
    for lvl in abstract.iterchildren(qn("w:lvl")):
        def value(tag: str, default: str, lvl=lvl) -> str:
            node = lvl.find(qn(tag))
            return node.get(qn("w:val"), default) if node is not None else default

        separator = {"nothing": "", "space": " "}.get(value("w:suff", "tab"), " ")
        levels[int(lvl.get(qn("w:ilvl"), "0"))] = Level(value("w:numFmt", "decimal"), value("w:lvlText", ""),
                                                         int(value("w:start", "1")), separator)
    return levels


def number_properties(ppr) -> tuple[str, int] | None:
    numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
    if numpr is None:
        return None
    num_id, ilvl = numpr.find(qn("w:numId")), numpr.find(qn("w:ilvl"))
    if num_id is None:
        return None
    return num_id.get(qn("w:val")), int(ilvl.get(qn("w:val"))) if ilvl is not None else 0
