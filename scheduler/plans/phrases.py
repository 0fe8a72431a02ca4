"""From a notice's deadline phrase (完成时限) to the structured schedule (plan-format.md's table).

The parser reads known patterns out of the phrase one after another and removes what it
read. Whatever is left that is not a filler word (发布, 完成, 前 ...) is not understood: the
duty is reported for review with that text, never guessed. Frequency words in the duty's
requirement count too (每季度向社会公开 makes it quarterly), but only words of frequency.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import opencc
from pydantic import ValidationError

from scheduler.bounds import OutOfRange, check_year
from scheduler.calendar.schedules import Schedule

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
FREQUENCIES = {"每日": "day", "每天": "day", "每个工作日": "day", "每周": "week", "每星期": "week",
               "每月": "month", "按月": "month", "每个月": "month", "每季度": "quarter", "按季度": "quarter",
               "每季": "quarter", "按季": "quarter", "每半年": "half-year", "每年度": "year", "每年": "year",
               "按年度": "year", "按年": "year"}
FREQUENCY_WORDS = re.compile("|".join(sorted(map(re.escape, FREQUENCIES), key=len, reverse=True)))
ONGOING = ("长期推进", "持续推进", "长期坚持", "全年工作", "常态化", "持续实施", "长期实施", "持续开展", "长期开展",
           "长期")
_ONGOING_HERE = (*ONGOING, "全年")  # 全年 too, in a deadline phrase (prose uses it for other things)
# 及时公开 alone means "promptly, whenever there is something": ongoing, with no dates of its own.
_PROMPTLY = re.compile(r"及时|随时|适时")
# Words that sound like a deadline but name no day: listed for review, with why.
_NOT_DATES = {"汛期": "汛期 the flood season starts on a different day in each place and year",
              "节假日": "节假日 a holiday: say which one and give its date",
              "年初": "年初 early in the year is not one day"}
_NOT_DATE_RE = re.compile(r"(?:重要)?(?P<w>节假日|汛期|年初)(?:期间|之?前|以前)?")
# Words that carry no schedule: what is left after them must be empty for the phrase to be read.
_FILLER = re.compile(r"[\s,，、;；。.:：()（）\[\]【】/\-—–~]|之?前|以前|启动|完成|新闻发布会|发布会|发布|公开|1次|开展|落实|"
                     r"及时|随时|适时|定期|执行|工作|报送|上报|转发|转载|组织|举行|推进|实施|并|和|及|等|于")
_UNIT = {"工作日": "workdays", "日": "days", "天": "days", "小时": "hours"}
_EVENT_NOUN = re.compile(r"(?:在|于|应在|自|从)?(?P<event>[\u4e00-\u9fff《》“”]{2,16}?)(?:以后|之后|后|之日起|起)$")
# An event with no time limit after it (正式印发后): read, then reported for its missing `within`.
_EVENT_ONLY = re.compile(r"(?P<event>(?:正式|文件|方案|政策)?(?:印发|出台|公布|批准|签发|实施))(?:以后|之后|后)"
                         r"|(?P<received>(?:收到|接到)[^\s,，;；。]{1,20}?)(?:以后|之后|后)(?:及时|立即|第一时间)?")


def cn_to_arabic(text: str) -> str:
    """Chinese numerals up to 99 (十二, 二十八, 两) into digits, so one set of patterns reads both."""
    def one(m: re.Match[str]) -> str:
        s = m.group(0)
        if "十" not in s:
            return "".join(str(_DIGITS[c]) for c in s)
        tens, _, units = s.partition("十")
        value = (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(units, 0) if units else 0)
        return str(value)
    return _CN_NUMBER.sub(one, text)


to_simplified = opencc.OpenCC("t2s").convert  # 長期推進 -> 长期推进, one converter for the project


def normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC), traditional characters to simplified (長期推進 reads as
    长期推进: seed 004 is written in them), Chinese numerals to digits, dashes unified."""
    text = cn_to_arabic(to_simplified(unicodedata.normalize("NFKC", text)))
    # 2023-09-30, 2023.9.30, 2023/9/30 (a spreadsheet's date cell) as 2023年9月30日
    text = re.sub(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)", r"\1年\2月\3日", text)
    text = re.sub(r"(\d{4}年)\s+(?=\d{1,2}月)", r"\1", text)  # 2017年 3月底: one date, wrapped
    text = re.sub(r"[—–－~～]", "-", text)
    text = re.sub(r"(?<=[\d月])[至到](?=\d)", "-", text)  # 4至10月, not 至少
    return text


