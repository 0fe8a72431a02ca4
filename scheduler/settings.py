"""Effective settings: environment variables prefixed DUBAN_ (and DATABASE_URL), or a settings file."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.channels import registry
from scheduler.moments import DEFAULT_ZONE, zone_named

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = f"sqlite:///{ROOT / 'var' / 'duban.db'}"
SECRET_KEY_LENGTH = 32  # characters of DUBAN_SECRET_KEY, at least
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def settings_file() -> str:
    """The settings file: $DUBAN_SETTINGS_FILE, else ./duban.env when present."""
    return os.environ.get("DUBAN_SETTINGS_FILE", "duban.env")


class Settings(BaseSettings):
    """Every knob of a Duban instance. Secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore", env_file_encoding="utf-8")

    database_url: str = Field(DEFAULT_DB, validation_alias=AliasChoices("DATABASE_URL", "DUBAN_DATABASE_URL"))
    horizon_days: int = Field(400, ge=1, le=3660)
    timezone: str = DEFAULT_ZONE  # what people type and read (--now, --at, output, reports, board, feeds)
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
    telegram_invite_hours: int = Field(72, ge=1, le=720)
    telegram_start_failures: int = Field(5, ge=1)  # wrong invite codes per chat per hour before a pause
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    ops_token: SecretStr | None = None  # /metrics and /healthz's details from other machines
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)  # whose X-Forwarded-For is believed
    templates_dir: Path | None = None
    log_level: str = "INFO"
    secret_file: Path = ROOT / "var" / "secret.key"
    channels: list[str] | None = None  # registered channel names; default: what is configured
    dispatch_batch: int = Field(200, ge=1, le=10000)
    lease_seconds: int = Field(120, ge=1)
    send_tries: int = Field(3, ge=1, le=10)
    max_attempts: int = Field(12, ge=1)
    retry_base_seconds: float = Field(60, ge=0)
    retry_max_seconds: float = Field(7200, ge=0)
    pause_base_seconds: float = Field(15, gt=0)  # a channel that is down: first wait before a probe
    pause_max_seconds: float = Field(120, gt=0)  # ... doubling up to this
    planner_every_minutes: int = Field(10, ge=1)
    dispatch_every_seconds: int = Field(30, ge=1)
    overdue_lookahead_days: int = Field(14, ge=1, le=366)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        """A signing key anyone could guess signs links anyone could forge: refuse short ones.
        An empty value is no key (the secret file is used), as when the line is left blank."""
        if key is None or not key.get_secret_value():
            return None
        if len(key.get_secret_value()) < SECRET_KEY_LENGTH:
            raise ValueError(f"签名密钥太短，至少 {SECRET_KEY_LENGTH} 个字符 / too short for a signing key: at least "
                             f"{SECRET_KEY_LENGTH} characters; make one with {MAKE_SECRET}, or leave it unset "
                             "to use the generated secret file")
        return key

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        """An IANA zone name (scheduler/moments.py): a typo would shift every time people read."""
        return zone_named(name).key

    @property
    def zone(self) -> ZoneInfo:
        """The deployment's time zone: moments typed without an offset are in it, moments shown are."""
        return ZoneInfo(self.timezone)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, wanted: list[str] | None) -> list[str] | None:
        """Every name must be a registered channel (scheduler/channels/registry.py)."""
        return None if wanted is None else registry.check(wanted)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"未知的日志级别 unknown log level: use one of {', '.join(LOG_LEVELS)}")
        return level.upper()

    def webhook_secret(self) -> str:
        """The Telegram webhook's secret (its URL path and header): configured, else derived from the
        token, so it is stable across restarts. Telegram allows 1-256 of [A-Za-z0-9_-]."""
        if self.telegram_webhook_secret is not None:
            return self.telegram_webhook_secret.get_secret_value()
        token = self.telegram_token.get_secret_value() if self.telegram_token else ""
        return hmac.new(token.encode(), b"duban-telegram-webhook", hashlib.sha256).hexdigest()[:40]


class SettingsError(ValueError):
    """Settings that cannot be used; str() names each bad variable and what is wrong, never its value."""

    def __init__(self, exc: ValidationError):
        lines = [f"{_variable(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        super().__init__("设置有误 invalid settings:\n  " + "\n  ".join(lines))


def _variable(loc: tuple) -> str:
    """The environment variable a validation error's location stands for (DUBAN_X, DATABASE_URL)."""
    name = str(loc[0]) if loc else "?"
    name = name if name.isupper() else f"DUBAN_{name.upper()}"
    return name + "".join(f"[{part}]" for part in loc[1:])


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, then the settings file, then the defaults; SettingsError
    when a value is wrong."""
    try:
        return Settings(_env_file=settings_file(), **overrides)
    except ValidationError as exc:
        raise SettingsError(exc) from None


# Query parameters that carry a credential: libpq's password and sslpassword, and the usual others.
SECRET_PARAMS = ("password", "passwd", "pass", "pwd", "sslpassword", "token", "access_token", "secret",
                 "api_key", "apikey")
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:)[^\s/?#]*@")
_PARAMS = re.compile(rf"(?P<head>[?&;](?:{'|'.join(SECRET_PARAMS)})=)[^&#\s'\"<>]*", re.IGNORECASE)


def hide_password(text: str) -> str:
    """`text` (a URL, or a message with URLs in it) with every URL password replaced by ***: the
    one in user:password@ and those in query parameters (?password=, &sslpassword=, ...)."""
    return _PARAMS.sub(r"\g<head>***", _USERINFO.sub(r"\g<head>***@", text))


def masked(settings: Settings) -> dict[str, object]:
    """The settings as plain values for printing: secrets masked, URL passwords hidden."""
    out = settings.model_dump(mode="json")
    if settings.smtp_url is not None:
        out["smtp_url"] = hide_password(settings.smtp_url.get_secret_value())
    return {k: hide_password(v) if isinstance(v, str) else v for k, v in out.items()}
