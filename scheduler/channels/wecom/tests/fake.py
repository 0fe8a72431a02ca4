"""A fake WeCom (企业微信) group robot, "消息推送" (formerly 群机器人), for tests: it checks a post as
https://developer.work.weixin.qq.com/document/path/99110 (was /91770) describes and answers as the
real one does, always HTTP 200 with {"errcode", "errmsg"}.

- URL: {base}/cgi-bin/webhook/send?key=KEY; an unknown or missing key: 93000 invalid webhook url.
- No signing, no keyword, no IP allow-list: the key in the URL is the only secret.
- msgtype text (content <= 2048 bytes), markdown and markdown_v2 (content <= 4096 bytes, UTF-8),
  image, news, file, voice, template_card; longer: 40058, empty: 44004, other: 40008.
- @ by mobile only in text (text.mentioned_mobile_list); markdown @s only with <@userid> in the
  content, markdown_v2 not at all: the platform takes such a post and ignores the @ (a warning).
- At most 20 messages per robot per minute; the 21st within 60 s: 45009 api freq out of limit.
"""

from __future__ import annotations

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
    utf8_len,
)

PER_MINUTE = 20
MAX_BYTES = {"text": 2048, "markdown": 4096, "markdown_v2": 4096}
OTHER_TYPES = {"image", "news", "file", "voice", "template_card"}


def _hint(message: str) -> str:
    return f"{message}, hint: [1700000000000000000000000], from ip: 127.0.0.1, more info at " \
           "https://open.work.weixin.qq.com/devtool/query"


class WeComFake(FakeRobotPlatform):
    name = "wecom"
    UNKNOWN_ROBOT = MISSING_TOKEN = "removed"
    ERRORS: ClassVar[dict[str, PlatformError]] = {
        "ok": PlatformError(0, "ok", permanent=False),
        "removed": PlatformError(93000, "invalid webhook url", permanent=True),
        "rate": PlatformError(45009, "api freq out of limit", permanent=False),
        "busy": PlatformError(-1, "system busy", permanent=False),
        "msgtype": PlatformError(40008, "invalid message type", permanent=True),
        "empty": PlatformError(44004, "empty content", permanent=True),
        "invalid": PlatformError(40058, "invalid Request Parameter", permanent=True),
        "http500": HTTP500,
    }

    def new_token(self) -> str:
        return str(uuid.uuid4())

    def prepare(self, robot: Robot) -> Robot:
        if robot.secret or robot.keywords or not robot.allow_ip:
            raise ValueError("a WeCom robot has no signing secret, keyword or IP allow-list")
        return robot

    def url(self, robot: Robot) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={robot.token}"

    def token_of(self, path: str, query: dict[str, list[str]]) -> str | None:
        if path != "/cgi-bin/webhook/send":
            return None
        return (query.get("key") or [""])[0] or None

    def error_json(self, name: str, error: PlatformError, post: Post) -> Any:
        if name == "http500":
            return http500_page()
        message = f"{post.said}. {error.message}" if post.said else error.message
        return {"errcode": error.code, "errmsg": message if name == "ok" else _hint(message)}

    def check(self, post: Post, robot: Robot) -> Iterator[Refusal]:
        body = post.json
        if not isinstance(body, dict):
            yield Refusal("invalid", "the body is not a JSON object", "Warning: wrong json format")
            return
        kind = body.get("msgtype")
        if kind not in MAX_BYTES and kind not in OTHER_TYPES:
            yield Refusal("msgtype", f"msgtype {kind!r} is not one WeCom knows")
            return
        if not isinstance(body.get(kind), dict):
            yield Refusal("invalid", f"no {kind} object beside msgtype {kind!r}", f"missing field `{kind}`")
            return
        if kind in MAX_BYTES:
            yield from self._content(post, kind, body[kind])

    def _content(self, post: Post, kind: str, part: dict[str, Any]) -> Iterator[Refusal]:
        content = part.get("content")
        if not isinstance(content, str):
            yield Refusal("invalid", f"{kind}.content is not a string", f"missing field `{kind}.content`")
            return
        if not content.strip():
            yield Refusal("empty", f"{kind}.content is empty")
        if utf8_len(content) > MAX_BYTES[kind]:
            yield Refusal("invalid", f"{kind}.content is {utf8_len(content)} bytes, over {MAX_BYTES[kind]}",
                          f"{kind}.content exceed max length {MAX_BYTES[kind]}")
        yield from self._mentions(post, kind, part)

    def _mentions(self, post: Post, kind: str, part: dict[str, Any]) -> Iterator[Refusal]:
        for key in ("mentioned_list", "mentioned_mobile_list"):
            if key not in part:
                continue
            value = part[key]
            if kind != "text":
                post.warnings.append(f"{kind} ignores {key}: only text @-mentions by list")
            elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                yield Refusal("invalid", f"text.{key} is not a list of strings", f"invalid field `text.{key}`")
        if kind == "markdown_v2" and "<@" in part.get("content", ""):
            post.warnings.append("markdown_v2 does not support the <@userid> syntax")

    def limit(self, robot: Robot, now: float) -> Refusal | None:
        if self.sent_within(robot, now, 60) >= PER_MINUTE:
            return Refusal("rate", f"more than {PER_MINUTE} messages in 60 s")
        return None