@dataclass(frozen=True)
class Parsed:
    """The structured schedule and the reasons a person should look at it (empty when clear)."""

    schedule: Schedule
    problems: tuple[str, ...] = ()
    # Every word read and the readings agree; at most the event's time limit is missing, which the
    # notice may simply not give (经市人大常委会通过以后): nothing of it is a guess.
    whole: bool = True


@dataclass
class _Found:
    """What the patterns have read so far."""

    year: int
    phrase: str
    keys: dict = field(default_factory=dict)
    deadlines: list[tuple[date, str]] = field(default_factory=list)  # (date, start|done|plain)
    problems: list[str] = field(default_factory=list)

    def set(self, key: str, value: object, what: str) -> None:
        if key in self.keys and self.keys[key] != value:
            self.problems.append(f"两个不同的{what} two different values for `{key}`: "
                                 f"{self.keys[key]} and {value}")
            return
        self.keys[key] = value


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _role(tail: str | None) -> str:
    return {"启动": "start", "完成": "done"}.get(tail or "", "plain")


_ROLE = r"(?:之?前|以前)?(?P<role>启动|完成)?"
_YEAR = r"(?:(?P<y>\d{4})年度?|(?P<next>次年|明年))?"
_DATED = re.compile(_YEAR + r"(?P<m>1[0-2]|0?[1-9])月(?:(?P<end>底|末)|(?P<d>[0-3]?\d)[日号]|"
                    r"(?P<x>上|中|下)旬)" + _ROLE)
_YEAR_PART = re.compile(r"(?:(?P<y>\d{4})|(?P<next>次年|明年))?(?:年度?)?(?P<w>上半年|下半年|年中|年底|年末|年内|当年|本年度?)内?" + _ROLE)
# 2020年9月, 9月份, 8月启动: a month alone is due at its end (after 9月底, 9月20日, 9月上旬 are read).
_BARE_MONTH = re.compile(_YEAR + r"(?P<m>1[0-2]|0?[1-9])月份?(?![\d底末上中下份])" + _ROLE)
_QUARTER = re.compile(_YEAR + r"(?<!每)第?(?P<q>[1-4])季度(?:末|底)?" + _ROLE)  # 2024年第三季度: its end
# 2024年 / 2024年度 / 2024—2025年 alone: due at that (last) year's end; not 2016年起 (a start).
_YEAR_ALONE = re.compile(r"(?:\d{4}年?-)?(?P<y>\d{4})年度?(?![\d月季上下底末内第起以开])" + _ROLE)
_PART_DAY = {"上半年": (6, 30), "年中": (6, 30)}  # the rest of _YEAR_PART's words: 31 Dec
_QUOTA = re.compile(r"(?P<per>年内|每年|全年)(?:[^\d\s]{0,12}?)(?:至少|不少于|不低于)(?:[^\d\s]{0,6}?)(?P<n>\d+)[次期场]")
_BEFORE = r"(?:之?前|以前)?"
_MONTH_DAY = re.compile(r"每(?:个)?月(?P<d>[0-3]?\d)[日号]" + _BEFORE +
                        r"(?P<prev>(?:报送|上报|报|公开|发布)?上个?月(?:份)?(?:的)?(?:情况|数据|信息)?)?")
