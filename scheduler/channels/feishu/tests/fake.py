"""A fake Feishu (飞书) custom robot (自定义机器人), for tests: it checks a post as
https://open.feishu.cn/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN (自定义机器人使用指南)
describes and answers {"code", "msg", "data"} as the real one does, with HTTP 200.

- URL: {base}/open-apis/bot/v2/hook/TOKEN; an unknown token: 19001 param invalid: incoming
  webhook access token invalid; no token in the path: HTTP 404 99991201 resource not find.
- The body at most 20 KB and JSON (else 9499 Bad Request).
- Security settings: 签名校验 (body fields "timestamp", unix seconds as a string, within one hour
  of the platform's clock, and "sign" = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")))
  else 19021; IP allow-list: 19022 Ip Not Allowed; a keyword missing: 19024 Key Words Not Found.
- msg_type text, post, image, share_chat or interactive (else 19002 — wording not confirmed); the
  content's shape (else 9499). interactive: "card" an object (not a JSON string) with elements
  (or body.elements for card JSON 2.0, or a template). A custom robot @s only by open_id/user_id
  (cards: <at id=ou_…>, <at id=all>, <at email=…>), never by mobile: a warning.
- At most 5 messages a second and 100 a minute per robot: 11232 frequency limited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

from scheduler.channels.robot.fake import (
    HTTP500,
    FakeRobotPlatform,
    PlatformError,
    Post,
    Refusal,
    Robot,
    http500_page,
    strings_in,
)

PER_SECOND, PER_MINUTE = 5, 100
SIGN_WINDOW = 3600
MAX_BODY = 20 * 1024
CONTENT = {"text": "text", "image": "image_key", "share_chat": "share_chat_id"}  # msg_type -> content key
AT_MOBILE = re.compile(r"<at\s+(?:id|user_id)=\"?\+?\d{11}\b")


class FeishuFake(FakeRobotPlatform):
    name = "feishu"
    UNKNOWN_ROBOT, MISSING_TOKEN = "removed", "not_found"
    ERRORS: ClassVar[dict[str, PlatformError]] = {
        "ok": PlatformError(0, "success", permanent=False),
        "removed": PlatformError(19001, "param invalid: incoming webhook access token invalid", permanent=True),
        "sign": PlatformError(19021, "sign match fail or timestamp is not within one hour from current time",
                              permanent=True),
        "ip": PlatformError(19022, "Ip Not Allowed", permanent=True),
        "keyword": PlatformError(19024, "Key Words Not Found", permanent=True),
        "msg_type": PlatformError(19002, "param invalid: msg_type", permanent=True),
        "bad_request": PlatformError(9499, "Bad Request", permanent=True),
        "rate": PlatformError(11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
                              permanent=False),
        "not_found": PlatformError(99991201, "resource not find", permanent=True, status=404),
        "http500": HTTP500,
    }

    def new_token(self) -> str:
        return str(uuid.uuid4())

    def url(self, robot: Robot) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{robot.token}"

    def token_of(self, path: str, query: dict[str, list[str]]) -> str | None:
        prefix = "/open-apis/bot/v2/hook/"
        return (path[len(prefix):] or None) if path.startswith(prefix) else None

    def error_json(self, name: str, error: PlatformError, post: Post) -> Any:
        if name == "http500":
            return http500_page()
        if name == "ok":  # the success body keeps the old fields, "not recommended" but still there
            return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        return {"code": error.code, "data": {}, "msg": error.message}

    # -- checks, in the platform's order -----------------------------------------------------

    def check(self, post: Post, robot: Robot) -> Iterator[Refusal]:
        if len(post.body) > MAX_BODY:
            yield Refusal("bad_request", f"the body is {len(post.body)} bytes, over 20 KB")
        body = post.json
        if not isinstance(body, dict):
            yield Refusal("bad_request", "the body is not a JSON object")
            return
        if robot.secret:
            yield from self._signature(post, body, robot.secret)
        if not robot.allow_ip:
            yield Refusal("ip", "127.0.0.1 is not on the robot's IP allow-list")
        shape = list(self._shape(post, body))
        yield from shape
        if not shape and robot.keywords and not any(
                k in s for k in robot.keywords for s in strings_in(body.get("card") or body.get("content"))):
            yield Refusal("keyword", f"none of the keywords {list(robot.keywords)} is in the message")

    def _signature(self, post: Post, body: dict[str, Any], secret: str) -> Iterator[Refusal]:
        stamp, sign = body.get("timestamp"), body.get("sign")
        if isinstance(stamp, int) and not isinstance(stamp, bool):
            post.warnings.append("timestamp is a number; the documentation sends a string")
            stamp = str(stamp)
        if not isinstance(stamp, str) or not stamp.isdigit() or abs(int(stamp) - post.at) > SIGN_WINDOW:
            yield Refusal("sign", f"timestamp {stamp!r} is not unix seconds within an hour")
            return
        key = f"{stamp}\n{secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if not isinstance(sign, str) or not hmac.compare_digest(sign, expected):
            yield Refusal("sign", "sign does not match")

    def _shape(self, post: Post, body: dict[str, Any]) -> Iterator[Refusal]:
        kind = body.get("msg_type")
        if kind == "interactive":
            yield from _card(post, body.get("card"))
        elif kind == "post":
            content = body.get("content")
            if not isinstance(content, dict) or not isinstance(content.get("post"), dict):
                yield Refusal("bad_request", "post without content.post")
        elif kind in CONTENT:
            content = body.get("content")
            if not isinstance(content, dict) or not isinstance(content.get(CONTENT[kind]), str):
                yield Refusal("bad_request", f"{kind} without content.{CONTENT[kind]}")
            elif kind == "text" and AT_MOBILE.search(content["text"]):
                post.warnings.append("a custom robot cannot @ by mobile: only open_id / user_id")
        else:
            yield Refusal("msg_type", f"msg_type {kind!r} is not one a custom robot sends")

    # -- the rate limit ----------------------------------------------------------------------

    def limit(self, robot: Robot, now: float) -> Refusal | None:
        if self.sent_within(robot, now, 1) >= PER_SECOND:
            return Refusal("rate", f"more than {PER_SECOND} messages in a second")
        if self.sent_within(robot, now, 60) >= PER_MINUTE:
            return Refusal("rate", f"more than {PER_MINUTE} messages in a minute")
        return None


def _card(post: Post, card: Any) -> Iterator[Refusal]:
    if isinstance(card, str):
        yield Refusal("bad_request", "card is a JSON string: the webhook wants the card object")
        return
    if not isinstance(card, dict):
        yield Refusal("bad_request", "interactive without a card object")
        return
    if card.get("type") == "template":
        if not isinstance((card.get("data") or {}).get("template_id"), str):
            yield Refusal("bad_request", "a template card without data.template_id")
        return
    elements = card.get("elements", (card.get("body") or {}).get("elements"))
    if elements is None and isinstance(card.get("i18n_elements"), dict):
        elements = [e for items in card["i18n_elements"].values() for e in items]
    if not isinstance(elements, list) or not elements:
        yield Refusal("bad_request", "the card has no elements")
        return
    for index, element in enumerate(elements):
        yield from _element(post, index, element)


def _element(post: Post, index: int, element: Any) -> Iterator[Refusal]:
    if not isinstance(element, dict) or not isinstance(element.get("tag"), str):
        yield Refusal("bad_request", f"card element {index} has no tag")
        return
    texts = [element.get("text")] if element["tag"] == "div" and "text" in element else []
    texts += [f.get("text") for f in element.get("fields", []) if isinstance(f, dict)]
    for text in texts:
        if not isinstance(text, dict) or text.get("tag") not in ("plain_text", "lark_md") \
                or not isinstance(text.get("content"), str):
            yield Refusal("bad_request", f"card element {index}: a text is not {{tag: plain_text|lark_md, content}}")
    if element["tag"] == "markdown" and not isinstance(element.get("content"), str):
        yield Refusal("bad_request", f"card element {index}: markdown without content")
    for text in strings_in(element):
        if AT_MOBILE.search(text):
            post.warnings.append("a custom robot cannot @ by mobile: only <at id=open_id|user_id|all>")
        if "<at user_id=" in text:
            post.warnings.append("a card @s with <at id=…>, not the text message's <at user_id=…>")
