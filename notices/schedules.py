"""A duty's schedule from what the notice says: the deadline column's words, and the time rules
written into the requirement itself (年内至少5次, 文件公开后3个工作日内, 每月10日前报送, and in
prose every deadline word). The words found become a phrase that scheduler/plans/phrases.py
reads, exactly as it reads a hand-written plan: one reader, no second set of rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scheduler.plans.phrases import FREQUENCIES, FREQUENCY_WORDS, ONGOING, normalize, parse_schedule

# An event and its time limit: 文件公开后3个工作日内, 收到申请之日起15个工作日内, and with the
# event's object between: 经财政局批准或批复后的预决算信息,20日内.
_EVENT = re.compile(r"(?:(?P<event>[\u4e00-\u9fff《》“”]{1,14}?)(?P<after>以后|之后|后|之日起|起)"
                    r"(?:的[\u4e00-\u9fff]{1,10})?(?:[，,](?:[\u4e00-\u9fff]{0,10}?(?:应当在|应在|要在|须在|在|于))?)?)?"
                    r"(?P<n>\d+)个?(?P<unit>工作日|小时|日|天)内"
                    r"|最迟不超过(?P<n2>\d+)个?(?P<unit2>工作日|小时|日|天)")
_QUOTA = re.compile(r"(?:年内|每年|全年)[^。；;\d]{0,30}?(?:至少|不少于|不低于)[^。；;，,\d]{0,6}?\d+[次期场]")
# 每月10日前报送上月…, 每月5日前将上月工作进展报送: the previous month's report, due after it ends
_MONTH_DAY = re.compile(r"每个?月(?P<d>\d{1,2})[日号]前(?P<prev>[^，,。；;]{0,12}?上个?月)?")
# Days inside periods, read whole before their parts could be read apart: 每年1月31日前, 每季度首月10日前,
# 每季度结束后15日内 (a 结束后 is the period's, not an event's).
_PERIOD_DAY = re.compile(r"每年度?第?[1-4]季度(?:末|底)?(?:之?前)?|每年度?\d{1,2}月(?:\d{1,2}[日号]|底|末)(?:之?前)?|每季度?(?:的)?(?:首月|第[1-3]个?月|最后[1一]个月|末月)\d{1,2}[日号](?:之?前)?"
                         r"|(?:每)?(?:月|季度?|半年|年度?)(?:结束)?后\d+个?(?:工作日|日|天)内")
_DATE = re.compile(r"(?:\d{4}年|次年|明年)?(?<!每)第?[1-4]季度(?:末|底)?(?:之?前)?(?:启动|完成)?"
                   r"|(?:\d{4}年|次年|明年)?(?:1[0-2]|0?[1-9])月(?:底|末|\d{1,2}[日号]|[上中下]旬)(?:之?前|以前)?(?:启动|完成)?"
                   r"|\d{4}年(?:底|末)(?:之?前)?(?:启动|完成)?|(?:年底|年末)(?:之?前)?(?:启动|完成)?|上半年|下半年|年中|(?<![\d年])年内"
                   r"|汛期前|(?:重要)?节假日前|年初")  # the last three are not dates: the reader says so
_ONGOING = re.compile("|".join(w for w in ONGOING if w != "长期"))


@dataclass(frozen=True)
class Found:
    """What a duty's schedule is: a phrase string, or the structured form when the requirement
    added rules to the deadline column (text keeps the column's words)."""

    value: str | dict | None
    problems: tuple[str, ...]


def _take(pattern: re.Pattern[str], text: str) -> tuple[list[str], str]:
    found = pattern.findall(text)
    return found, pattern.sub(" ", text)


def _event_rule(m: re.Match[str]) -> str:
    """The rule as the phrase reader reads it: 文件公开后3个工作日内. Who acts is not the event
    (牵头起草部门应在文件公开后 -> 文件公开; 各部门要将经财政局批准后 -> 财政局批准)."""
    if m["n2"]:
        return m.group(0)
    event = re.sub(r"^.*(?:应在|要在|须在|在|于|经|将|自|从)", "", m["event"] or "")
    after = "之日起" if m["after"] in ("之日起", "起") else "后"
    limit = f"{m['n']}{'个' if m['unit'] in ('工作日', '小时') else ''}{m['unit']}内"
    return f"{event}{after}{limit}" if event else limit


def _is_event(m: re.Match[str]) -> bool:
    """文件公开后3个工作日内 names its event; 24小时内 is counted from 突发事件 (plan-format.md);
    a bare 压缩至1个工作日内 is a target for the work, not a deadline."""
    return bool(m["event"] or m["n2"] or m["unit"] == "小时")


def _year_end(snippet: str) -> str:
    """2017年底前 -> 2017年12月底前: the phrase reader reads a year only before a month."""
    return re.sub(r"(\d{4})年(底|末)", r"\1年12月\2", snippet)


def rules_in(requirement: str, *, every_word: bool) -> list[str]:
    """Time rules written in a requirement. Events always (the plan loader reads a requirement's
    frequencies, days and quotas itself, but never its events); in prose (every_word) every
    deadline word, since prose has no deadline column."""
    text = normalize(requirement)
    periods, text = _take(_PERIOD_DAY, text)
    events = [_event_rule(m) for m in _EVENT.finditer(text) if _is_event(m)]
    text = _EVENT.sub(lambda m: " " if _is_event(m) else m.group(0), text)
    found = events + (periods if every_word else [])
    if every_word:
        quotas, text = _take(_QUOTA, text) if not events else ([], text)
        month_days = [f"每月{m['d']}日前报送上月" if m["prev"] else f"每月{m['d']}日前" for m in _MONTH_DAY.finditer(text)]
        text = _MONTH_DAY.sub(" ", text)
        found += quotas + month_days
        dates, text = _take(_DATE, text)
        found += [_year_end(d) for d in dates]
        found += sorted(set(FREQUENCY_WORDS.findall(text)), key=text.find)
        found += sorted(set(_ONGOING.findall(text)), key=text.find)
    return list(dict.fromkeys(found))


def schedule_for(deadline: str, requirement: str, year: int) -> Found:
    """The schedule of one duty. The deadline column is the notice's own answer; the requirement adds
    only what the column cannot say (an event, a quota, a day of the month)."""
    column = " ".join(deadline.split())
    extra = rules_in(requirement, every_word=not column)
    if not column and not extra:
        return Found(None, ("没有写明时限 / no deadline or frequency stated",))
    phrase = " ".join([column, *extra]).strip()
    parsed = parse_schedule(phrase, year=year, requirement=requirement)
    if not column:
        return Found(phrase, parsed.problems)
    if not extra:
        return Found(column, parsed.problems)
    return _structured(column, extra, year, requirement)


def _structured(column: str, extra: list[str], year: int, requirement: str) -> Found:
    """The column's words plus the requirement's event. An event-triggered duty takes no quota
    from its requirement (a quota counts toward a date; the event has none), only its frequency."""
    parsed = parse_schedule(" ".join([column, *extra]), year=year)
    keys = parsed.schedule.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    words = frequencies(requirement)
    if "every" not in keys and len(words) == 1:
        keys["every"] = FREQUENCIES[words[0]]
    keys["text"] = f"{column}({'，'.join(extra)})"
    return Found(keys, parsed.problems)


def frequencies(requirement: str) -> list[str]:
    """The distinct frequency words of a requirement, in order (每周…，每季度… names two)."""
    words = FREQUENCY_WORDS.findall(normalize(requirement))
    seen: dict[str, str] = {}
    for w in words:
        seen.setdefault(FREQUENCIES[w], w)
    return list(seen.values())