_NEXT_MONTH_DAY = re.compile(r"次月(?P<d>[0-3]?\d)[日号]" + _BEFORE)
_TEN_DAYS = re.compile(r"每(?:个)?月(?P<x>上|中|下)旬" + _BEFORE)
_YEAR_MONTH_DAY = re.compile(r"每年[\s,，、]*(?:的)?(?P<m>1[0-2]|0?[1-9])月(?:(?P<end>底|末)|(?P<d>[0-3]?\d)[日号]|"
                             r"(?P<x>上|中|下)旬)" + _BEFORE)
_YEAR_QUARTER = re.compile(r"每年[\s,，、]*(?:的)?第?(?P<q>[1-4])季度(?:末|底)?" + _BEFORE)
_QUARTER_MONTH = re.compile(r"每季度?(?:的)?(?:第(?P<k>[1-3])个?月|(?P<first>首月)|(?P<last>最后[1一]个月|末月))"
                            r"(?P<d>[0-3]?\d)[日号]" + _BEFORE)
_PERIOD_END = re.compile(r"每个?(?P<p>月|季度?|半年|年度?)(?:月|季度?|年)?(?:底|末)" + _BEFORE)
_AFTER_PERIOD = re.compile(r"(?:每)?(?P<p>月|季度?|半年|年度?)(?:结束)?后(?P<n>\d+)个?(?P<u>工作日|日|天)内")
_INTERVAL = re.compile(r"每(?P<n>\d+)个?(?P<u>月|季度|周|星期|年)")
_MONTHS = re.compile(r"(?:流行季节|季节)?\(?(?P<a>1[0-2]|[1-9])月?-(?P<b>1[0-2]|[1-9])月\)?")
_WITHIN = re.compile(r"(?P<before>[^\s,，;；。]*?)(?P<n>\d+)个?(?P<u>工作日|小时|日|天)内")
_NO_LATER = re.compile(r"最迟不超过(?P<n>\d+)个?(?P<u>工作日|小时|日|天)")
_PASSED = re.compile(r"经(?P<who>[^\s,，;；。]{2,20}?)通过(?:以后|之后|后)")
_PUBLISHED = re.compile(r"按(?P<what>[^\s,，;；。]{1,20}?)发布后的时间要求")
_LAST_DAY = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # clamped in a common year
_PERIOD_ALONE = {"年度": "year", "半年度": "half-year", "季度": "quarter", "月度": "month"}
_PERIOD_UNIT = {"月": "month", "季": "quarter", "季度": "quarter", "半年": "half-year", "年": "year",
                "年度": "year", "周": "week", "星期": "week"}


def _year_of(m: re.Match[str], f: _Found) -> int | None:
    """The year a date names: its own (2017年), the next (次年) or the plan's; None when out of range."""
    year = int(m["y"]) if m["y"] else f.year + (1 if m["next"] else 0)
    try:
        return check_year(year)
    except OutOfRange as exc:
        f.problems.append(f"{exc}: {m.group(0)}")
        return None


def _read_dates(text: str, f: _Found) -> str:
    def dated(m: re.Match[str]) -> str:
        year, month = _year_of(m, f), int(m["m"])
        if year is None:
            return " "
        if m["end"]:
            day = _month_end(year, month)
        elif m["x"]:
            day = _month_end(year, month) if m["x"] == "下" else _day(year, month, 10 if m["x"] == "上" else 20)
        else:
            try:
                day = date(year, month, int(m["d"]))
            except ValueError:
                f.problems.append(f"日期无效 no such date: {m.group(0)}")
                return " "
        f.deadlines.append((day, _role(m["role"])))
        return " "

    text = _DATED.sub(dated, text)

    def bare_month(m: re.Match[str]) -> str:
        year = _year_of(m, f)
        if year is not None:
            f.deadlines.append((_month_end(year, int(m["m"])), _role(m["role"])))
        return " "

    text = _BARE_MONTH.sub(bare_month, text)

    def quarter(m: re.Match[str]) -> str:
        year = _year_of(m, f)
        if year is not None:
            f.deadlines.append((_month_end(year, int(m["q"]) * 3), _role(m["role"])))
        return " "

    text = _QUARTER.sub(quarter, text)

    def year_part(m: re.Match[str]) -> str:
        year = _year_of(m, f)
        if year is not None:
            f.deadlines.append((date(year, *_PART_DAY.get(m["w"], (12, 31))), _role(m["role"])))
        return " "

    text = _YEAR_PART.sub(year_part, text)

    def year_alone(m: re.Match[str]) -> str:
        year = _year_of(m, f)
        if year is not None:
            f.deadlines.append((date(year, 12, 31), _role(m["role"])))
        return " "

    return _YEAR_ALONE.sub(year_alone, text)


