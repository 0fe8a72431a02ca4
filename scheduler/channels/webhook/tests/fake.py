"""A fake receiver of Duban's own signed webhook, for tests: it checks the protocol a receiver is
promised and answers as a careful receiver would.

The protocol: POST {url} with Content-Type application/json and the headers
  X-Duban-Delivery: the delivery's id (the same on every retry of it),
  X-Duban-Timestamp: unix seconds (refused with 401 when more than 300 s from the receiver's clock),
  X-Duban-Signature: sha256=<hex of HMAC-SHA256(secret, f"{timestamp}.".encode() + raw body)> (401),
and a JSON object body of at most 64 KiB (413) with at least delivery (str, equal to the header),
purpose, language, subject, text (str) and occurrences (list of int) (else 400).
A receiver answers 2xx for done: this one 200 {"ok": true}; fail_next: "http500" (500), "gone"
(410: the receiver is removed for good), "rate" (429 with Retry-After: 5). An unknown URL: 404.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

from scheduler.channels.robot.fake import FakeRobotPlatform, PlatformError, Post, Refusal, Robot

SKEW = 300
MAX_BODY = 64 * 1024
FIELDS = {"delivery": str, "purpose": str, "language": str, "subject": str, "text": str}


class WebhookFake(FakeRobotPlatform):
    name = "webhook"
    UNKNOWN_ROBOT = MISSING_TOKEN = "unknown"
    ERRORS: ClassVar[dict[str, PlatformError]] = {
        "ok": PlatformError(None, "", permanent=False),
        "method": PlatformError(None, "POST only", permanent=True, status=405),
        "unknown": PlatformError(None, "no such receiver", permanent=True, status=404),
        "too_large": PlatformError(None, "body over 64 KiB", permanent=True, status=413),
        "media_type": PlatformError(None, "Content-Type must be application/json", permanent=True, status=415),
        "unsigned": PlatformError(None, "bad or missing signature or timestamp", permanent=True, status=401),
        "invalid": PlatformError(None, "the body is not a delivery", permanent=True, status=400),
        "gone": PlatformError(None, "this receiver is gone", permanent=True, status=410),
        "rate": PlatformError(None, "slow down", permanent=False, status=429, headers=(("Retry-After", "5"),)),
        "http500": PlatformError(None, "internal error", permanent=False, status=500),
    }

    def new_token(self) -> str:
        return secrets.token_urlsafe(16)

    def prepare(self, robot: Robot) -> Robot:
        if robot.keywords or not robot.allow_ip:
            raise ValueError("a webhook receiver has no keyword or IP allow-list")
        robot.secret = robot.secret or secrets.token_urlsafe(32)  # every delivery is signed
        return robot

    def url(self, robot: Robot) -> str:
        return f"{self.base}/hooks/{robot.token}"

    def token_of(self, path: str, query: dict[str, list[str]]) -> str | None:
        prefix = "/hooks/"
        return (path[len(prefix):] or None) if path.startswith(prefix) else None

    def error_json(self, name: str, error: PlatformError, post: Post) -> Any:
        if name == "ok":
            return {"ok": True}
        return {"ok": False, "error": post.said or error.message}

    def duplicates(self) -> dict[str, int]:
        """Delivery ids that arrived more than once (every arrival counted, refused ones too)."""
        with self._lock:
            seen = Counter(p.headers.get("x-duban-delivery") for p in self.posts)
        return {delivery: n for delivery, n in seen.items() if delivery and n > 1}

    # -- checks, in a receiver's order -------------------------------------------------------

    def check(self, post: Post, robot: Robot) -> Iterator[Refusal]:
        if len(post.body) > MAX_BODY:
            yield Refusal("too_large", f"the body is {len(post.body)} bytes, over 64 KiB")
        media = post.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            yield Refusal("media_type", f"Content-Type {post.headers.get('content-type')!r}")
        yield from self._signature(post, robot.secret or "")
        yield from _delivery(post)

    def _signature(self, post: Post, secret: str) -> Iterator[Refusal]:
        stamp = post.headers.get("x-duban-timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - post.at) > SKEW:
            yield Refusal("unsigned", f"X-Duban-Timestamp {stamp!r} is not unix seconds within {SKEW} s",
                          "stale or missing timestamp")
            return
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + post.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(post.headers.get("x-duban-signature", ""), f"sha256={digest}"):
            yield Refusal("unsigned", "X-Duban-Signature does not match", "bad signature")


def _delivery(post: Post) -> Iterator[Refusal]:
    body = post.json
    if not isinstance(body, dict):
        yield Refusal("invalid", "the body is not a JSON object")
        return
    header = post.headers.get("x-duban-delivery", "")
    if not header:
        yield Refusal("invalid", "no X-Duban-Delivery header", "no X-Duban-Delivery")
    for key, kind in FIELDS.items():
        if not isinstance(body.get(key), kind):
            yield Refusal("invalid", f"{key} is not a string", f"{key} is missing or not a string")
    occurrences = body.get("occurrences")
    if not isinstance(occurrences, list) or not all(
            isinstance(o, int) and not isinstance(o, bool) for o in occurrences):
        yield Refusal("invalid", "occurrences is not a list of integers", "occurrences is not a list of ints")
    if header and isinstance(body.get("delivery"), str) and body["delivery"] != header:
        yield Refusal("invalid", "delivery in the body differs from X-Duban-Delivery", "delivery mismatch")
