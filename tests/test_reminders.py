"""Reminder times: working days before the due date at local time, overdue nudges, escalation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from scheduler.calendar.workdays import calendar_for
from scheduler.outbox.policy import Policy, before_slots, escalation_day, overdue_slots

CN = calendar_for("CN")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(y, m, d, h, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def test_reminders_count_working_days_back_and_send_at_local_time():
    slots = before_slots(date(2016, 9, 30), Policy(before=(7, 3, 1, 0)), CN, SHANGHAI)
    # 2016-09-30 is a Friday; 7 working days before is 2016-09-21 (Wed).
    assert [(s.day, s.purpose) for s in slots] == [
        (date(2016, 9, 21), "upcoming"), (date(2016, 9, 27), "upcoming"),
        (date(2016, 9, 29), "upcoming"), (date(2016, 9, 30), "due")]
    assert slots[-1].send_at == utc(2016, 9, 30, 1)  # 09:00 in Shanghai


def test_a_due_date_on_a_holiday_stays_but_its_reminders_move_to_the_working_day_before():
    # 2016-10-03 is inside the National Day holiday; the last working day before is 2016-09-30.
    slots = before_slots(date(2016, 10, 3), Policy(before=(1, 0)), CN, SHANGHAI)
    assert [(s.day, s.purpose) for s in slots] == [(date(2016, 9, 29), "upcoming"), (date(2016, 9, 30), "due")]


def test_the_same_day_listed_twice_gives_one_reminder():
    slots = before_slots(date(2016, 9, 30), Policy(before=(0, 0, 1)), CN, SHANGHAI)
    assert [(s.day, s.purpose) for s in slots] == [(date(2016, 9, 29), "upcoming"), (date(2016, 9, 30), "due")]


def test_adjusted_working_weekends_count_as_working_days():
    slots = before_slots(date(2016, 10, 10), Policy(before=(2,)), CN, SHANGHAI)
    assert slots[0].day == date(2016, 10, 8)  # a Saturday, worked in 2016 (调休)


def test_overdue_nudges_every_n_working_days_within_the_window():
    slots = overdue_slots(date(2016, 9, 28), Policy(overdue_every=2, at=time(8, 30)), CN, SHANGHAI,
                          date(2016, 9, 28), date(2016, 10, 14))
    assert [s.day for s in slots] == [date(2016, 9, 30), date(2016, 10, 9), date(2016, 10, 11),
                                      date(2016, 10, 13)]
    assert slots[0].send_at == utc(2016, 9, 30, 0, 30)


def test_long_overdue_occurrences_restart_their_nudges_at_the_window_start():
    slots = overdue_slots(date(2016, 9, 30), Policy(), CN, SHANGHAI, date(2026, 11, 21), date(2026, 11, 25))
    assert [s.day for s in slots] == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]


def test_no_nudges_and_no_escalation_when_the_policy_says_zero():
    policy = Policy(overdue_every=0, escalate_after=0)
    assert overdue_slots(date(2016, 9, 30), policy, CN, SHANGHAI, date(2016, 9, 1), date(2016, 12, 1)) == []
    assert escalation_day(date(2016, 9, 30), policy, CN) is None


def test_escalation_comes_after_n_working_days_overdue():
    assert escalation_day(date(2016, 9, 30), Policy(escalate_after=3), CN) == date(2016, 10, 10)


def test_policy_reads_the_stored_json_form():
    p = Policy.from_json({"before": [5, 0], "at": "10:15:00", "overdue_every": 2, "escalate_after": 4})
    assert p == Policy((5, 0), time(10, 15), 2, 4)
