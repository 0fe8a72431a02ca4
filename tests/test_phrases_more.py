"""Issue 15's phrases: each read exactly into the structured form, or listed for review with its words.

Also what a plan does with what was read: deadlines before the plan's issue date, duties under
review in `plan show`, `plan check` and `plan load`, and the importer's `review` and `source` keys.
"""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar.occurrences import expand
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.phrases import parse_schedule

Y = 2016
CN = calendar_for("CN")

EXACT = [  # (phrase, expected keys): the phrases of issue 15, seeds and real notices
    ("每年1月31日前", {"every": "year", "due_on": "month 1 day 31"}),
    ("每年3月31日前", {"every": "year", "due_on": "month 3 day 31"}),
    ("每年3月底前", {"every": "year", "due_on": "month 3 day 31"}),
    ("每年二月底前", {"every": "year", "due_on": "month 2 day 29"}),
    ("每年一季度", {"every": "year", "due_on": "month 3 day 31"}),
    ("每季度第一个月10日前", {"every": "quarter", "due_on": "month 1 day 10"}),
    ("每季度首月10日前", {"every": "quarter", "due_on": "month 1 day 10"}),
    ("每季度第二个月15日前", {"every": "quarter", "due_on": "month 2 day 15"}),
    ("每年第三季度末", {"every": "year", "due_on": "month 9 day 30"}),
    ("每年年底前", {"every": "year"}),
    ("每年，3月底前", {"every": "year", "due_on": "month 3 day 31"}),
    ("每月底前", {"every": "month"}),
    ("每季度末", {"every": "quarter"}),
    ("每月上旬", {"every": "month", "due_on": "day 10"}),
    ("每月中旬", {"every": "month", "due_on": "day 20"}),
    ("每月下旬", {"every": "month"}),
    ("次月5日前", {"every": "month", "due_on": "+5 days"}),
    ("每月5日前报送上月", {"every": "month", "due_on": "+5 days"}),
    ("每月5日前", {"every": "month", "due_on": "day 5"}),
    ("季度结束后15日内", {"every": "quarter", "due_on": "+15 days"}),
    ("季后15日内", {"every": "quarter", "due_on": "+15 days"}),
    ("每季度结束后10个工作日内", {"every": "quarter", "due_on": "+10 workdays"}),
    ("每半年", {"every": "half-year"}),
    ("上半年", {"due": date(Y, 6, 30)}),
    ("下半年", {"due": date(Y, 12, 31)}),
    ("年中", {"due": date(Y, 6, 30)}),
    ("次年1月底前", {"due": date(Y + 1, 1, 31)}),
    ("2017年底前", {"due": date(2017, 12, 31)}),
    ("于2017年底前", {"due": date(2017, 12, 31)}),
    ("2016年度上半年", {"due": date(2016, 6, 30)}),
    ("当年", {"due": date(Y, 12, 31)}),
    ("本年度", {"due": date(Y, 12, 31)}),
    ("按季度", {"every": "quarter"}),
    ("每季", {"every": "quarter"}),
    ("季度", {"every": "quarter"}),
    ("年度", {"every": "year"}),
    ("月度", {"every": "month"}),
    ("及时", {"ongoing": True}),
    ("随时", {"ongoing": True}),
    ("适时", {"ongoing": True}),
    ("及时公开", {"ongoing": True}),
    ("长期", {"ongoing": True}),
    ("常态化", {"ongoing": True}),
    ("持续推进", {"ongoing": True}),
    ("长期坚持", {"ongoing": True}),
    ("全年工作", {"ongoing": True}),
    ("全年", {"ongoing": True}),
    ("年内至少5次", {"quota": 5, "due": date(Y, 12, 31)}),
    ("全年不少于4次", {"quota": 4, "due": date(Y, 12, 31)}),
    ("每年至少一次", {"every": "year", "quota": 1}),
    ("文件公开后3个工作日内", {"after_event": "文件公开", "within": "3 workdays"}),
    ("印发之日起20个工作日内", {"after_event": "印发", "within": "20 workdays"}),
    ("收到申请之日起15个工作日内", {"after_event": "收到申请", "within": "15 workdays"}),
    ("自收到申请之日起15个工作日内", {"after_event": "收到申请", "within": "15 workdays"}),
    ("2016年12月底前", {"due": date(2016, 12, 31)}),
    ("2017年3月底", {"due": date(2017, 3, 31)}),
    ("12月31日前", {"due": date(Y, 12, 31)}),
    ("7月上旬", {"due": date(Y, 7, 10)}),
]