def _read_quota(text: str, f: _Found) -> str:
    def quota(m: re.Match[str]) -> str:
        f.set("quota", int(m["n"]), "次数 quota")
        if m["per"] == "每年":
            f.set("every", "year", "频次 frequency")
        else:
            f.deadlines.append((date(f.year, 12, 31), "plain"))
        return " "
    return _QUOTA.sub(quota, text)


def _recurring(f: _Found, every: str, due_on: str | None = None) -> str:
    """Record a frequency and, when given, the day in each period; the text read is spent."""
    f.set("every", every, "频次 frequency")
    if due_on:
        f.set("due_on", due_on, "期内日期 due_on")
    return " "


def _day_in_month(m: re.Match[str], month: int) -> int:
    """The day a match names in a month: 31日, 底/末 (the last day), 上/中/下旬 (10, 20, the last)."""
    said = m.groupdict()
    if said.get("d"):
        return int(said["d"])
    return {"上": 10, "中": 20}.get(said.get("x") or "", _LAST_DAY[month - 1])


def _read_days_in_periods(text: str, f: _Found) -> str:
    """每年1月31日前, 每年一季度, 每季度首月10日前, 每月上旬, 每月底前, 次月5日前, 每月5日前报送上月."""
    def year_month_day(m: re.Match[str]) -> str:
        month, day = int(m["m"]), _day_in_month(m, int(m["m"]))
        if not 1 <= day <= _LAST_DAY[month - 1]:
            f.problems.append(f"日期无效 no such date: {m.group(0)}")
            return " "
        return _recurring(f, "year", f"month {month} day {day}")

    def year_quarter(m: re.Match[str]) -> str:
        month = 3 * int(m["q"])
        return _recurring(f, "year", f"month {month} day {_LAST_DAY[month - 1]}")

    def month_day(m: re.Match[str]) -> str:  # 报送上月: day 5 of the next month, after the month reported on
        day = int(m["d"])
        return _recurring(f, "month", f"+{day} days" if m["prev"] else f"day {day}")

    text = _YEAR_MONTH_DAY.sub(year_month_day, text)
    text = _YEAR_QUARTER.sub(year_quarter, text)
    text = _QUARTER_MONTH.sub(lambda m: _recurring(
        f, "quarter", f"month {m['k'] or (3 if m['last'] else 1)} day {int(m['d'])}"), text)
    text = _TEN_DAYS.sub(lambda m: _recurring(f, "month", None if m["x"] == "下" else
                                              f"day {_day_in_month(m, 1)}"), text)
    text = _PERIOD_END.sub(lambda m: _recurring(f, _PERIOD_UNIT[m["p"]]), text)
    text = _NEXT_MONTH_DAY.sub(lambda m: _recurring(f, "month", f"+{int(m['d'])} days"), text)
    return _MONTH_DAY.sub(month_day, text)


def _read_recurrence(text: str, f: _Found) -> str:

    def interval(m: re.Match[str]) -> str:
        f.set("every", _PERIOD_UNIT[m["u"]], "频次 frequency")
        f.set("interval", int(m["n"]), "间隔 interval")
        return " "

    def months(m: re.Match[str]) -> str:
        a, b = int(m["a"]), int(m["b"])
        f.set("months", list(range(a, b + 1)) if a <= b else list(range(a, 13)) + list(range(1, b + 1)),
              "月份 months")
        return " "

    text = _INTERVAL.sub(interval, text)
    text = _MONTHS.sub(months, text)
    return text


