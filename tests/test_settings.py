"""Settings: passwords hidden wherever a URL is shown (query strings too), a signing key long
enough to be one, and wrong values reported as one clear message naming the variable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scheduler.settings import SECRET_KEY_LENGTH, Settings, hide_password
from tests.conftest import Cli

QUERY_URL = "postgresql+psycopg://duban@127.0.0.1:1/test?password=s3cret-in-query&sslpassword=k3y-pa55"


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://u:pw@h/db", "postgresql+psycopg://u:***@h/db"),
    ("postgresql+psycopg://u@h/db?password=secret", "postgresql+psycopg://u@h/db?password=***"),
    ("postgresql://u@h/db?sslmode=require&sslpassword=k&PWD=p", "postgresql://u@h/db?sslmode=require&sslpassword=***&PWD=***"),
    ("smtps://user:p%40ss@mail.example:465?timeout=5&token=t", "smtps://user:***@mail.example:465?timeout=5&token=***"),
    ("failed: postgresql://u:pw@h/db (host down)", "failed: postgresql://u:***@h/db (host down)"),
    ("sqlite:////var/duban.db", "sqlite:////var/duban.db"),
    ("https://duban.example.org/board?passage=1", "https://duban.example.org/board?passage=1"),
])
def test_passwords_in_urls_are_hidden_in_userinfo_and_query(url, shown):
    assert hide_password(url) == shown


def test_duban_settings_hides_a_password_in_the_database_urls_query(monkeypatch):
    cli = Cli(QUERY_URL, monkeypatch)
    monkeypatch.setenv("DUBAN_TELEGRAM_API_URL", "https://bot:proxy-pa55@tg-proxy.example")
    shown = cli("settings", "--json")
    assert shown.exit_code == 0
    assert "s3cret-in-query" not in shown.stdout and "k3y-pa55" not in shown.stdout and "proxy-pa55" not in shown.stdout
    assert "?password=***&sslpassword=***" in shown.stdout


def test_a_database_error_does_not_show_the_querys_password(monkeypatch):
    result = Cli(QUERY_URL, monkeypatch)("departments")
    assert result.exit_code == 2 and "cannot use the database" in result.stderr
    assert "s3cret-in-query" not in result.stderr and "k3y-pa55" not in result.stderr


def test_a_short_secret_key_is_refused():
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(_env_file=None, secret_key="a")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, secret_key="k" * (SECRET_KEY_LENGTH - 1))
    assert Settings(_env_file=None, secret_key="k" * SECRET_KEY_LENGTH).secret_key is not None
    assert Settings(_env_file=None, secret_key="").secret_key is None  # a blank line: the secret file


@pytest.mark.parametrize("command", [("settings",), ("run",), ("tick",), ("departments",)])
def test_a_short_secret_key_stops_every_command_with_how_to_make_one(monkeypatch, tmp_path, command):
    monkeypatch.setenv("DUBAN_SECRET_KEY", "a-short-key")
    result = Cli(f"sqlite:///{tmp_path / 'duban.db'}", monkeypatch)(*command)
    assert result.exit_code == 1
    assert "DUBAN_SECRET_KEY" in result.stderr and "签名密钥太短" in result.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in result.stderr
    assert "a-short-key" not in result.stderr and "Traceback" not in result.stderr


def test_wrong_settings_are_one_message_naming_each_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DUBAN_HORIZON_DAYS", "0")
    monkeypatch.setenv("DUBAN_LOG_LEVEL", "verbose")
    result = Cli(f"sqlite:///{tmp_path / 'duban.db'}", monkeypatch)("settings")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "DUBAN_HORIZON_DAYS" in result.stderr and "DUBAN_LOG_LEVEL" in result.stderr
    assert "unknown log level" in result.stderr
