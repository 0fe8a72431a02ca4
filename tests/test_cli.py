"""The duban command end to end, in-process, against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.test_planfile import VALID, write


@pytest.fixture
def loaded(cli, tmp_path):
    path = write(tmp_path, VALID)
    result = cli("plan", "load", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    return path


def test_plan_load_reports_changes_and_is_idempotent(cli, loaded):
    again = cli.json("plan", "load", str(loaded))
    assert again == {"plan": "demo"}


def test_departments_lists_what_the_plan_declared(cli, loaded):
    names = {d["key"]: d["name"] for d in cli.json("departments")}
    assert names == {"office": "市政府办公室", "epb": "市环保局", "edu": "市教育局"}


def test_contacts_add_by_alias_and_list(cli, loaded):
    added = cli.json("contacts", "add", "--department", "市环境保护局", "--name", "李四",
                     "--email", "li@example.org", "--telegram", "12345", "--lang", "en")
    assert added["department"] == "市环保局" and added["telegram"] == 12345 and added["lang"] == "en"
    listed = cli.json("contacts", "list", "--department", "epb")
    assert sorted(c["name"] for c in listed) == ["张三", "李四"]


def test_contacts_add_to_an_unknown_department_says_so(cli, loaded):
    result = cli("contacts", "add", "--department", "市环保", "--name", "王五")
    assert result.exit_code == 1
    assert "unknown department '市环保'" in result.stderr and "市环保局" in result.stderr


def test_a_duplicate_contact_is_refused(cli, loaded):
    result = cli("contacts", "add", "--department", "epb", "--name", "张三")
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_a_bad_email_is_refused_before_touching_the_database(cli, loaded):
    result = cli("contacts", "add", "--department", "epb", "--name", "赵六", "--email", "nope")
    assert result.exit_code == 1 and "邮箱地址无效 not an email address: 'nope'" in result.stderr


def test_occurrences_filter_by_department_and_overdue(cli, loaded):
    rows = cli.json("occurrences", "--department", "edu", "--limit", "0")
    assert rows and {r["department"] for r in rows} == {"市教育局"}
    overdue = cli.json("occurrences", "--overdue", "--limit", "0")
    assert overdue and all(r["days_overdue"] > 0 for r in overdue)  # 2016 deadlines are long past
    assert {r["duty"] for r in overdue} == {"2-17", "1-1"}


def test_plan_check_lists_duties_needing_review(cli, tmp_path):
    path = write(tmp_path, VALID.replace("7月底前启动 9月底前完成 长期推进", "视情况而定"), "review.yaml")
    result = cli.json("plan", "check", str(path))
    assert result["valid"] and [r["duty"] for r in result["review"]] == ["2-17"]
    assert cli("plan", "check", "--strict", str(path)).exit_code == 1


def test_a_bad_plan_loads_nothing(cli, tmp_path):
    path = write(tmp_path, VALID.replace("lead: [epb]", "lead: [nobody]"), "bad.yaml")
    result = cli("plan", "load", str(path))
    assert result.exit_code == 1
    assert "bad.yaml:" in result.stderr and "duties[0].lead[0]" in result.stderr
    assert "nothing was loaded" in result.stderr
    assert cli.json("departments") == []


def test_settings_mask_secrets(cli, monkeypatch):
    monkeypatch.setenv("DUBAN_SMTP_URL", "smtp://user:hunter2@127.0.0.1:2525")
    monkeypatch.setenv("DUBAN_TELEGRAM_TOKEN", "123:secret-token")
    shown = cli("settings", "--json").stdout
    assert "hunter2" not in shown and "secret-token" not in shown
    assert "smtp://user:***@127.0.0.1:2525" in shown


def test_an_unmigrated_database_says_what_to_run(monkeypatch, tmp_path):
    from tests.conftest import Cli

    cli = Cli(f"sqlite:///{tmp_path / 'fresh.db'}", monkeypatch)
    result = cli("departments")
    assert result.exit_code == 1 and "duban db upgrade" in result.stderr
    assert cli("db", "upgrade").exit_code == 0
    assert cli.json("departments") == []


def test_a_database_that_is_down_gets_a_clear_message(monkeypatch):
    from tests.conftest import Cli

    cli = Cli("postgresql+psycopg://postgres:pw@127.0.0.1:1/test", monkeypatch)
    result = cli("departments")
    assert result.exit_code == 2
    assert "cannot use the database" in result.stderr and "pw" not in result.stderr
