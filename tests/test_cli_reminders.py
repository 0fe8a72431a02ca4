"""`duban tick`, `duban answer` and `duban event record` end to end (console channel, no setup)."""

from __future__ import annotations

import pytest

from tests.test_planfile import VALID, write

EVENT_DUTY = """\
  - id: "1-6"
    title: 政策解读
    lead: [epb]
    schedule: 文件公开后3个工作日内
"""


@pytest.fixture
def loaded(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_SECRET_FILE", str(tmp_path / "secret.key"))
    path = write(tmp_path, VALID + EVENT_DUTY)
    assert cli("db", "upgrade").exit_code == 0
    result = cli("plan", "load", str(path))
    assert result.exit_code == 0, result.output
    return path


def water_due(cli) -> int:
    rows = cli.json("occurrences", "--department", "epb")
    return next(r["id"] for r in rows if r["kind"] == "due" and r["due"] == "2016-09-30")


def test_tick_sends_due_reminders_through_the_console_when_nothing_is_configured(cli, loaded):
    result = cli("tick", "--now", "2016-09-30T01:30:00+00:00", "--json")
    assert result.exit_code == 0, result.output
    assert "[console #" in result.stdout and "饮用水水质信息公开" in result.stdout
    again = cli.json("tick", "--now", "2016-09-30T01:30:00+00:00")
    assert again["deliveries_sent"] == 0  # nothing is sent twice


def test_answer_done_with_evidence_then_again_is_a_logged_repeat(cli, loaded):
    occ = water_due(cli)
    first = cli.json("answer", str(occ), "done", "--evidence", "https://epb.example.org/water.html")
    assert first["changed"] is True and first["status"] == "done"
    second = cli.json("answer", str(occ), "done")
    assert second["changed"] is False
    reopened = cli.json("answer", str(occ), "reopen", "--note", "链接失效")
    assert reopened["status"] == "open"


def test_snooze_without_a_time_waits_for_the_next_working_day(cli, loaded):
    occ = water_due(cli)
    result = cli.json("answer", str(occ), "snooze")
    assert result["snoozed_until"] is not None and result["status"] == "open"


def test_answer_errors_are_clear(cli, loaded):
    missing = cli("answer", "999999", "done")
    assert missing.exit_code != 0 and "999999" in missing.stderr
    bad_action = cli("answer", "1", "finish")
    assert bad_action.exit_code != 0 and "finish" in bad_action.output + bad_action.stderr
    bad_link = cli("answer", str(water_due(cli)), "done", "--evidence", "javascript:alert(1)")
    assert bad_link.exit_code != 0 and "http" in bad_link.stderr


def test_event_record_creates_the_deadline_in_working_days(cli, loaded):
    # Friday 30 Sep 2016, 15:00 in Shanghai: 1-7 Oct are holidays, 8 and 9 Oct are worked (调休).
    result = cli.json("event", "record", "demo/1-6", "--at", "2016-09-30T15:00:00")
    assert result["due"] == "2016-10-10"
    listed = cli.json("occurrences", "--department", "epb")
    assert any(r["id"] == result["occurrence"] and r["kind"] == "event" for r in listed)


def test_event_record_refuses_what_is_not_an_event_duty_or_unknown(cli, loaded):
    not_event = cli("event", "record", "demo/2-17")
    assert not_event.exit_code != 0 and "after_event" in not_event.stderr
    unknown = cli("event", "record", "demo/9-99")
    assert unknown.exit_code != 0 and "9-99" in unknown.stderr


def test_a_bad_smtp_url_is_one_clear_message_not_a_traceback(cli, loaded, monkeypatch):
    monkeypatch.setenv("DUBAN_SMTP_URL", "http://mail.example.org")
    result = cli("tick", "--now", "2016-09-30T01:30:00+00:00")
    assert result.exit_code == 1
    assert "DUBAN_SMTP_URL" in result.stderr and "smtps://" in result.stderr
    assert "Traceback" not in result.output + result.stderr
