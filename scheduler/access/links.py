"""Signed links in reminders: answer an occurrence (done, snooze, help) or unsubscribe, no login.

Tokens are itsdangerous signatures over a compact JSON list in base64url (answers: timestamped)
or over the contact id (unsubscribe), so a link proves who it was sent to and cannot be edited.
One signer object each, reused: the serializer classes build a signer and try zlib on every
call, which cost more than the rest of preparing a reminder's links. Answer links expire (60 days by default); unsubscribe links do not,
because an old email must always be able to stop the mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from itsdangerous import BadData, SignatureExpired, TimestampSigner
from itsdangerous import Signer as PlainSigner

from db.vocabulary import Action
from scheduler.i18n import N_, Told
from scheduler.settings import ROOT, Settings

ACTIONS = (Action.done, Action.snooze, Action.help)  # the answers a link (and a reminder's button) gives
_CODES = {Action.done: "d", Action.snooze: "s", Action.help: "h"}  # one letter each keeps the URL short
_ACTIONS = {code: action for action, code in _CODES.items()}
DEFAULT_SECRET_FILE = ROOT / "var" / "secret.key"
# What itsdangerous emits: base64url parts joined by "."; the HMAC-SHA1 signature is 27 characters.
_SHAPE = re.compile(r"\.?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9_-]{27}")

Reason = Literal["expired", "tampered", "malformed"]
_MESSAGES: dict[str, str] = {
    "expired": N_("This link has expired: open the latest reminder and use its link."),
    "tampered": N_("This link is not valid: its signature does not match (edited or revoked)."),
    "malformed": N_("This link is incomplete or malformed: copy the whole link from the email."),
}


class LinkError(Told):
    """A link that cannot be honoured: `reason` says why, `text` tells a person (in their language)."""

    def __init__(self, reason: Reason):
        super().__init__(_MESSAGES[reason])
        self.reason = reason


@dataclass(frozen=True)
class AnswerLink:
    """What a verified answer link says: who may do what to which occurrence, and since when."""

    occurrence_id: int
    action: str
    contact_id: int
    nonce: str
    issued_at: datetime


class _ClockedSigner(TimestampSigner):
    """itsdangerous's timestamp signer reading Duban's clock, so tests can sign in the past."""

    def __init__(self, *args: Any, now: Callable[[], datetime], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now().timestamp())


class Signer:
    """Makes and checks the links that go into reminders; `now` is the clock answer links are
    stamped and checked by (the caller's: the core reads no clock)."""

    def __init__(self, secret: str, public_url: str, *, now: Callable[[], datetime]):
        self.public_url = public_url.rstrip("/")
        self._answers = _ClockedSigner(secret, salt="answer", now=now)
        self._unsubscribes = PlainSigner(secret, salt="unsubscribe")
        self._feed_key = hmac.new(secret.encode(), b"duban-feed-key", hashlib.sha256).digest()

    def feed_token(self, row_id: int) -> str:
        """The secret of feed token row `row_id`: derived, so it can be shown again but never stored."""
        mac = hmac.new(self._feed_key, f"feed:{row_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def answer_url(self, occurrence_id: int, action: str, contact_id: int, nonce: str) -> str:
        if action not in _CODES:
            raise ValueError(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
        token = self._answers.sign(_pack([occurrence_id, _CODES[action], contact_id, nonce]))
        return f"{self.public_url}/a/{token.decode()}"

    def verify_answer(self, token: str, max_age: timedelta = timedelta(days=60)) -> AnswerLink:
        _check_shape(token)
        try:
            packed, issued = self._answers.unsign(token, max_age=int(max_age.total_seconds()),
                                                  return_timestamp=True)
        except SignatureExpired:  # raised only once the signature itself checked out
            raise LinkError("expired") from None
        except BadData:
            raise LinkError("tampered") from None
        return _answer(_unpack(packed), issued)

    def unsubscribe_url(self, contact_id: int) -> str:
        return f"{self.public_url}/u/{self._unsubscribes.sign(str(contact_id)).decode()}"

    def verify_unsubscribe(self, token: str) -> int:
        _check_shape(token)
        try:
            contact_id = self._unsubscribes.unsign(token).decode()
        except BadData:
            raise LinkError("tampered") from None
        if not contact_id.isascii() or not contact_id.isdigit():
            raise LinkError("malformed")
        return int(contact_id)


def _check_shape(token: str) -> None:
    """Tell a cut-off or garbled link (malformed) from a well-formed one with a bad signature."""
    if not isinstance(token, str) or not _SHAPE.fullmatch(token):
        raise LinkError("malformed")


def _pack(payload: list) -> str:
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(packed: bytes) -> object:
    """The signed JSON back; a signed payload that is not ours (an old format) is malformed."""
    try:
        return json.loads(base64.urlsafe_b64decode(packed + b"=" * (-len(packed) % 4)))
    except ValueError:
        raise LinkError("malformed") from None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _answer(payload: object, issued: datetime) -> AnswerLink:
    """The signed list [occurrence, action code, contact, nonce] as an AnswerLink."""
    if not (isinstance(payload, list) and len(payload) == 4):
        raise LinkError("malformed")
    occurrence_id, code, contact_id, nonce = payload
    if not (_is_id(occurrence_id) and _is_id(contact_id) and code in _ACTIONS
            and isinstance(nonce, str)):
        raise LinkError("malformed")
    return AnswerLink(occurrence_id, _ACTIONS[code], contact_id, nonce, issued)


def load_or_create_secret(path: Path = DEFAULT_SECRET_FILE) -> str:
    """The signing secret in `path`; created (mode 0600) with a fresh random value if missing."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = ""
    if secret:
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_urlsafe(32)
    try:
        # O_EXCL: if another instance creates it at the same moment, use theirs, not ours.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _wait_for_secret(path)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(fresh + "\n")
    return fresh


def _wait_for_secret(path: Path) -> str:
    """Read a secret another process has just created (it may still be writing it)."""
    import time

    for _ in range(50):
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            return secret
        time.sleep(0.02)
    raise RuntimeError(f"密钥文件 {path} 是空的，请删除后重试。 / The secret file {path} is empty: "
                       "delete it and start again.")


def signing_secret(settings: Settings) -> str:
    """The one secret that signs links and board sessions: DUBAN_SECRET_KEY, else the secret file."""
    return (settings.secret_key.get_secret_value() if settings.secret_key
            else load_or_create_secret(settings.secret_file))


def signer_for(settings: Settings, now: Callable[[], datetime]) -> Signer:
    """The link signer of these settings; `now` is the clock links are signed and checked by."""
    return Signer(signing_secret(settings), settings.public_url, now=now)
