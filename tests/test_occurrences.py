"""The occurrence engine: schedules -> deadlines on the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, rrule
from hypothesis import given
from hypothesis import strategies as st

from scheduler.calendar.occurrences import event_deadline, expand
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import calendar_for

CN, MF = calendar_for("CN"), calendar_for("mon-fri")
PLAN = {"plan_start": date(2016, 7, 28), "plan_until": date(2016, 12, 31)}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def dues(schedule: Schedule, start=date(2016, 1, 1), end=date(2017, 12, 31), cal=CN, **plan):
    return [(o.kind, o.due, o.period) for o in expand(schedule, calendar=cal, start=start, end=end,
                                                       **(PLAN | plan))]


def test_one_offs_keep_their_dates_even_on_holidays():
    s = Schedule(start_by=date(2016, 7, 31), due=date(2016, 10, 3), dates=[date(2016, 11, 30)])
    assert dues(s) == [("start", date(2016, 7, 31), "2016-07-31"), ("due", date(2016, 10, 3), "2016-10-03"),
                       ("due", date(2016, 11, 30), "2016-11-30")]


def test_recurring_runs_from_start_by_to_the_plans_until():
    s = Schedule(start_by=date(2016, 7, 31), every="quarter")
    assert [d for k, d, _ in dues(s) if k == "recurring"] == [date(2016, 9, 30), date(2016, 12, 31)]


def test_ongoing_runs_to_the_window_end():
    s = Schedule(every="half-year", ongoing=True)
    assert [p for k, _, p in dues(s) if k == "recurring"] == ["2016-H2", "2017-H1", "2017-H2"]


def test_due_on_a_day_or_after_the_period():
    monthly = Schedule(every="month", due_on="day 31", **{"from": date(2016, 1, 1)})
    assert [d.day for _, d, _ in dues(monthly, plan_start=date(2016, 1, 1))][:3] == [31, 29, 31]  # clamped
    quarterly = Schedule(every="quarter", due_on="+15 days")
    assert [d for _, d, _ in dues(quarterly)] == [date(2016, 10, 15), date(2017, 1, 15)]
    workdays = Schedule(every="quarter", due_on="+3 workdays")
    assert [d for _, d, _ in dues(workdays)] == [date(2016, 10, 10), date(2017, 1, 5)]  # 调休 and New Year


def test_interval_and_months():
    every_two = Schedule(every="month", interval=2, until=date(2016, 12, 31))
    assert [p for _, _, p in dues(every_two)] == ["2016-07", "2016-09", "2016-11"]
    season = Schedule(every="month", months=[4, 5, 6, 7, 8, 9, 10], ongoing=True)
    assert {d.month for _, d, _ in dues(season)} == {4, 5, 6, 7, 8, 9, 10}


def test_weekly_is_due_on_the_weeks_last_working_day():
    s = Schedule(every="week", **{"from": date(2016, 9, 26)}, until=date(2016, 10, 16))
    assert [(p, d) for _, d, p in dues(s)] == [
        ("2016-W39", date(2016, 9, 30)), ("2016-W40", date(2016, 10, 9)),  # 调休 Sunday after National Day
        ("2016-W41", date(2016, 10, 14))]
    assert [d for _, d, _ in dues(s, cal=MF)][1] == date(2016, 10, 7)
    idle = calendar_for("mon-fri", extra_holidays=[date(2016, 10, 10) + timedelta(days=i) for i in range(5)])
    assert "2016-W41" not in [p for _, _, p in dues(s, cal=idle)]  # a week without working days


def test_daily_means_each_working_day():
    s = Schedule(every="day", **{"from": date(2016, 9, 29)}, until=date(2016, 10, 10))
    assert [d for _, d, _ in dues(s)] == [date(2016, 9, 29), date(2016, 9, 30), date(2016, 10, 8),
                                          date(2016, 10, 9), date(2016, 10, 10)]  # 8-9 Oct: 调休


def test_quota_goes_on_the_deadline_it_counts_for():
    s = Schedule(start_by=date(2016, 7, 31), due=date(2016, 12, 31), quota=5)
    assert [(o.kind, o.quota) for o in expand(s, calendar=CN, start=date(2016, 1, 1), end=date(2017, 1, 1),
                                              **PLAN)] == [("start", None), ("due", 5)]


def test_event_duties_wait_for_the_event():
    s = Schedule(after_event="文件公开", within="3 workdays")
    assert dues(s) == []
    friday = datetime(2016, 9, 30, 15, tzinfo=SHANGHAI)
    # 1-7 Oct off; 8 and 9 Oct (weekend) are 调休 working days: 8, 9, 10 Oct are the three.
    assert event_deadline(s, friday, calendar=CN) == datetime(2016, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)
    hours = Schedule(after_event="突发事件", within="24 hours")
    assert event_deadline(hours, friday, calendar=CN) == friday + timedelta(hours=24)


@given(st.integers(1, 28), st.integers(1, 6), st.dates(date(2005, 1, 1), date(2025, 12, 1)))
def test_monthly_matches_dateutil_rrule(day, interval, origin):
    # No deadline before `from` (plan-format.md): rrule's DTSTART is `from` itself.
    s = Schedule(every="month", interval=interval, due_on=f"day {day}", ongoing=True, **{"from": origin})
    end = origin + timedelta(days=800)
    ours = [o.due for o in expand(s, calendar=MF, start=origin.replace(day=1), end=end,
                                  plan_start=origin, plan_until=end)]
    theirs = [d.date() for d in rrule(MONTHLY, dtstart=datetime(origin.year, origin.month, origin.day),
                                      interval=interval, bymonthday=day, until=datetime.combine(end, datetime.min.time()))]
    assert ours == theirs


@given(st.sampled_from(["week", "month", "quarter", "half-year", "year"]),
       st.dates(date(2010, 1, 1), date(2025, 1, 1)), st.integers(30, 900))
def test_every_deadline_is_inside_the_window_sorted_and_periods_unique(every, start, days):
    s = Schedule(every=every, ongoing=True)
    found = expand(s, calendar=CN, start=start, end=start + timedelta(days=days), plan_start=start,
                   plan_until=start)
    assert all(start <= o.due <= start + timedelta(days=days) for o in found)
    assert [o.due for o in found] == sorted(o.due for o in found)
    assert len({o.period for o in found}) == len(found)
