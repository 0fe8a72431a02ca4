"""Logging setup: levels, one line format, and redaction of secrets from every line written.

`duban run` (and `duban tick`) log through one handler whose formatter formats a record, then
masks secrets in the whole text: message, arguments, exception and stack. Masked are the
configured secrets (Telegram token, webhook secret, passwords in DATABASE_URL and DUBAN_SMTP_URL,
DUBAN_SECRET_KEY, DUBAN_OPS_TOKEN) and secrets recognised by their shape wherever they come
from: Bot API tokens (bot<id>:<token>), the tokens in feed, answer, unsubscribe and webhook paths
(/feeds/…, /a/…, /u/…, /telegram/…), invite codes (/start <code>, ?start=<code>) and URL passwords.
Libraries that log a line per request or statement (httpx, httpcore, uvicorn, SQLAlchemy) are
kept at WARNING unless the level is DEBUG; SQLAlchemy never goes below INFO (at DEBUG it logs
result rows, password hashes among them).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from scheduler.settings import SECRET_PARAMS, Settings, hide_password

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
MIN_SECRET = 4  # shorter configured values are not masked word by word (URL passwords still are)
CHATTY = ("httpx", "httpcore", "uvicorn", "sqlalchemy")  # WARNING unless the level is DEBUG
FLOOR = {"sqlalchemy": logging.INFO}  # ... and at DEBUG, no lower than this
_SHAPES = [
    (re.compile(r"(\bbot)\d+:[A-Za-z0-9_-]+"), rf"\1{MASK}"),  # Bot API URLs: /bot<id>:<token>/
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), MASK),  # a bare Bot API token
    (re.compile(r"(/(?:a|u|feeds|telegram)/)[A-Za-z0-9._~%=+-]+"), rf"\1{MASK}"),  # secret paths
    (re.compile(r"([?&]start=|/start(?:@\w+)?[ \t]+)[A-Za-z0-9_-]+"), rf"\1{MASK}"),  # invite codes
    # group robots' webhooks: DingTalk ?access_token= and &sign=, WeCom ?key=, Feishu /bot/v2/hook/<token>
    (re.compile(r"([?&](?:access_token|key|sign)=)[^&\s\"']+"), rf"\1{MASK}"),
    (re.compile(r"(/hooks?/)[A-Za-z0-9._~%-]+"), rf"\1{MASK}"),
]


class RedactingFormatter(logging.Formatter):
    """A formatter that masks secrets in the finished line, so the exception text is covered too."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = FORMAT):
        super().__init__(fmt)
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
        self._values = re.compile("|".join(map(re.escape, values))) if values else None

    def redact(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(MASK, text)
        for shape, replacement in _SHAPES:
            text = shape.sub(replacement, text)
        return hide_password(text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes, as logging's last resort does."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret value, as written and as it appears percent-encoded in URLs."""
    values = [s.get_secret_value() for s in (settings.telegram_token, settings.secret_key, settings.ops_token) if s]
    if settings.telegram_token or settings.telegram_webhook_secret:
        values.append(settings.webhook_secret())  # configured, or derived from the token
    values += _url_secrets(settings.database_url)
    if settings.smtp_url is not None:
        values += _url_secrets(settings.smtp_url.get_secret_value())
    return [form for v in values for form in {v, quote(v, safe=""), unquote(v)}]


def _url_secrets(url: str) -> list[str]:
    """The password of `url` and the values of its credential query parameters."""
    parts = urlsplit(url)
    params = [value for key, value in parse_qsl(parts.query) if key.lower() in SECRET_PARAMS]
    return ([parts.password] if parts.password else []) + params


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Log at DUBAN_LOG_LEVEL through one redacting handler on the root logger (to `stream`, or
    stderr); replaces the handler an earlier call installed. Returns the handler."""
    level = logging.getLevelName(settings.log_level)  # one of settings.LOG_LEVELS: a number
    handler = _Stderr() if stream is None else logging.StreamHandler(stream)
    handler.set_name("duban")
    handler.setFormatter(RedactingFormatter(secrets_of(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "duban"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(FLOOR.get(name, level) if level <= logging.DEBUG
                                         else max(level, logging.WARNING))
    logging.captureWarnings(True)  # warnings are lines in the log too, and pass the same redaction
    return handler
