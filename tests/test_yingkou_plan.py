"""plans/yingkou-2016.yaml against an independent reading of the notice's table (seed 000).

The expectations below were typed from the notice's 完成时限 column and 工作要求 text, not from
the plan file: S = 7月底前启动 (start by 31 Jul 2016), D9 = 9月底前完成 (due 30 Sep 2016),
ongoing = 长期推进, plus the frequencies the requirements state (每季度, 每月, 每日).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

PLAN = Path(__file__).resolve().parents[1] / "plans" / "yingkou-2016.yaml"
S, D9, D7, D12 = "2016-07-31", "2016-09-30", "2016-07-31", "2016-12-31"
ALL_LEVELS = 19  # 市政府(办公室), 各县(市)区政府 and the 17 city departments of part 二

# id: (start_by, due, every, ongoing, after_event, within, quota, number of lead departments)
READING = {
    "1-1": (S, None, None, True, None, None, None, ALL_LEVELS),
    "1-2": (S, D12, None, True, None, None, 5, ALL_LEVELS),
    "1-3": (S, None, "quarter", True, None, None, None, ALL_LEVELS),
    "1-4": (S, D9, None, False, None, None, None, ALL_LEVELS),
    "1-5": (S, D9, None, True, None, None, None, ALL_LEVELS),
    "1-6": (None, None, None, True, "文件公开", "3 workdays", None, ALL_LEVELS),
    "1-7": (None, None, None, True, None, None, None, ALL_LEVELS),
    "1-8": (None, None, None, True, "突发事件", "24 hours", None, ALL_LEVELS),
    "1-9": (None, None, "month", True, None, None, None, ALL_LEVELS),
    "1-10": (S, D9, None, True, None, None, None, ALL_LEVELS),
    "2-1": (None, None, None, True, None, None, None, 1),
    "2-2": (S, D9, None, True, None, None, None, 1),
    "2-3": (S, D9, None, True, None, None, None, 1),
    "2-4": (None, D9, None, True, None, None, None, 1),
    "2-5": (None, D9, None, True, None, None, None, 1),
    "2-6": (S, D9, None, False, None, None, None, 1),
    "2-7": (None, D9, None, True, None, None, None, 1),
    "2-8": (None, D9, None, True, None, None, None, 1),
    "2-9": (None, D9, None, True, None, None, None, 1),
    "2-10": (S, D9, None, True, None, None, None, 1),
    "2-11": (None, D9, None, True, None, None, None, 2),
    "2-12": (S, D9, None, True, None, None, None, 1),
    "2-13": (S, D9, None, True, None, None, None, 1),
    "2-14": (None, None, None, False, None, None, None, 1),
    "2-15": (S, D9, "day", True, None, None, None, 1),
    "2-16": (S, D9, None, True, None, None, None, 1),
    "2-17": (S, D9, "quarter", True, None, None, None, 1),
    "2-18": (S, D9, None, True, None, None, None, 1),
    "2-19": (S, D9, None, True, None, None, None, 1),
    "2-20": (S, D9, None, True, None, None, None, 1),
    "2-21": (None, D9, None, True, None, None, None, 1),
    "2-22": (S, D9, None, True, None, None, None, 1),
    "2-23": (S, D9, None, True, None, None, None, 1),
    "2-24": (S, D9, None, True, None, None, None, 1),
    "2-25": (S, D9, None, True, None, None, None, 1),
    "2-26": (None, D7, None, False, None, None, None, 1),
    "2-27": (S, D9, None, True, None, None, None, 1),
    "2-28": (S, D9, None, True, None, None, None, 1),
    "2-29": (S, D9, None, True, None, None, None, 1),
    "2-30": (None, D12, None, False, None, None, None, 1),
}
LEADS = {"2-5": "市教育局", "2-6": "市公安局", "2-17": "市环保局", "2-26": "市审计局", "2-30": "市政府行政审批办"}


@pytest.fixture(scope="module")
def shown() -> dict:
    from typer.testing import CliRunner

    from duban.cli import app

    result = CliRunner().invoke(app, ["plan", "show", str(PLAN), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_row_of_the_table_is_a_duty_in_order(shown):
    assert [d["id"] for d in shown["duties"]] == list(READING)


@pytest.mark.parametrize("key", READING)
def test_deadlines_and_frequencies_match_the_notice(shown, key):
    duty = next(d for d in shown["duties"] if d["id"] == key)
    s = duty["schedule"]
    got = (s["start_by"], s["due"], s["every"], s["ongoing"], s["after_event"], s["within"], s["quota"],
           len(duty["lead"]))
    assert got == READING[key]
    assert s["text"]  or key == "2-14"  # the notice's own words are kept


@pytest.mark.parametrize("key", READING)
def test_occurrences_follow_from_the_schedule(shown, key):
    duty = next(d for d in shown["duties"] if d["id"] == key)
    start_by, due, every, _, event, *_ , leads = READING[key]
    by_kind = Counter((o["kind"], o["due"]) for o in duty["occurrences"])
    assert by_kind[("start", start_by)] == (leads if start_by else 0)
    assert by_kind[("due", due)] == (leads if due else 0)
    recurring = [o["due"] for o in duty["occurrences"] if o["kind"] == "recurring"]
    if event or not every:
        assert not recurring  # event-triggered and plain ongoing duties have no calendar dates
    expected_per_dept = {"quarter": 4, "month": 12, None: 0}  # one year from 2016-07-28
    if every in expected_per_dept:
        assert len(recurring) == expected_per_dept[every] * leads


def test_quarterly_water_quality_falls_on_quarter_ends(shown):
    water = next(d for d in shown["duties"] if d["id"] == "2-17")
    assert [o["due"] for o in water["occurrences"] if o["kind"] == "recurring"] == [
        "2016-09-30", "2016-12-31", "2017-03-31", "2017-06-30"]


def test_daily_air_quality_forecasts_fall_on_working_days_only(shown):
    air = next(d for d in shown["duties"] if d["id"] == "2-15")
    days = [o["due"] for o in air["occurrences"] if o["kind"] == "recurring"]
    assert days[0] == "2016-08-01"  # 31 Jul 2016 is a Sunday
    assert "2016-10-03" not in days and "2016-10-08" in days  # National Day off, 调休 Saturday worked


def test_named_lead_departments(shown):
    for key, name in LEADS.items():
        assert next(d for d in shown["duties"] if d["id"] == key)["lead"] == [name]
    assert next(d for d in shown["duties"] if d["id"] == "2-11")["lead"] == ["市国税局", "市地税局"]


def test_the_row_without_a_deadline_is_reported_for_review(shown):
    assert [r["duty"] for r in shown["review"]] == ["2-14"]
