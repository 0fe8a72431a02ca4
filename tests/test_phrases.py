"""The phrase parser: every row of plan-format.md's table, combinations, and what it refuses."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.plans.phrases import normalize, parse_schedule

Y = 2016
TABLE = [  # (phrase, requirement, expected keys) from plan-format.md "Phrases and what they mean"
    ("7月底前启动", None, {"start_by": date(Y, 7, 31)}),
    ("7月底前", None, {"due": date(Y, 7, 31)}),
    ("7月底", None, {"due": date(Y, 7, 31)}),
    ("9月底前完成", None, {"due": date(Y, 9, 30)}),
    ("年底前完成", None, {"due": date(Y, 12, 31)}),
    ("年底前", None, {"due": date(Y, 12, 31)}),
    ("年内", None, {"due": date(Y, 12, 31)}),
    ("2017年3月底", None, {"due": date(2017, 3, 31)}),
    ("2017年3月底前", None, {"due": date(2017, 3, 31)}),
    ("12月20日前", None, {"due": date(Y, 12, 20)}),
    ("2016年7月底 2016年10月底 2017年1月底", None,
     {"dates": [date(2016, 7, 31), date(2016, 10, 31), date(2017, 1, 31)]}),
    ("每日", None, {"every": "day"}),
    ("每天", None, {"every": "day"}),
    ("每周", None, {"every": "week"}),
    ("每月", None, {"every": "month"}),
    ("按月", None, {"every": "month"}),
    ("每月一次", None, {"every": "month"}),
    ("每月28日前", None, {"every": "month", "due_on": "day 28"}),
    ("每两个月", None, {"every": "month", "interval": 2}),
    ("每季度", None, {"every": "quarter"}),
    ("按季度", None, {"every": "quarter"}),
    ("每季度一次", None, {"every": "quarter"}),
    ("季后15日内", None, {"every": "quarter", "due_on": "+15 days"}),
    ("每半年", None, {"every": "half-year"}),
    ("每年", None, {"every": "year"}),
    ("每年度", None, {"every": "year"}),
    ("年度", None, {"every": "year"}),
    ("长期推进", None, {"ongoing": True}),
    ("持续推进", None, {"ongoing": True}),
    ("长期坚持", None, {"ongoing": True}),
    ("全年工作", None, {"ongoing": True}),
    ("文件公开后3个工作日内", None, {"after_event": "文件公开", "within": "3 workdays"}),
    ("最迟不超过3个工作日", None, {"after_event": "文件公开", "within": "3 workdays"}),
    ("24小时内举行新闻发布会", None, {"after_event": "突发事件", "within": "24 hours"}),
    ("年内至少5次", None, {"quota": 5, "due": date(Y, 12, 31)}),
    ("每年不少于1次", None, {"every": "year", "quota": 1}),
    ("流行季节(4—10月)每周发布", None, {"every": "week", "months": [4, 5, 6, 7, 8, 9, 10]}),
    ("7月底前启动 每季度发布 长期推进", None,
     {"start_by": date(Y, 7, 31), "every": "quarter", "ongoing": True}),
    ("7月底前启动9月底前完成", None, {"start_by": date(Y, 7, 31), "due": date(Y, 9, 30)}),
    ("７月底前启动　长期推进", None, {"start_by": date(Y, 7, 31), "ongoing": True}),  # full-width forms
    ("十二月底前", None, {"due": date(Y, 12, 31)}),
    ("长期推进", "每季度向社会公开饮用水水源水质", {"ongoing": True, "every": "quarter"}),
    ("9月底前完成", "原则上每月组织一次媒体吹风会", {"due": date(Y, 9, 30), "every": "month"}),
    ("长期推进", "编制年度计划，定期公开", {"ongoing": True}),  # 年度计划 and 定期 are not frequencies
]


@pytest.mark.parametrize(("phrase", "requirement", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_each_phrase_of_the_table(phrase, requirement, expected):
    parsed = parse_schedule(phrase, year=Y, requirement=requirement)
    assert parsed.problems == ()
    got = parsed.schedule.model_dump(exclude_defaults=True, exclude={"text"})
    assert got == expected
    assert parsed.schedule.text == phrase


@pytest.mark.parametrize(("phrase", "why"), [
    ("尽快", "not understood"),
    ("", "no deadline"),
    ("7月底前启动 视情况而定", "视情况而定"),
    ("2月30日前", "no such date"),
    ("流行季节(4—10月)定期发布", "no frequency"),
    ("经市人大常委会通过以后", "no time limit after the event"),
    ("每月 每季度", "two different values"),
])
def test_unreadable_phrases_are_kept_and_reported_never_guessed(phrase, why):
    parsed = parse_schedule(phrase, year=Y)
    assert any(why in p for p in parsed.problems), parsed.problems
    assert parsed.schedule.text == (phrase or None)


def test_two_frequencies_in_one_requirement_ask_for_two_duties():
    parsed = parse_schedule("长期推进", year=Y, requirement="每周公开食品抽检信息，每季度公开药品抽检信息")
    assert parsed.schedule.every is None
    assert any("split the duty" in p for p in parsed.problems)


def test_the_plan_year_anchors_phrases_without_a_year():
    assert parse_schedule("9月底前完成", year=2027).schedule.due == date(2027, 9, 30)


MONTHS = st.integers(1, 12)


@given(MONTHS, st.sampled_from(["前", "前完成", "", "前启动"]), st.integers(2000, 2099))
def test_month_end_phrases_give_the_last_day_of_that_month(month, tail, year):
    s = parse_schedule(f"{month}月底{tail}", year=year).schedule
    day = s.start_by if tail == "前启动" else s.due
    assert day.month == month and day.year == year
    assert (date(year + (month == 12), month % 12 + 1, 1) - day).days == 1


PARTS = {
    "7月底前启动": ("start_by", date(Y, 7, 31)), "9月底前完成": ("due", date(Y, 9, 30)),
    "每季度发布": ("every", "quarter"), "长期推进": ("ongoing", True), "每两个月": ("interval", 2),
}


@given(st.permutations(list(PARTS)).flatmap(lambda p: st.tuples(st.just(p), st.integers(1, len(p)))),
       st.sampled_from([" ", "", "，", "  "]))
def test_combinations_in_any_order_give_the_union_of_their_parts(perm_n, sep):
    perm, n = perm_n
    chosen = [p for p in perm[:n] if not (p == "每两个月" and "每季度发布" in perm[:n])]
    parsed = parse_schedule(sep.join(chosen), year=Y)
    assert parsed.problems == ()
    for part in chosen:
        key, value = PARTS[part]
        assert getattr(parsed.schedule, key) == value


@given(st.text(max_size=60))
def test_any_text_parses_or_is_reported_but_never_raises(text):
    parsed = parse_schedule(text, year=Y)
    assert parsed.schedule.text == (text.strip() or None)
    assert parsed.problems or not parsed.schedule.is_empty()


@given(st.integers(1, 99))
def test_chinese_numerals_read_as_digits(n):
    tens, units = divmod(n, 10)
    digits = "零一二三四五六七八九"
    word = (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[units] if units else "")
    assert normalize(word) == str(n)