def _read_after_period(text: str, f: _Found) -> str:
    """季后15日内: quarterly, due 15 days after each quarter ends (read before events' N日内)."""
    def after_period(m: re.Match[str]) -> str:
        f.set("every", _PERIOD_UNIT[m["p"]], "频次 frequency")
        unit = "workdays" if m["u"] == "工作日" else "days"
        f.set("due_on", f"+{int(m['n'])} {unit}", "期内日期 due_on")
        return " "
    return _AFTER_PERIOD.sub(after_period, text)


def _read_frequency(text: str, f: _Found) -> str:
    text = FREQUENCY_WORDS.sub(lambda m: _recurring(f, FREQUENCIES[m.group(0)]), text)
    alone = _FILLER.sub("", text)  # 年度 alone, in a deadline column, means yearly (季度, 月度 too)
    if alone in _PERIOD_ALONE:
        return _recurring(f, _PERIOD_ALONE[alone])
    return text


def _read_events(text: str, f: _Found) -> str:
    def passed(m: re.Match[str]) -> str:
        f.set("after_event", f"{m['who']}通过", "事件 event")
        return " "

    def published(m: re.Match[str]) -> str:
        f.set("after_event", f"{m['what']}发布", "事件 event")
        return " "

    def within(m: re.Match[str]) -> str:
        n, unit = int(m["n"]), _UNIT[m["u"]]
        noun = _EVENT_NOUN.search(m["before"] or "")
        event = noun["event"] if noun else ("突发事件" if unit == "hours" else "文件公开")
        f.set("after_event", event, "事件 event")
        f.set("within", f"{n} {unit}", "时限 within")
        return " "

    text = _PASSED.sub(passed, text)
    text = _PUBLISHED.sub(published, text)
    text = _NO_LATER.sub(lambda m: within(_fake_within(m)), text)
    text = _WITHIN.sub(within, text)
    return _EVENT_ONLY.sub(lambda m: f.set("after_event", m["event"] or m["received"], "事件 event") or " ", text)


def _fake_within(m: re.Match[str]) -> dict:
    """最迟不超过3个工作日 reads as 文件公开后3个工作日内 (plan-format.md)."""
    return {"before": "文件公开后", "n": m["n"], "u": m["u"]}


def _read_ongoing(text: str, f: _Found) -> str:
    for word in _ONGOING_HERE:
        if word in text:
            f.keys["ongoing"] = True
            text = text.replace(word, " ")
    if _PROMPTLY.search(text) and not (f.keys or f.deadlines or f.problems):
        f.keys["ongoing"] = True  # 及时公开 alone; 每月及时报送 stays monthly
    return text


def _read_not_dates(text: str, f: _Found) -> str:
    """汛期前, 重要节假日前, 年初: they sound like deadlines but name no day; a person gives one."""
    def not_date(m: re.Match[str]) -> str:
        f.problems.append(f"不是日期 not a date: {_NOT_DATES[m['w']]}; write the date (e.g. 5月31日前) "
                          f"in “{f.phrase}”")
        return " "
    return _NOT_DATE_RE.sub(not_date, text)


def _place_deadlines(f: _Found) -> None:
    starts = sorted({d for d, role in f.deadlines if role == "start"})
    ends = sorted({d for d, role in f.deadlines if role != "start"})
    if len(starts) > 1:
        f.problems.append(f"多个启动日期 several start dates: {', '.join(map(str, starts))}")
    if starts:
        f.keys["start_by"] = starts[0]
    if len(ends) == 1:
        f.keys["due"] = ends[0]
    elif ends:
        f.keys["dates"] = ends


