"""A fake DingTalk (钉钉) custom robot (自定义机器人), for tests: it checks a post as
https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages and
.../customize-robot-security-settings describe and answers as the real one does, always HTTP 200
with {"errcode", "errmsg"}.

- URL: {base}/robot/send?access_token=TOKEN; no token: 40035 缺少参数 access_token; an unknown
  one: 300005 token is not exist (what the real endpoint answers; the documentation's table says
  400101 access_token不存在 — both are in ERRORS).
- Security settings, each refused with 310000 and its own errmsg: 加签 (query timestamp in ms
  within one hour of the platform's clock, and sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg=f"{timestamp}\\n{secret}")))): "invalid timestamp" / "sign not match"; a keyword missing
  from the message: "keywords not in content"; IP allow-list: "ip 127.0.0.1 not in whitelist".
- Content-Type application/json (else 43004), a JSON object (else 40035 缺少参数 json), msgtype
  text, link, markdown, actionCard or feedCard (else 400105), its required fields (else 40035,
  the field named — this wording is not confirmed), text at most 20000 bytes (else 460101, seen
  in the wild, not in the documentation).
- At most 20 messages per robot per minute; the 21st is refused and the robot is throttled for
  10 minutes: every post refused with 410100 发送速度太快而限流 (THROTTLE = "too_fast" answers
  130101 send too fast, exceed 20 times per minute instead, as older endpoints did).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
    utf8_len,
)

PER_MINUTE = 20
THROTTLED_FOR = 600.0
SIGN_WINDOW_MS = 3600 * 1000
MAX_TEXT_BYTES = 20000
REQUIRED = {  # msgtype -> the fields its object must hold as non-empty strings
    "text": ("content",),
    "link": ("title", "text", "messageUrl"),
    "markdown": ("title", "text"),
    "actionCard": ("title", "text"),
    "feedCard": (),
}
TEXT_FIELD = {"text": "content", "link": "text", "markdown": "text", "actionCard": "text"}


class DingTalkFake(FakeRobotPlatform):
    name = "dingtalk"
    UNKNOWN_ROBOT, MISSING_TOKEN = "removed", "missing_token"
    THROTTLE = "rate"
    ERRORS: ClassVar[dict[str, PlatformError]] = {
        "ok": PlatformError(0, "ok", permanent=False),
        "sign": PlatformError(310000, "sign not match", permanent=True),
        "timestamp": PlatformError(310000, "invalid timestamp", permanent=True),
        "keyword": PlatformError(310000, "keywords not in content", permanent=True),
        "ip": PlatformError(310000, "ip 127.0.0.1 not in whitelist", permanent=True),
        "removed": PlatformError(300005, "token is not exist", permanent=True),
        "token": PlatformError(300001, "token is not exist", permanent=True),
        "access_token": PlatformError(400101, "access_token不存在", permanent=True),
        "disabled": PlatformError(400102, "机器人已停用", permanent=True),
        "dissolved": PlatformError(400013, "群已被解散", permanent=True),
        "no_robot": PlatformError(400106, "机器人不存在", permanent=True),
        "missing_token": PlatformError(40035, "缺少参数 access_token", permanent=True),
        "json": PlatformError(40035, "缺少参数 json", permanent=True),
        "missing": PlatformError(40035, "缺少参数", permanent=True),
        "content_type": PlatformError(43004, "无效的HTTP HEADER Content-Type", permanent=True),
        "method": PlatformError(43002, "需要POST请求", permanent=True),
        "msgtype": PlatformError(400105, "不支持的消息类型", permanent=True),
        "too_long": PlatformError(460101, "message too long, exceed 20000 bytes", permanent=True),
        "unsafe_link": PlatformError(430101, "含有不安全的外链", permanent=True),
        "unsafe_text": PlatformError(430102, "含有不合适的文本", permanent=True),
        "unsafe_content": PlatformError(430104, "含有不合适的内容", permanent=True),
        "rate": PlatformError(410100, "发送速度太快而限流", permanent=False),
        "too_fast": PlatformError(130101, "send too fast, exceed 20 times per minute", permanent=False),
        "busy": PlatformError(-1, "系统繁忙", permanent=False),
        "http500": HTTP500,
    }

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.throttled_until: dict[str, float] = {}

    def url(self, robot: Robot) -> str:
        return f"{self.base}/robot/send?access_token={robot.token}"

    def token_of(self, path: str, query: dict[str, list[str]]) -> str | None:
        if path != "/robot/send":
            return None
        return (query.get("access_token") or [""])[0] or None

    def error_json(self, name: str, error: PlatformError, post: Post) -> Any:
        if name == "http500":
            return http500_page()
        return {"errcode": error.code, "errmsg": f"{error.message} {post.said}" if post.said else error.message}

    # -- checks, in the platform's order -----------------------------------------------------

    def check(self, post: Post, robot: Robot) -> Iterator[Refusal]:
        if not post.headers.get("content-type", "").lower().startswith("application/json"):
            yield Refusal("content_type", f"Content-Type {post.headers.get('content-type')!r}")
        body = post.json
        if not isinstance(body, dict):
            yield Refusal("json", "the body is not a JSON object")
            return
        yield from self._security(post, robot)
        shape = list(self._shape(post, body))
        yield from shape
        if not shape:
            yield from self._content(post, robot, body)

    def _security(self, post: Post, robot: Robot) -> Iterator[Refusal]:
        if robot.secret:
            yield from self._signature(post, robot.secret)
        if not robot.allow_ip:
            yield Refusal("ip", "127.0.0.1 is not on the robot's IP allow-list")

    def _signature(self, post: Post, secret: str) -> Iterator[Refusal]:
        stamp = (post.query.get("timestamp") or [""])[0]
        sign = (post.query.get("sign") or [""])[0]
        if not stamp.isdigit() or abs(int(stamp) - post.at * 1000) > SIGN_WINDOW_MS:
            yield Refusal("timestamp", f"timestamp {stamp!r} is not milliseconds within an hour")
            return
        expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                             hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(sign, expected):
            why = "sign does not match" + (" ('+' arrived as ' ': the base64 was not url-encoded)"
                                           if " " in sign else "")
            yield Refusal("sign", why)

    def _shape(self, post: Post, body: dict[str, Any]) -> Iterator[Refusal]:
        kind = body.get("msgtype")
        if kind not in REQUIRED:
            yield Refusal("msgtype", f"msgtype {kind!r} is not one DingTalk knows")
            return
        part = body.get(kind)
        if not isinstance(part, dict):
            yield Refusal("missing", f"no {kind} object beside msgtype {kind!r}", kind)
            return
        for key in REQUIRED[kind]:
            if not isinstance(part.get(key), str) or not part[key].strip():
                yield Refusal("missing", f"{kind}.{key} is missing or empty", f"{kind}.{key}")
        if kind == "actionCard":
            yield from _buttons(part)
        yield from self._at(post, body, kind)

    def _at(self, post: Post, body: dict[str, Any], kind: str) -> Iterator[Refusal]:
        at = body.get("at")
        if at is None:
            return
        if not isinstance(at, dict):
            yield Refusal("missing", "at is not an object", "at")
            return
        for key in ("atMobiles", "atUserIds"):
            value = at.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                yield Refusal("missing", f"at.{key} is not a list of strings", f"at.{key}")
        if not isinstance(at.get("isAtAll", False), bool):
            yield Refusal("missing", "at.isAtAll is not a boolean", "at.isAtAll")
        if kind not in ("text", "markdown"):
            post.warnings.append(f"{kind} does not @-mention: only text and markdown do")
            return
        text = body[kind].get(TEXT_FIELD[kind], "")
        for mobile in at.get("atMobiles", []) if isinstance(at.get("atMobiles"), list) else []:
            if f"@{mobile}" not in text:
                post.warnings.append(f"@{mobile} is not in the text: the group sees no @ for it")

    def _content(self, post: Post, robot: Robot, body: dict[str, Any]) -> Iterator[Refusal]:
        kind = body["msgtype"]
        text = body[kind].get(TEXT_FIELD.get(kind, ""), "")
        if isinstance(text, str) and utf8_len(text) > MAX_TEXT_BYTES:
            yield Refusal("too_long", f"{kind}.{TEXT_FIELD[kind]} is {utf8_len(text)} bytes, over {MAX_TEXT_BYTES}")
        if robot.keywords and not any(k in s for k in robot.keywords for s in strings_in(body[kind])):
            yield Refusal("keyword", f"none of the keywords {list(robot.keywords)} is in the message")

    # -- the rate limit: 20 a minute, then 10 minutes refused --------------------------------

    def blocked(self, robot: Robot, now: float) -> Refusal | None:
        until = self.throttled_until.get(robot.token, 0.0)
        if now < until:
            return Refusal(self.THROTTLE, f"throttled for {until - now:.0f} s more")
        return None

    def limit(self, robot: Robot, now: float) -> Refusal | None:
        if self.sent_within(robot, now, 60) >= PER_MINUTE:
            self.throttled_until[robot.token] = now + THROTTLED_FOR
            return Refusal(self.THROTTLE, f"more than {PER_MINUTE} messages in 60 s: throttled 10 minutes")
        return None


def _buttons(part: dict[str, Any]) -> Iterator[Refusal]:
    single = isinstance(part.get("singleTitle"), str) and isinstance(part.get("singleURL"), str)
    buttons = part.get("btns")
    if single or (isinstance(buttons, list) and buttons and all(
            isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("actionURL"), str)
            for b in buttons)):
        return
    yield Refusal("missing", "actionCard has neither singleTitle + singleURL nor btns [{title, actionURL}]",
                  "actionCard.singleTitle")
