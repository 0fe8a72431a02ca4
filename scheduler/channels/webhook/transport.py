"""Duban's own signed webhook: a JSON delivery POSTed to any receiver, signed so it can tell it
came from this deployment, and the receiver's answer read from its HTTP status.

The protocol a receiver is promised (its fake, tests/fake.py, checks it): POST the URL with
Content-Type application/json and the headers
  X-Duban-Delivery: the delivery's id, the same on every retry of it (a receiver drops repeats),
  X-Duban-Timestamp: unix seconds when it was signed (the real clock),
  X-Duban-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.".encode() + the raw body)>,
and a body of at most 64 KiB: {"delivery", "purpose", "language", "subject", "text" (markdown),
"occurrences": [occurrence ids], "mentions": [whom the robot was told to @]}.
2xx is done; 404 and 410 (no such receiver), 401 and 403 (the secret is wrong) and redirects
(the address moved) say the receiver as configured will never take one: the webhook is
disabled until fixed. 408 and 5xx are temporary, 429 waits its Retry-After (robot/base.py), any
other 4xx refuses this delivery only.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from scheduler.channels.base import Receipt, TransportError
from scheduler.channels.robot.base import Post, Request, refused
from scheduler.i18n import N_, Text

NAME = "webhook"
MAX_BODY = 64 * 1024
MAX_BYTES = 48 * 1024  # the text, with the keyword: the rest of MAX_BODY is for the other fields
GONE = {401, 403, 404, 410}
TEMPORARY = {408}


def signature(secret: str, stamp: str, body: bytes) -> str:
    """The X-Duban-Signature of `body` signed at `stamp`."""
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class Webhook:
    name = NAME

    def request(self, post: Post) -> Request:
        if not post.secret:  # the protocol promises every delivery signed
            raise TransportError(Text(N_("this webhook has no signing secret: add it again with one")),
                                 disable=True)
        message = post.message
        body = {"delivery": post.delivery, "purpose": message.purpose, "language": message.language,
                "subject": message.subject, "text": post.text,
                "occurrences": [occurrence for occurrence, _ in message.buttons], "mentions": list(post.mentions)}
        stamp = str(int(post.wall))
        raw = Request(post.url, body).content()  # the bytes the channel posts: signed as they go
        return Request(post.url, body, {"X-Duban-Delivery": post.delivery, "X-Duban-Timestamp": stamp,
                                        "X-Duban-Signature": signature(post.secret, stamp, raw)})

    def read(self, status: int, reply: dict[str, Any] | None, text: str) -> Receipt:
        if 200 <= status < 300:
            return Receipt(provider_id=f"webhook:{status}")
        said = str((reply or {}).get("error") or text)
        if status in GONE or 300 <= status < 400:
            raise refused(NAME, status, said, gone=True)
        if 400 <= status < 500 and status not in TEMPORARY:
            raise refused(NAME, status, said, invalid=True)
        raise refused(NAME, status, said)  # 408, or a status no receiver should answer: later