@pytest.mark.parametrize(("phrase", "expected"), EXACT, ids=[p for p, _ in EXACT])
def test_each_phrase_is_read_exactly(phrase, expected):
    parsed = parse_schedule(phrase, year=Y)
    assert parsed.problems == ()
    assert parsed.schedule.model_dump(exclude_defaults=True, exclude={"text"}) == expected


FLAGGED = [  # (phrase, words the reason must contain)
    ("汛期前", "汛期"),
    ("重要节假日前", "节假日"),
    ("年初", "年初"),
    ("正式印发后", "no time limit after the event"),
    ("出台后", "no time limit after the event"),
    ("每年1月31日前 每季度", "two different"),
    ("每年2月30日前", "no such date"),
    ("12月20日前 每年", "every year next to a date"),
    ("每月35日前", "inconsistent"),
]


@pytest.mark.parametrize(("phrase", "words"), FLAGGED, ids=[p for p, _ in FLAGGED])
def test_phrases_that_are_not_dates_are_listed_for_review_with_their_words(phrase, words):
    parsed = parse_schedule(phrase, year=Y)
    assert any(words in p for p in parsed.problems), parsed.problems


def test_not_a_date_says_why_and_quotes_the_phrase():
    why = parse_schedule("汛期前完成", year=Y).problems
    assert len(why) == 1 and "不是日期 not a date" in why[0] and "“汛期前完成”" in why[0]


def test_a_yearly_day_in_a_month_is_never_read_as_year_end():
    """Issue 15 #1: 每年1月31日前 was every year due 12-31 with nothing flagged."""
    s = parse_schedule("每年1月31日前", year=Y).schedule
    found = expand(s, calendar=CN, start=date(2016, 1, 1), end=date(2018, 12, 31),
                   plan_start=date(2016, 1, 5), plan_until=date(2018, 12, 31))
    assert [(o.due, o.period) for o in found] == [(date(2016, 1, 31), "2016"), (date(2017, 1, 31), "2017"),
                                                  (date(2018, 1, 31), "2018")]


def test_the_first_month_of_each_quarter():
    """Issue 15 #2: 每季度第一个月10日前 is due 10 Jan, 10 Apr, 10 Jul, 10 Oct."""
    s = parse_schedule("每季度第一个月10日前", year=Y).schedule
    found = expand(s, calendar=CN, start=date(2016, 1, 1), end=date(2016, 12, 31),
                   plan_start=date(2016, 1, 1), plan_until=date(2016, 12, 31))
    assert [o.due for o in found] == [date(2016, m, 10) for m in (1, 4, 7, 10)]


@pytest.mark.parametrize(("every", "due_on"), [
    ("month", "month 1 day 10"), ("week", "month 1 day 10"), ("quarter", "month 4 day 10"),
    ("half-year", "month 7 day 1"), (None, "month 1 day 1"), ("year", "month 13 day 1")])
def test_a_month_of_the_period_must_be_inside_the_period(every, due_on):
    with pytest.raises(ValueError):
        Schedule(every=every, due_on=due_on)


def test_a_month_of_a_half_year_and_of_a_year():
    half = Schedule(every="half-year", due_on="month 6 day 31")
    found = expand(half, calendar=CN, start=date(2016, 1, 1), end=date(2016, 12, 31),
                   plan_start=date(2016, 1, 1), plan_until=date(2016, 12, 31))
    assert [(o.due, o.period) for o in found] == [(date(2016, 6, 30), "2016-H1"), (date(2016, 12, 31), "2016-H2")]
    leap = Schedule(every="year", due_on="month 2 day 29", ongoing=True)
    found = expand(leap, calendar=CN, start=date(2016, 1, 1), end=date(2017, 12, 31),
                   plan_start=date(2016, 1, 1), plan_until=date(2016, 12, 31))
    assert [o.due for o in found] == [date(2016, 2, 29), date(2017, 2, 28)]


