"""Effective settings: environment variables prefixed DUBAN_ (and DATABASE_URL), or a settings file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = f"sqlite:///{ROOT / 'var' / 'duban.db'}"


def settings_file() -> str:
    """The settings file: $DUBAN_SETTINGS_FILE, else ./duban.env when present."""
    return os.environ.get("DUBAN_SETTINGS_FILE", "duban.env")


class Settings(BaseSettings):
    """Every knob of a Duban instance. Secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore", env_file_encoding="utf-8")

    database_url: str = Field(DEFAULT_DB, validation_alias=AliasChoices("DATABASE_URL", "DUBAN_DATABASE_URL"))
    horizon_days: int = Field(400, ge=1, le=3660)
    extra_holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)
    public_url: str = "http://127.0.0.1:8080"
    secret_key: SecretStr | None = None
    smtp_url: SecretStr | None = None
    mail_from: str = "duban@localhost"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_bot_username: str | None = None  # for invite links; asked from getMe when unset
    telegram_webhook_secret: SecretStr | None = None  # webhook URL + header secret (default: from token)
    telegram_rate_per_second: float = Field(30, ge=0)  # the whole bot; 0 = unlimited
    telegram_chat_seconds: float = Field(1, ge=0)  # at least this long between messages to one chat
    telegram_group_per_minute: float = Field(20, ge=0)  # per group chat
    telegram_poll_timeout: int = Field(30, ge=0, le=50)  # getUpdates long-poll seconds
    telegram_invite_hours: int = Field(72, ge=1)
    telegram_start_failures: int = Field(5, ge=1)  # wrong invite codes per chat per hour before a pause
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    ops_token: SecretStr | None = None  # /metrics and /healthz's details from other machines
    templates_dir: Path | None = None
    log_level: str = "INFO"
    secret_file: Path = ROOT / "var" / "secret.key"
    channels: list[Literal["console", "email", "telegram"]] | None = None  # default: what is configured
    dispatch_batch: int = Field(200, ge=1, le=10000)
    lease_seconds: int = Field(120, ge=1)
    send_tries: int = Field(3, ge=1, le=10)
    max_attempts: int = Field(12, ge=1)
    retry_base_seconds: float = Field(60, ge=0)
    retry_max_seconds: float = Field(7200, ge=0)
    planner_every_minutes: int = Field(10, ge=1)
    dispatch_every_seconds: int = Field(30, ge=1)
    overdue_lookahead_days: int = Field(14, ge=1, le=366)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, then the settings file, then the defaults."""
    return Settings(_env_file=settings_file(), **overrides)


def hide_password(url: str) -> str:
    """`url` with its password replaced by ***, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def masked(settings: Settings) -> dict[str, object]:
    """The settings as plain values for printing: secrets masked, URL passwords hidden."""
    out = settings.model_dump(mode="json")
    out["database_url"] = hide_password(settings.database_url)
    if settings.smtp_url is not None:
        out["smtp_url"] = hide_password(settings.smtp_url.get_secret_value())
    return out
