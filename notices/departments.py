"""Department names in a notice: split a responsibility text into names, find the clause that
hands a duty to departments (牵头单位:…;配合单位:…, 市审计局牵头落实 …), and build the plan's
`departments` list with one readable id per department.

Matching is done on a folded copy of the text (traditional -> simplified characters, full-width
punctuation -> ASCII) that has the same length as the original, so every span found in the copy
is a span of the original and names are returned in the notice's own characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from notices.records import KnownDepartment
from notices.text import simplified

# --- the folded copy -------------------------------------------------------------------------

_WIDTH = str.maketrans("（）：；，！？　", "():;,!? ")


def fold(text: str) -> str:
    """The text in simplified characters and ASCII punctuation, same length as `text`.

    OpenCC converts phrase by phrase; where a phrase would change the length, the text is
    converted one character at a time instead (a character that would become two stays)."""
    whole = simplified(text)
    if len(whole) != len(text):
        whole = "".join(s if len(s := simplified(ch)) == 1 else ch for ch in text)
    return whole.translate(_WIDTH)


# --- what a department name looks like -------------------------------------------------------

LEVELS = "市省县区"
_ENDINGS = (
    "部门", "单位", "办公室", "办公厅", "委员会", "管委会", "领导小组", "小组", "中心", "政府", "公司",
    "集团", "银行", "支队", "大队", "中队", "指挥部", "宣传部", "组织部", "统战部", "武装部",
    "办事处", "管理处", "派出所", "研究所", "联合会", "工会", "协会", "商会", "红十字会", "妇联",
    "残联", "科协", "文联", "侨联", "工商联", "团委", "电视台", "气象台", "科室", "局", "委", "办",
    "厅", "院", "署", "机构", "机关", "工委", "室",
)
# Phrases that open a task, not a name: "做好公共资源交易中心" ends like a department but is work.
# Single characters only where no place name starts with them (和平区, 向阳区, 如皋市 do).
_NOT_A_NAME_START = re.compile(
    r"^(?:做好|做|推进|推动|加强|加大|建立|健全|完善|公开|开展|落实|实行|实施|组织(?!部)|制定|提高|规范|深化|"
    r"强化|积极|及时|主动|进一步|全面|依法|按照|围绕|对(?!外)|在|由|要|把|牵头|配合|负责|通过|抓好|切实|"
    r"认真|确保|坚持|探索|引入|鼓励|支持|取消|促进|拓展|整合|扩大|发挥|增强|提升|优化|设立|开通|编制|指导|按|根据|"
    r"建设(?!局|厅|委|银行|部)|打造|构建|筹建|组建|成立|新建|搭建|培育|编印|出台|修订|制订|召开|举办|设置|启用|运行|"
    r"督促|明确|本级|本部门|本单位|本地区|本系统|其他|其它|其|该|具有|涉及|凡|除|同时|并|重点|每)")
_GROUP = re.compile(
    r"^(?:[市省县区](?:政府|直|委|级)?)?各(?:有关|相关|直属)?(?:部门|单位|科室|部委|派出机构|直属单位|直属机构|机构)$|"
    r"^各(?:县|市|区|乡|镇|县区|县市区|县\(市\)区|县\(市\)、区|县\(市、区\)|乡镇|街道|地区|级政府|市委)"
    r"(?:人民)?(?:政府|党委)?$|"
    r"^(?:[市省县区](?:政府)?)?(?:有关|相关)(?:部门|单位)$")
_MEMBERS_GROUP = re.compile(  # 市政府各部门 and the like: every department of that level
    r"^(?P<level>[市省县区])?(?:政府|直|委|级)?各(?:直属)?(?:部门|单位|科室|部委|派出机构|直属单位)$")
_VAGUE = re.compile(r"(?:有关|相关)(?:部门|单位)$")

# Official abbreviations and full names of the same body (simplified, without 市/省/县/区).
# The first spelling of a row is the key it is filed under. Removing words by rule (保护, 生计 …)
# would merge bodies that differ, so only spellings written down here are merged.
_ALIAS_ROWS = (
    ("发改委", "发展改革委", "发展和改革委员会", "发展改革委员会"),
    ("环保局", "环境保护局"), ("环保厅", "环境保护厅"),
    ("卫计委", "卫生计生委", "卫生和计划生育委员会"),
    ("人社局", "人力资源社会保障局", "人力资源和社会保障局"),
    ("人社厅", "人力资源社会保障厅", "人力资源和社会保障厅"),
    ("住建委", "住房城乡建设委", "住房和城乡建设委员会"),
    ("住建局", "住房城乡建设局", "住房和城乡建设局"),
    ("住建厅", "住房城乡建设厅", "住房和城乡建设厅"),
    ("食药监局", "食品药品监管局", "食品药品监督管理局"),
    ("国土局", "国土资源局"), ("安监局", "安全生产监管局", "安全生产监督管理局"),
    ("质监局", "质量技术监督局"), ("工商局", "工商行政管理局"),
    ("编办", "编委办", "机构编制委员会办公室"), ("法制办", "政府法制办", "法制办公室"),
    ("国资委", "国有资产监督管理委员会"), ("经信委", "经济和信息化委员会"),
    ("工信委", "工业和信息化委员会"), ("科技局", "科学技术局"), ("公用事业局", "公用局"),
    ("农委", "农业委员会"), ("市场监管局", "市场监督管理局"),
    ("新闻办", "政府新闻办", "政府新闻办公室", "新闻办公室"),
    ("政府办公室", "政府办"), ("公积金中心", "住房公积金管理中心"),
)
_ALIASES = {spelling: row[0] for row in _ALIAS_ROWS for spelling in row}


def is_group(name: str) -> bool:
    """各部门, 市政府各部门, 各县(市)区政府, 市政府有关部门 …: a name that stands for several."""
    return bool(_GROUP.match(fold(name).replace(" ", "")))


def looks_like_department(text: str) -> bool:
    """A short phrase that names a department (市审计局, 编办, 各县区, 省政府辦公廳) rather than work
    that merely mentions one (做好公共资源交易中心建设)."""
    name = fold(text).strip()
    bracketed = re.fullmatch(r"(.+?)\((.+)\)", name)
    if bracketed:  # 市科技局(市知识产权局), 市农业局(扶贫办): one department, two names
        return looks_like_department(bracketed.group(1))
    if not 2 <= len(name) <= 30 or re.search(r"[。,;:!?“”\"《》\s]", name):
        return False
    if len(_county_districts(name, _pieces(name, 0, len(name)))) > 1:
        return False  # a list of names (市审计局、市财政局), not one
    if _GROUP.match(name):
        return True
    if _NOT_A_NAME_START.match(name) or not name.endswith(_ENDINGS) or name in _ENDINGS:
        return False
    body = _body(name)[1]
    return name[0] in LEVELS + "各" or body in _ALIASES or len(name) <= 12


def _body(name: str) -> tuple[str, str]:
    """(level, body): 市审计局 -> ("市", "审计局"); the level is "" for 编办 or 各部门."""
    if len(name) > 2 and name[0] in LEVELS and not name.startswith(("区域", "市场")):
        return name[0], name[1:]
    return "", name


# --- splitting a responsibility text into names ----------------------------------------------

_TRAILING = re.compile(r"(?:等(?:单位|部门)?)?(?:按职责|按照职责)?(?:分工)?(?:分别|共同)?"
                       r"(?:牵头|负责|配合|协助|参与|协同)?(?:落实|实施|办理)?$")
_LEAD_LABEL = r"牵头单位|牵头部门|责任单位|责任部门|负责单位|主办单位|承办单位|主责单位"
_SUPPORT_LABEL = r"配合单位|配合部门|协办单位|参与单位|协助单位|协同单位"
_LEADING = re.compile(rf"(?:由|请|(?:{_LEAD_LABEL}|{_SUPPORT_LABEL})\s*:)")
_AND = re.compile(r"以及|和|及|与")
_SEPARATORS = "、,;"


def _pieces(m: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Spans of m[lo:hi] between separators outside brackets: 各县(市、区)政府 stays whole."""
    out, depth, start = [], 0, lo
    for i in range(lo, hi):
        ch = m[i]
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and ch in _SEPARATORS:
            out.append((start, i))
            start = i + 1
    out.append((start, hi))
    return out