def _requirement_frequency(requirement: str | None, f: _Found) -> None:
    """每季度向社会公开 in the requirement makes the duty quarterly, 每月10日前报送 monthly by the 10th,
    年内至少5次 a quota; only when the deadline column names no frequency. Two frequencies need two duties."""
    if not requirement:
        return
    if "every" in f.keys:  # 每年 in the column, 每年…不少于2次 in the requirement: the count still holds
        quota = _QUOTA.search(normalize(requirement))
        if quota and "quota" not in f.keys:
            f.keys["quota"] = int(quota["n"])
        return
    r, text = _Found(f.year, requirement), normalize(requirement)
    for step in _REQUIREMENT_STEPS:
        text = step(text, r)
    found = sorted({FREQUENCIES[w] for w in FREQUENCY_WORDS.findall(text)} | {r.keys.get("every")} - {None})
    if len(found) > 1 or any(p.startswith("两个不同") for p in r.problems):
        f.problems.append(f"要求中有多个频次 the requirement names several frequencies or days "
                          f"({', '.join(found)}): split the duty in two, one per frequency")
        return
    f.problems += r.problems
    f.keys.update({k: v for k, v in r.keys.items() if k in ("interval", "due_on", "quota")})
    if found:
        f.keys["every"] = found[0]
    if r.deadlines and not any(role != "start" for _, role in f.deadlines):
        f.deadlines += r.deadlines  # 年内至少5次: due at the year's end


# In this order: each step removes what it read, so 每年1月31日前 is not read again as 1月31日前.
_STEPS = (_read_not_dates, _read_after_period, _read_events, _read_quota, _read_days_in_periods,
          _read_recurrence, _read_frequency, _read_dates, _read_ongoing)

def _yearly_next_to_a_date(f: _Found) -> None:
    """12月20日前 每年: a yearly deadline or a one-off beside a yearly duty? Not guessed."""
    if f.keys.get("every") == "year" and any(role == "plain" for _, role in f.deadlines):
        f.problems.append("每年与日期并列 every year next to a date: write 每年12月20日前 for a yearly "
                          f"deadline, or give the one-off date its own duty, in “{f.phrase}”")


# What a requirement's prose may say about when: frequencies, days in periods, quotas; no dates.
_REQUIREMENT_STEPS = (_read_after_period, _read_quota, _read_days_in_periods, _read_recurrence)


def _quota_by_date(f: _Found) -> None:
    """每年不少于2次 beside 2019年12月底前: twice by that date, not a yearly series as well."""
    if f.keys.get("quota") and f.keys.get("every") == "year" and "due_on" not in f.keys \
            and any(role != "start" for _, role in f.deadlines):
        del f.keys["every"]


def parse_schedule(phrase: str | None, *, year: int, requirement: str | None = None) -> Parsed:
    """Read a deadline phrase (and the frequency words of the requirement) into a Schedule."""
    original = (phrase or "").strip()
    f = _Found(year, original)
    text = normalize(original)
    for step in _STEPS:
        text = step(text, f)
    _yearly_next_to_a_date(f)
    _requirement_frequency(requirement, f)
    _quota_by_date(f)
    _place_deadlines(f)
    leftover = _FILLER.sub("", text)
    if leftover:
        f.problems.append(f"看不懂的时限 not understood: “{leftover}” in “{original}”")
    try:
        schedule = Schedule.model_validate({**f.keys, "text": original or None})
    except ValidationError as exc:
        f.problems.append(f"时限自相矛盾 inconsistent schedule: {exc.errors()[0]['msg']}")
        schedule = Schedule(text=original or None)
    if schedule.months and not schedule.every:
        f.problems.append("只有月份没有频次 months given but no frequency (定期 is not one): set `every`")
    if schedule.is_empty() and not f.problems:
        f.problems.append("没有时限 no deadline or frequency stated" if not original
                          else f"看不懂的时限 not understood: “{original}”")
    whole = not f.problems
    if schedule.after_event and not schedule.within:
        f.problems.append(f"事件“{schedule.after_event}”之后的时限未写明 no time limit after the event: "
                          "set `within` (e.g. 5 workdays)")
    return Parsed(schedule, tuple(dict.fromkeys(f.problems)), whole)