REQUIREMENTS = [  # (phrase, requirement, expected keys): issue 15 #7, frequency words in the requirement
    (None, "各部门每月10日前报送工作进展情况", {"every": "month", "due_on": "day 10"}),
    ("长期推进", "每季度公开空气质量状况", {"ongoing": True, "every": "quarter"}),
    ("7月底前启动", "年内至少5次邀请利益相关方列席会议",
     {"start_by": date(Y, 7, 31), "quota": 5, "due": date(Y, 12, 31)}),
    (None, "主要负责同志每年至少听取一次政务公开工作汇报", {"every": "year", "quota": 1}),
    (None, "每年1月31日前发布上一年度报告", {"every": "year", "due_on": "month 1 day 31"}),
    (None, "统计局每季度结束后10个工作日内公开数据", {"every": "quarter", "due_on": "+10 workdays"}),
    ("每季度", "每月10日前报送", {"every": "quarter"}),  # the deadline column wins over the requirement
]


@pytest.mark.parametrize(("phrase", "requirement", "expected"), REQUIREMENTS, ids=[r for _, r, _ in REQUIREMENTS])
def test_frequency_words_in_the_requirement_are_read_exactly(phrase, requirement, expected):
    parsed = parse_schedule(phrase, year=Y, requirement=requirement)
    assert parsed.problems == ()
    assert parsed.schedule.model_dump(exclude_defaults=True, exclude={"text"}) == expected


@pytest.mark.parametrize("requirement", ["每月10日前报送进展，每季度公开结果", "每年1月31日前报告，每月公开"])
def test_a_requirement_with_two_frequencies_is_listed_for_review(requirement):
    parsed = parse_schedule("长期推进", year=Y, requirement=requirement)
    assert parsed.schedule.every is None
    assert any("split the duty" in p for p in parsed.problems), parsed.problems


# --- a plan with duties to review, deadlines before its issue date, the importer's keys ----------

PLAN = """\
version: 1
plan:
  id: review-demo
  title: 核对演示
  issued: 2016-07-15
  year: 2016
departments:
  - {id: epb, name: 市环保局}
  - {id: edu, name: 市教育局}
duties:
  - id: monthly
    title: 每月报送进展
    lead: [epb]
    schedule: 每月10日前
"""
LATE = """\
  - id: late
    title: 已过期限的一次性任务
    lead: [edu]
    schedule: 7月10日前
"""
PARTIAL = """\
  - id: partial
    title: 只读懂一半的时限
    lead: [edu]
    schedule: 每季度 视情况而定
"""
IMPORTED = """\
  - id: imported
    title: 导入时未找到牵头单位
    lead: [edu]
    schedule: 年底前
    review: [牵头单位未找到, 时限需核对]
    source: 第65-68行
"""


def plan_file(tmp_path, *duties: str):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN + "".join(duties), encoding="utf-8")
    return path


def test_the_importers_review_and_source_keys_are_read(tmp_path):
    from scheduler.plans.file import read_plan

    data = read_plan(plan_file(tmp_path, IMPORTED), date(2026, 1, 1))
    imported = data.duties[1]
    assert imported.source == "第65-68行" and imported.schedule.due == date(2016, 12, 31)
    assert data.review == [("imported", "牵头单位未找到; 时限需核对")]


def test_a_single_review_reason_may_be_written_without_a_list(tmp_path):
    from scheduler.plans.file import read_plan

    text = IMPORTED.replace("[牵头单位未找到, 时限需核对]", "牵头单位未找到")
    assert read_plan(plan_file(tmp_path, text), date(2026, 1, 1)).review == [("imported", "牵头单位未找到")]


def test_a_monthly_duty_starts_with_the_first_deadline_after_the_issue_date(cli, tmp_path):
    """Issue 15 #4: 每月10日前 in a plan issued on 15 July made a hidden 10 July occurrence."""
    shown = cli.json("plan", "show", str(plan_file(tmp_path)))
    dues = [o["due"] for o in shown["duties"][0]["occurrences"]]
    assert dues[:2] == ["2016-08-10", "2016-09-10"]
    assert shown["warnings"] == []


def test_a_one_off_deadline_before_the_issue_date_is_a_warning(cli, tmp_path):
    path = plan_file(tmp_path, LATE)
    for command in ("check", "show"):
        warnings = cli.json("plan", command, str(path))["warnings"]
        assert len(warnings) == 1 and "late" in warnings[0] and "2016-07-10" in warnings[0], warnings
    said = cli("plan", "show", str(path)).stderr
    assert "late" in said and "2016-07-10" in said and "2016-07-15" in said
    shown = cli.json("plan", "show", str(path))["duties"][1]
    assert [o["due"] for o in shown["occurrences"]] == ["2016-07-10"]  # shown, not hidden by the window