def _trim(m: str, lo: int, hi: int) -> tuple[int, int]:
    """Drop spaces, 由 before and 牵头落实/负责/配合/等 … after a name."""
    while True:
        before = (lo, hi)
        while lo < hi and m[lo] in " \t.。":
            lo += 1
        while hi > lo and m[hi - 1] in " \t.。":
            hi -= 1
        lead = _LEADING.match(m, lo, hi)
        if lead:
            lo = lead.end()
        tail = _TRAILING.search(m[lo:hi])
        if tail and tail.start() < hi - lo:
            hi = lo + tail.start()
        if (lo, hi) == before:
            return lo, hi


def _and_split(m: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """省委宣传部和省政府新闻办 -> two names; 市人力资源和社会保障局 stays one (its parts are not names)."""
    cuts = [x for x in _AND.finditer(m, lo, hi) if _depth(m, lo, x.start()) == 0]
    if not cuts:
        return [(lo, hi)]
    spans, start = [], lo
    for cut in cuts:
        spans.append((start, cut.start()))
        start = cut.end()
    spans.append((start, hi))
    if all(looks_like_department(m[a:b]) for a, b in spans):
        return spans
    return [(lo, hi)]


def _depth(m: str, lo: int, hi: int) -> int:
    return m.count("(", lo, hi) - m.count(")", lo, hi)


def _unbracket(m: str, lo: int, hi: int) -> tuple[int, int]:
    """(市审计局牵头落实) -> its inside, when one bracket pair encloses the whole text."""
    while lo < hi and m[lo] == " ":
        lo += 1
    while hi > lo and m[hi - 1] == " ":
        hi -= 1
    if hi - lo > 2 and m[lo] == "(" and next(_bracket_groups(m[lo:hi]), None) == (0, hi - lo - 1):
        return lo + 1, hi - 1
    return lo, hi


def name_spans(m: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Where each department name is in the folded text m[lo:hi]."""
    hi = len(m) if hi is None else hi
    lo, hi = _unbracket(m, lo, hi)
    out: list[tuple[int, int]] = []
    for a, b in _pieces(m, lo, hi):
        a, b = _trim(m, a, b)
        if a < b:
            out.extend(_and_split(m, a, b))
    return _county_districts(m, out)


def _county_districts(m: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """各县(市)、区政府 is one group (the counties, county-level cities and districts), not 各县(市)
    and 区政府: a piece that is only 各县(市) joins the 区… piece after it."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and re.fullmatch(r"各县\(市\)", m[out[-1][0]:out[-1][1]]) and m[a] == "区":
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def split_departments(text: str) -> list[str]:
    """"市环保局、市卫计委、市公用事业局按职责分别牵头落实" -> [市环保局, 市卫计委, 市公用事业局].

    Names keep their own brackets (市发展改革委(物价局), 各县(市)区政府) and their characters."""
    m = fold(text)
    return [text[a:b] for a, b in name_spans(m)]


# --- the responsibility clause ---------------------------------------------------------------

@dataclass(frozen=True)
class Responsibility:
    """Who answers for a duty, as one clause of the text says it; `span` is the clause's place
    in the text it was found in (brackets included), so the caller can cut it out."""

    lead: list[str]
    support: list[str] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)
    inline: bool = False  # 由XX局负责 is part of its sentence: the text keeps it
    deadline: str = ""  # 责任单位：…；完成时限：2021年6月30日前: the time the clause gives


_TIME_LABEL = r"完成时限|完成时间|时限要求|时间要求|时间节点|时间安排|完成期限"
_LABEL = re.compile(rf"(?:(?P<lead>{_LEAD_LABEL})|(?P<support>{_SUPPORT_LABEL})|(?P<time>{_TIME_LABEL}))\s*:")
_VERB_FORM = re.compile(  # A牵头 / A、B按职责分别牵头 / A会同B负责 / A负责,B配合 (指导, 协助 ...)
    r"\s*(?P<lead>.+?)(?:会同(?P<with>.+?))?(?:按职责|按照职责)?(?:分工)?(?:分别|共同)?(?:牵头|负责)(?:落实|实施|办理)?"
    r"(?:\s*[,;、]\s*(?P<sup>.+?)(?:等(?:单位|部门)?)?(?:配合|参与|协助|协同|指导)(?:落实|实施)?)?[。.\s]*")
_BY = re.compile(r"由(?P<lead>[^,;。由]{2,40}?)(?:牵头|负责)"
                 r"(?:,(?P<sup>[^,;。]{2,30}?)(?:等(?:单位|部门)?)?(?=配合|参与|协助|在|要|负责|共同))?")


def _names(text: str, m: str, lo: int, hi: int) -> list[str]:
    return [text[a:b] for a, b in name_spans(m, lo, hi)]


def _all_departments(names: list[str]) -> bool:
    return bool(names) and all(looks_like_department(n) for n in names)


def _labelled(text: str, m: str, lo: int, hi: int) -> tuple[list[str], list[str], str] | None:
    """牵头单位:A、B;配合单位:C;完成时限:… inside m[lo:hi] (which must open with a label)."""
    labels = list(_LABEL.finditer(m, lo, hi))
    if not labels or m[lo:labels[0].start()].strip():
        return None
    lead: list[str] = []
    support: list[str] = []
    deadline = ""
    for i, label in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else hi
        if label.group("time"):
            deadline = text[label.end():end].strip(" ;；。.,，")
        elif label.group("lead") and (inner := _verb_form(text, m, label.end(), _before_stop(m, label.end(), end))):
            lead.extend(inner[0])  # 责任单位：A牵头，B、C配合
            support.extend(inner[1])
        else:
            (lead if label.group("lead") else support).extend(_names(text, m, label.end(), end))
    return (lead, support, deadline) if lead else None


_TRAILING_TIME = re.compile(r"[,;]\s*(?P<time>[^,;()]*?(?:\d+月|\d{4}年|年底|年内|前完成|日前|底前|长期|持续|每[月季年周])"
                            r"[^,;()]*?)[。.\s]*$")


def _before_stop(m: str, lo: int, hi: int) -> int:
    """The end of a labelled part without the ; or 。 that closes it."""
    while hi > lo and m[hi - 1] in " ;。.,":
        hi -= 1
    return hi


def _verb_form(text: str, m: str, lo: int, hi: int) -> tuple[list[str], list[str], str] | None:
    """市XX局牵头落实 / A、B按职责分别牵头落实 / A牵头,B等配合, filling m[lo:hi] entirely."""
    time = _TRAILING_TIME.search(m, lo, hi)  # (区政务服务中心负责，12月底前完成)
    deadline = text[time.start("time"):time.end("time")] if time else ""
    found = _VERB_FORM.fullmatch(m, lo, time.start() if time else hi)
    if not found:
        return None
    lead = _names(text, m, *found.span("lead"))
    support = [*(_names(text, m, *found.span("with")) if found.group("with") else []),
               *(_names(text, m, *found.span("sup")) if found.group("sup") else [])]
    if _all_departments(lead) and (not support or _all_departments(support)):
        return lead, support, deadline
    return None


def _clause(text: str, m: str, lo: int, hi: int) -> tuple[list[str], list[str], str] | None:
    return _labelled(text, m, lo, hi) or _verb_form(text, m, lo, hi)


def _bracket_groups(m: str) -> Iterable[tuple[int, int]]:
    """(open, close) of every outermost bracket pair."""
    depth, start = 0, 0
    for i, ch in enumerate(m):
        if ch == "(":
            start = i if depth == 0 else start
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                yield start, i


def _labelled_tail(m: str) -> int | None:
    """Where 责任单位:…;完成时限:… begins when the text ends with it (unbracketed, its parts
    apart by ;), or None."""
    starts = [x.end() for x in re.finditer(rf"(?:^|[。;])\s*(?=(?:{_LEAD_LABEL})\s*:)", m)]
    return starts[-1] if starts else None


def _tail_start(m: str) -> int:
    """Where the last sentence of m begins (after the last 。; ! ? outside brackets)."""
    cut, depth = 0, 0
    for i, ch in enumerate(m.rstrip(" 。.")):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and ch in "。;!?":
            cut = i + 1
    return cut


def find_responsibilities(text: str) -> list[Responsibility]:
    """Every clause in the text that names who answers for the work, in order.

    Bracketed clauses anywhere: (市审计局牵头落实), (牵头单位:…;配合单位:…), (责任单位:…);
    a last sentence that is only a clause: 。市审计局牵头落实 / 。A牵头,B配合;
    and 由XX局负责 / 由XX局牵头,YY局在… inside a sentence (only where no other clause is)."""
    m = fold(text)
    found = []
    for lo, hi in _bracket_groups(m):
        names = _clause(text, m, lo + 1, hi)
        if names:
            lead, support, deadline = names
            found.append(Responsibility(lead, support, span=(lo, hi + 1), deadline=deadline))
    tail = _labelled_tail(m) if not found else None
    tail = _tail_start(m) if tail is None else tail
    end = len(m.rstrip())
    if not any(s >= tail for s in (r.span[0] for r in found)):
        names = _clause(text, m, tail, end)
        if names:
            lo = tail + len(m[tail:end]) - len(m[tail:end].lstrip())
            lead, support, deadline = names
            found.append(Responsibility(lead, support, span=(lo, end), deadline=deadline))
    return found or _by_form(text, m)


def _by_form(text: str, m: str) -> list[Responsibility]:
    for by in _BY.finditer(m):
        lead = _names(text, m, *by.span("lead"))
        support = _names(text, m, *by.span("sup")) if by.group("sup") else []
        if _all_departments(lead):
            return [Responsibility(lead, support if _all_departments(support) else [], by.span(),
                                   inline=True)]
    return []


def responsibility(text: str) -> Responsibility | None:
    """The first clause of `text` naming lead (and support) departments, or None."""
    found = find_responsibilities(text)
    return found[0] if found else None


# --- the plan's department list --------------------------------------------------------------

def _key(name: str) -> str:
    """What two spellings of one department share: 市环保局 and 市環境保護局 -> "市|环保局"."""
    level, body = _body(fold(name).replace(" ", ""))
    return f"{level}|{_ALIASES.get(body, body)}"


_BRACKETED_ALIAS = re.compile(r"^(?P<main>[^()]+)\((?:或)?(?P<alias>[^()]+)\)$")


def _bracket_alias(name: str) -> tuple[str, str] | None:
    """市发展改革委(物价局) -> (市发展改革委, 市物价局): a second name in brackets, not 各县(市)区."""
    found = _BRACKETED_ALIAS.match(name.strip())
    if not found:
        return None
    main, alias = found.group("main"), found.group("alias")
    level = _body(fold(main))[0]
    if level and fold(alias)[0] not in LEVELS:
        alias = main[0] + alias
    if looks_like_department(main) and looks_like_department(alias):
        return main, alias
    return None


_SLUG_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def slug(name: str) -> str:
    """A readable id from the name's pinyin, without 市/省/县/区: 市审计局 -> "shenjiju"; a long
    name gives its initials. Always matches the plan format's id pattern."""
    from pypinyin import Style, lazy_pinyin

    body = _body(fold(name).replace(" ", ""))[1]
    syllables = [re.sub(r"[^a-z0-9]", "", s.lower()) for s in lazy_pinyin(body)]
    syllables = [s for s in syllables if s]
    text = "".join(syllables)
    if len(text) > 32:
        text = "".join(re.sub(r"[^a-z0-9]", "", s.lower())[:1]
                       for s in lazy_pinyin(body, style=Style.FIRST_LETTER))
    text = text[:60] or "dept"
    return text if _SLUG_OK.match(text) else f"d{text}"


@dataclass
class _Entry:
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    level: str = ""
    group: bool = False
    supervisor: str | None = None


class Directory:
    """The departments a notice names, one entry per department, for the plan's `departments`.

    `add(name)` gives the reference a duty's lead/support uses: the department's id, or
    "tag:city-dept" (province-dept, county-dept, district-dept, dept) for a 各部门 group, whose
    members are every department of that level. Known departments (earlier plans) keep their id.
    """

    def __init__(self, known: Iterable[KnownDepartment] = ()):
        self._entries: list[_Entry] = []
        self._by_key: dict[str, _Entry] = {}
        self._known: dict[str, KnownDepartment] = {}
        self._used_ids: set[str] = set()
        self._member_tags: dict[str, str] = {}  # tag -> level ("" = every department)
        for k in known:
            self._used_ids.add(k.id)
            for spelling in (k.name, *k.aliases):
                self._known.setdefault(_key(spelling), k)

    def add(self, name: str) -> str:
        name = name.strip()
        entry = self._entry(name)
        members = _MEMBERS_GROUP.match(fold(name).replace(" ", ""))
        if members:
            tag = _LEVEL_TAG[members.group("level") or ""]
            self._member_tags[tag] = members.group("level") or ""
            if tag not in entry.tags:
                entry.tags.append(tag)
            return f"tag:{tag}"
        return entry.id

    def issuer(self, name: str) -> str:
        """The issuing office (营口市人民政府办公室): a notice that hands work to 市政府 or 市政府办公室
        hands it to this office, so those spellings are its aliases, not departments of their own."""
        entry = self._entry(name.strip())
        level = _ISSUING_OFFICE.search(fold(name).replace(" ", ""))
        if level:
            short = level.group("level")
            self._remember(entry, [f"{short}政府", f"{short}人民政府", f"{short}政府办公室",
                                   f"{short}政府办公厅", f"{short}政府办"])
        return entry.id

    def add_all(self, names: Iterable[str]) -> list[str]:
        refs: list[str] = []
        for name in names:
            ref = self.add(name)
            if ref not in refs:
                refs.append(ref)
        return refs

    def entries(self) -> list[dict]:
        """The plan file's `departments`: {id, name, aliases?, tags?} in the order first named."""
        out = []
        for e in self._entries:
            tags = [*e.tags]
            for tag, level in self._member_tags.items():
                if not e.group and (level == "" or e.level == level) and tag not in tags:
                    tags.append(tag)
            item: dict = {"id": e.id, "name": e.name}
            if e.aliases:
                item["aliases"] = list(e.aliases)
            if tags:
                item["tags"] = tags
            if e.supervisor:
                item["supervisor"] = e.supervisor
            out.append(item)
        return out

    def _entry(self, name: str) -> _Entry:
        pair = _bracket_alias(name)
        spellings = [name, *pair] if pair else [name]
        for spelling in spellings:
            entry = self._by_key.get(_key(spelling))
            if entry:
                self._remember(entry, spellings)
                return entry
        entry = self._new(pair[0] if pair else name, spellings)
        self._remember(entry, spellings)
        return entry

    def _new(self, name: str, spellings: list[str]) -> _Entry:
        known = next((self._known[k] for k in map(_key, spellings) if k in self._known), None)
        if known:
            entry = _Entry(known.id, known.name, tags=[t for t in known.tags if t != "group"],
                           supervisor=known.supervisor)
            self._remember(entry, [known.name, *known.aliases])
        else:
            entry = _Entry(self._unique(slug(name)), name)
        entry.level = _body(fold(entry.name))[0]
        entry.group = is_group(entry.name)
        if entry.group:
            entry.tags.append("group")
        self._entries.append(entry)
        return entry

    def _remember(self, entry: _Entry, spellings: list[str]) -> None:
        for spelling in spellings:
            self._by_key.setdefault(_key(spelling), entry)
            if spelling != entry.name and spelling not in entry.aliases:
                entry.aliases.append(spelling)

    def _unique(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self._used_ids:
            n += 1
            suffix = f"-{n}"
            candidate = base[:64 - len(suffix)] + suffix
        self._used_ids.add(candidate)
        return candidate


_ISSUING_OFFICE = re.compile(r"(?P<level>[市省县区])人民政府办公[室厅]$")
_LEVEL_TAG = {"市": "city-dept", "省": "province-dept", "县": "county-dept", "区": "district-dept",
              "": "dept"}


def is_vague(name: str) -> bool:
    """市政府有关部门, 各相关部门: the notice leaves it to someone to say which departments."""
    return bool(_VAGUE.search(fold(name)))
