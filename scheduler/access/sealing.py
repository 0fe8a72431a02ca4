"""Sealing the secrets Duban must keep readable (a group robot's webhook URL and signing secret):
encrypted with a key derived from the deployment's signing secret (Fernet: AES-128-CBC + HMAC),
so a copy of the database posts into no group. Shown to people only masked (`mask`)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken

from scheduler.i18n import N_, Problem


class Sealer:
    def __init__(self, secret: str):
        key = hashlib.sha256(b"duban-seal:" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The value back; a Problem when it was sealed under another key (DUBAN_SECRET_KEY changed)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise Problem(N_("A stored secret cannot be read: it was sealed with another DUBAN_SECRET_KEY. "
                             "Add the robot again with its URL and secret.")) from None


def mask(value: str | None) -> str:
    """What may be shown of a secret: an URL's scheme, host and path start, and the last 4
    characters; a secret's last 4 characters only."""
    if not value:
        return ""
    parts = urlsplit(value)
    tail = value[-4:] if len(value) > 12 else ""
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}{parts.path[:12]}…{tail}"
    return f"…{tail}" if tail else "…"