def test_a_phrase_read_in_part_gets_no_occurrences_and_is_marked(cli, tmp_path):
    """Issue 15 #2: a duty flagged for review printed deadlines guessed from part of its phrase."""
    path = plan_file(tmp_path, PARTIAL)
    shown = cli.json("plan", "show", str(path))
    partial = shown["duties"][1]
    assert partial["occurrences"] == [] and partial["schedule"]["every"] is None
    assert partial["read_in_part"]["every"] == "quarter"
    assert any("视情况而定" in why for why in partial["review"])
    table = cli("plan", "show", str(path)).stdout
    assert "待核对" in table and "2016-09-30" not in table


def test_plan_load_refuses_open_review_items_and_stores_nothing(cli, tmp_path):
    """Issue 15 #5: `plan load` went ahead with duties still marked for review."""
    path = plan_file(tmp_path, PARTIAL, IMPORTED)
    refused = cli("plan", "load", str(path))
    assert refused.exit_code != 0
    said = " ".join(refused.stderr.split())
    assert "partial" in said and "视情况而定" in said and "imported" in said and "牵头单位未找到" in said
    assert "--accept-review" in said
    assert cli.json("departments") == []


def test_plan_load_with_accept_review_stores_the_plan_but_no_guessed_deadlines(cli, tmp_path):
    path = plan_file(tmp_path, PARTIAL, IMPORTED)
    loaded = cli("plan", "load", "--accept-review", str(path))
    assert loaded.exit_code == 0, loaded.stderr
    rows = cli.json("occurrences", "--limit", "0")
    assert {r["duty"] for r in rows} == {"monthly", "imported"}  # nothing for the half-read phrase


def test_plan_check_shows_where_a_duty_came_from(cli, tmp_path):
    path = plan_file(tmp_path, IMPORTED)
    checked = cli.json("plan", "check", str(path))
    assert checked["review"] == [{"duty": "imported", "why": "牵头单位未找到; 时限需核对", "source": "第65-68行"}]
    assert "第65-68行" in cli("plan", "check", str(path)).stdout
    assert cli.json("plan", "show", str(path))["duties"][1]["source"] == "第65-68行"


# Phrases the unseen notices used (tests/data/notices/*): read exactly, each to one structured form.
FROM_UNSEEN_NOTICES = [
    ("2020年9月", {"due": date(2020, 9, 30)}),
    ("9月份", {"due": date(2016, 9, 30)}),
    ("2020年8月启动，12月底前完成", {"start_by": date(2020, 8, 31), "due": date(2016, 12, 31)}),
    ("2024年第三季度", {"due": date(2024, 9, 30)}),
    ("三季度末前", {"due": date(2016, 9, 30)}),
    ("2023-09-30", {"due": date(2023, 9, 30)}),
    ("2024年", {"due": date(2024, 12, 31)}),
    ("2024—2025年", {"due": date(2025, 12, 31)}),
    ("2017年 3月底", {"due": date(2017, 3, 31)}),
    ("全年不少于12期", {"quota": 12, "due": date(2016, 12, 31)}),
    ("全年举办新闻发布会不少于10场", {"quota": 10, "due": date(2016, 12, 31)}),
    ("每季度最后一个月25日前", {"every": "quarter", "due_on": "month 3 day 25"}),
    ("收到有关税收政策文件后及时转发", {"after_event": "收到有关税收政策文件", "within": None}),
]


@pytest.mark.parametrize(("phrase", "expected"), FROM_UNSEEN_NOTICES)
def test_phrases_from_unseen_notices(phrase, expected):
    parsed = parse_schedule(phrase, year=2016)
    for key, value in expected.items():
        assert getattr(parsed.schedule, key) == value, (phrase, key, parsed)
    assert parsed.whole, parsed.problems


def test_a_year_that_starts_something_is_not_a_deadline():
    parsed = parse_schedule("自2016年起每季度", year=2016)
    assert parsed.schedule.due is None and not parsed.whole  # 自2016年起 is reported, not read as 2016-12-31
