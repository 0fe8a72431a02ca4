"""Out-of-range input at every door gets a clear answer, never a traceback or a 500: the CLI exits
non-zero with a zh + en message on stderr, the board shows a 400/404 page, the JSON API says 422.
Every CLI command that takes a date, time, number, month or id is tried with values out of range
(enumerated from the Typer app), and a fault nobody foresaw ends `duban` in one line."""

from __future__ import annotations

import inspect
import sys
import types
import typing
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlmodel import Session

from db.queries import occurrence_row
from scheduler.answers.record import Actor, answer
from scheduler.answers.snooze import MAX_SNOOZE, BadDuration, snooze_until
from scheduler.calendar.workdays import calendar_for
from tests.board_world import load, logged_in
from tests.test_cli_reminders import EVENT_DUTY
from tests.test_planfile import VALID, write
from tests.web_world import NOW, app_for, coordinator_token, load_demo, occurrence

HTML = {"accept": "text/html"}
BIG = "99999999999999999999"  # over 64 bits: SQLite cannot even compare it


@pytest.fixture
def plan_file(tmp_path) -> Path:
    return write(tmp_path, VALID + EVENT_DUTY)


@pytest.fixture
def loaded(cli, plan_file, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_SECRET_FILE", str(tmp_path / "secret.key"))
    result = cli("plan", "load", str(plan_file))
    assert result.exit_code == 0, result.output + result.stderr
    return plan_file


def open_occurrence(cli) -> int:
    return cli.json("occurrences", "--department", "epb", "--limit", "1")[0]["id"]


def said(text: str) -> str:
    """The words of a message, without the frame and line breaks of Typer's error panel."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def assert_refused(result, *expected: str) -> None:
    output = result.output + result.stderr
    assert result.exit_code != 0, output
    assert "Traceback" not in output and result.stderr.strip(), output
    for text in expected:
        assert text in said(result.stderr), result.stderr


# The invocations that crashed with a traceback (OverflowError, ValueError) or were accepted.
REPORTED = {
    "snooze until year 1": (["answer", "{occ}", "snooze", "--until", "0001-01-01T00:00:00"], "超出范围"),
    "snooze until year 9999": (["answer", "{occ}", "snooze", "--until", "9999-12-31T23:59:00"], "out of range"),
    "an id over 64 bits": (["answer", BIG, "done"], "out of range: expected 1-2147483647"),
    "tick in year 9999": (["tick", "--now", "9999-12-31T00:00:00"], "out of range"),
    "tick in year 1, east of UTC": (["tick", "--now", "0001-01-01T00:00:00+14:00"], "out of range"),
    "report for year 0": (["report", "--month", "0000-01"], "year 0 is out of range"),
    "event at the end of time": (["event", "record", "demo/1-6", "--at", "9999-12-31T23:59:00"], "out of range"),
    "plan window over ten thousand years": (["plan", "show", "{plan}", "--from", "0001-01-01", "--to", "9999-12-31"],
                                            "out of range"),
    "resubscribe an id over 64 bits": (["contacts", "resubscribe", BIG], "out of range"),
    "invite an id over 64 bits": (["contacts", "invite", BIG], "no contact"),
    "invite valid for a million years": (["contacts", "invite", "张三", "--hours", "999999999"], "720"),
    "telegram chat id over 64 bits": (["contacts", "add", "--department", "epb", "--name", "王五",
                                       "--telegram", BIG], "chat id"),
    # Values that were taken and quietly replaced or ignored (issue 17): refused, saying what fits.
    "invite valid for no time": (["contacts", "invite", "张三", "--hours", "0"],
                                 ("邀请有效小时数应为 1-720 的整数 --hours (how long the invite is valid) must be a "
                                 "whole number from 1 to 720, not '0'")),
    "an unknown status": (["occurrences", "--status", "finished"],
                          "未知的状态 unknown status 'finished': expected open, done, waived, cancelled, all"),
    "overdue ones of another status": (["occurrences", "--overdue", "--status", "done"],
                                       "--overdue 只列未办的事项 lists open occurrences only"),
    "a snooze time for another answer": (["answer", "{occ}", "done", "--until", "2016-10-08T09:00:00"],
                                         "--until 只用于推迟 goes with snooze only, not with done"),
    "fewer than no rows": (["occurrences", "--limit", "-1"], "must be a whole number from 0 to 100000"),
    "a notice of 1999": (["plan", "import", "{plan}", "--year", "1999"], "年份应为 2000-2200 的整数"),
    "a feed written where no folder is": (["feed", "export", "all", "-o", "/nonexistent-folder/all.ics"],
                                          "无法写入文件 cannot write /nonexistent-folder/all.ics: No such file"),
    "an export written where no folder is": (["export", "-o", "/nonexistent-folder/duban.json"],
                                             "无法写入文件 cannot write /nonexistent-folder/duban.json: No such file"),
}


@pytest.mark.parametrize("case", REPORTED)
def test_out_of_range_values_are_refused_with_a_message(cli, loaded, case):
    args, expected = REPORTED[case]
    args = [a.replace("{occ}", str(open_occurrence(cli))).replace("{plan}", str(loaded)) for a in args]
    assert_refused(cli(*args), expected)


def test_a_snooze_reaches_at_most_100_days_ahead_from_the_cli(cli, loaded):
    occ = open_occurrence(cli)
    far = (datetime.now() + MAX_SNOOZE + timedelta(days=2)).strftime("%Y-%m-%dT09:00:00")
    assert_refused(cli("answer", str(occ), "snooze", "--until", far), "at most 100 days")
    near = (datetime.now() + MAX_SNOOZE - timedelta(days=2)).strftime("%Y-%m-%dT09:00:00")
    assert cli.json("answer", str(occ), "snooze", "--until", near)["snoozed_until"]


def test_an_invite_lasts_the_hours_given_else_the_settings(cli, loaded):
    def hours(*option: str) -> float:
        made = cli.json("contacts", "invite", "张三", *option)
        return (datetime.fromisoformat(made["expires_at"]) - datetime.now(UTC)).total_seconds() / 3600

    assert 4.9 < hours("--hours", "5") <= 5 and 719.9 < hours("--hours", "720") <= 720
    assert 71.9 < hours() <= 72  # DUBAN_TELEGRAM_INVITE_HOURS' default


def test_statuses_are_taken_in_any_case_and_all_lists_every_one(cli, loaded):
    done = open_occurrence(cli)
    cli.json("answer", str(done), "done")
    assert [r["id"] for r in cli.json("occurrences", "--status", "DONE")] == [done]
    assert done in [r["id"] for r in cli.json("occurrences", "--status", "all", "--limit", "0")]
    assert done not in [r["id"] for r in cli.json("occurrences", "--limit", "0")]


@pytest.mark.parametrize(("typed", "said_"), [
    ("2016-09-01", "2016-09-01 is in the past (today is 2016-09-26): give a later date."),
    ("2016-09-26", "2016-09-26 is today: give a later date, tomorrow at the earliest."),
    ("2017-01-05", "2017-01-05 is more than 100 days ahead (the last day is 2017-01-04)"),
    ("0d", "A snooze of 0d is out of range: 1 to 60 working days."),
    ("241h", "A snooze of 241h is out of range: 1 to 240 hours."),
    ("someday", "I do not understand the duration “someday”."),
])
def test_a_snooze_duration_says_which_rule_it_breaks(engine, tmp_path, typed, said_):
    load_demo(engine, tmp_path)
    occ = occurrence(engine, due=date(2016, 9, 30))  # NOW is 2016-09-26 09:30 in Shanghai
    with Session(engine) as session:
        row = occurrence_row(session, occ.id)
        with pytest.raises(BadDuration) as refused:
            snooze_until(row.plan, row.duty, typed, NOW, calendar_for("CN"))
    assert refused.value.value == typed and said_ in refused.value.text.say("en")
    assert "看不懂" not in refused.value.text.say("zh") or typed == "someday"


def test_the_api_says_why_a_snooze_date_is_refused(api, engine):
    occ = occurrence(engine, due=date(2016, 9, 30))
    page = api.post(f"/api/occurrences/{occ.id}/answer", json={"action": "snooze", "snooze": "2016-09-01"})
    assert page.status_code == 422
    assert "bad snooze '2016-09-01'" in page.json()["detail"] and "is in the past" in page.json()["detail"]


def test_the_core_refuses_a_snooze_past_the_longest_one(engine, tmp_path):
    load_demo(engine, tmp_path)
    occ = occurrence(engine, due=date(2016, 9, 30))
    with Session(engine) as session, pytest.raises(ValueError, match="at most 100 days"):
        answer(session, occ.id, "snooze", actor=Actor("督办科", coordinator=True), channel="api", now=NOW,
               snooze_until=NOW + MAX_SNOOZE + timedelta(minutes=1))


# ---- the JSON API, the reports and the board ----

@pytest.fixture
def api(engine, tmp_path) -> TestClient:
    load_demo(engine, tmp_path, VALID + EVENT_DUTY)
    client = TestClient(app_for(engine))
    client.headers["authorization"] = f"Bearer {coordinator_token(engine)}"
    return client


@pytest.mark.parametrize("snooze, status", [("9999-12-31", 422), ("2017-01-05", 422), ("2016-12-30", 200)])
def test_the_api_takes_a_snooze_of_at_most_100_days(api, engine, snooze, status):
    occ = occurrence(engine, due=date(2016, 9, 30))  # NOW is 2016-09-26: 2017-01-05 is 101 days on
    page = api.post(f"/api/occurrences/{occ.id}/answer", json={"action": "snooze", "snooze": snooze})
    assert page.status_code == status, page.text
    if status == 422:
        assert "100 days" in page.json()["detail"]


@pytest.mark.parametrize("happened_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                         "1999-12-31T00:00:00"])
def test_the_api_refuses_event_times_outside_2000_2200(api, happened_at):
    page = api.post("/api/events", json={"duty": "demo/1-6", "happened_at": happened_at})
    assert page.status_code == 422 and "out of range" in page.text


def test_the_api_refuses_date_filters_outside_2000_2200(api):
    page = api.get("/api/occurrences", params={"from": "0001-01-01"})
    assert page.status_code == 422 and "out of range" in page.text


def test_a_report_for_a_month_out_of_range_is_not_found(api):
    for month in ("0000-01", "9999-12"):
        page = api.get(f"/reports/{month}.xlsx")
        assert page.status_code == 404 and "out of range" in page.json()["detail"]


def test_the_board_refuses_an_event_at_the_end_of_time_with_a_page(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    page = c.post("/events", data={"duty": "demo/3-1", "happened_at": "9999-12-31T23:59", "csrf": csrf},
                  headers=HTML)
    assert page.status_code == 400 and "out of range" in page.text


def test_the_board_answers_an_id_over_64_bits_with_not_found(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    assert c.get(f"/occurrences/{BIG}", headers=HTML).status_code == 404
    page = c.post(f"/occurrences/{BIG}/answer", data={"action": "done", "csrf": csrf}, headers=HTML)
    assert page.status_code == 404


# ---- every command, every date, time, number and id it takes ----

BAD = {
    "time": ["0001-01-01T00:00:00", "9999-12-31T23:59:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:00:00"],
    "date": ["0001-01-01", "9999-12-31", "2201-01-01"],
    "number": [BIG, "-" + BIG, "9223372036854775808"],
    "month": ["0000-01", "9999-12", "1999-12"],
    "text": [BIG, "²", "-1"],  # ids or names: a name may be anything, so these only must not crash
}
# Values for the other required parameters, so that the one under test is what gets checked.
GOOD = {"occurrence": "{occ}", "action": "snooze", "contact_id": "1", "contact": "张三", "duty": "demo/1-6",
        "user": "office", "username": "office", "target": "epb", "file": "{plan}", "month": "2016-09",
        "department": "epb", "name": "王五", "notice": "{plan}",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=t0k3n", "kind": "dingtalk"}
SKIPPED = {("run",)}  # starts the service; its one option is a choice


def _kind(name: str, annotation: object) -> str | None:
    """What to try for a parameter: by its type (Optional and Annotated unwrapped), `month` by name."""
    while typing.get_origin(annotation) in (typing.Annotated, typing.Union, types.UnionType, list):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if annotation is str:
        return "month" if name == "month" else "text"
    kinds = {datetime: "time", date: "date", int: "number"}
    if annotation in kinds:
        return kinds[annotation]
    assert annotation in (bool, Path) or issubclass(annotation, Enum), f"untried parameter {name}: {annotation}"
    return None


def _parameters(callback) -> list[tuple[str, str | None, str | None, bool]]:
    """(name, option flag or None for an argument, kind, required) of a command's parameters."""
    hints = typing.get_type_hints(callback, include_extras=True)
    found = []
    for name, param in inspect.signature(callback).parameters.items():
        hint = hints[name]
        info = next(m for m in hint.__metadata__ if isinstance(m, typer.models.ParameterInfo))
        flag = None
        if isinstance(info, typer.models.OptionInfo):
            flag = next((d for d in info.param_decls if d.startswith("--")), "--" + name.replace("_", "-"))
        found.append((name, flag, _kind(name, hint), param.default is inspect.Parameter.empty))
    return found


def commands(app: typer.Typer, path: tuple[str, ...] = ()):
    """(command path, callback) of every command of the app and its sub-apps."""
    for info in app.registered_commands:
        yield path + (info.name or info.callback.__name__.replace("_", "-"),), info.callback
    for group in app.registered_groups:
        yield from commands(group.typer_instance, path + (group.name,))


def _invocations(occ: int, plan: Path):
    from duban import cli

    for path, callback in commands(cli.app):
        if path in SKIPPED:
            continue
        params = _parameters(callback)
        for name, flag, kind, _ in params:
            for value in BAD.get(kind, []):
                args = list(path)
                for other, other_flag, _, required in params:
                    if other == name:
                        args += [flag, value] if flag else [value]
                    elif required:
                        good = GOOD[other].replace("{occ}", str(occ)).replace("{plan}", str(plan))
                        args += [other_flag, good] if other_flag else [good]
                yield kind, args


def test_every_command_is_enumerated():
    import typer.main

    from duban import cli

    def leaves(command, path=()):
        subs = getattr(command, "commands", None)
        return ({p for name, c in subs.items() for p in leaves(c, path + (name,))} if subs else {path})

    assert {p for p, _ in commands(cli.app)} == leaves(typer.main.get_command(cli.app))


def test_no_command_crashes_on_values_out_of_range(cli, loaded):
    from duban.cli import app, common

    tried = 0
    for kind, args in _invocations(open_occurrence(cli), loaded):
        common.settings.cache_clear()
        result = cli.runner.invoke(app, args, input="correct horse battery\n" * 2, catch_exceptions=False)
        output = result.output + result.stderr
        assert "Traceback" not in output, (args, output)
        assert result.exit_code in (0, 1, 2), (args, output)
        if kind != "text":  # every value tried for a time, date, number or month is out of range
            assert result.exit_code != 0 and result.stderr.strip(), (args, output)
        tried += 1
    assert tried > 60


# ---- the last resort ----

def test_an_unforeseen_fault_ends_in_one_line_and_exit_70(monkeypatch, capsys):
    from duban import cli
    from duban.cli import common, config

    def broken(_settings):
        raise OverflowError("date value out of range (postgresql://duban:hunter2@db/duban)")

    monkeypatch.setattr(config, "masked", broken)
    monkeypatch.setattr(sys, "argv", ["duban", "settings"])
    monkeypatch.delenv("DUBAN_DEBUG", raising=False)
    common.settings.cache_clear()
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == cli.INTERNAL_ERROR == 70
    err = capsys.readouterr().err
    assert "Traceback" not in err and "hunter2" not in err
    assert "意外故障 unexpected fault (OverflowError: date value out of range" in said(err)
    assert "DUBAN_DEBUG=1" in said(err) and len(err.strip().splitlines()) <= 2

    monkeypatch.setenv("DUBAN_DEBUG", "1")
    with pytest.raises(SystemExit):
        cli.main()
    assert "Traceback" in capsys.readouterr().err
