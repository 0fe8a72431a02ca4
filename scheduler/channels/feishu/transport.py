"""Feishu (飞书) custom robot (自定义机器人): a message card, 签名校验 signing, @ by open_id or
email, and its errors.

Documented at open.feishu.cn ("自定义机器人使用指南"): POST JSON to
https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN, at most 20 KB. The message is an
`interactive` card: a header with the subject, coloured by why it is sent, and one `div` of
`lark_md` text (markdown links and **bold**). With 签名校验 the body also carries "timestamp"
(unix seconds, a string) and "sign" = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")),
refused when an hour away from Feishu's clock. A custom robot cannot @ anyone by mobile number:
only by open_id (`<at id=ou_…></at>`) or email (`<at email=…></at>`), so the robot's mentions
are those (scheduler/channels/robot/binding.py refuses mobiles for Feishu). Errors come as
{"code", "msg"} with HTTP 200 (or 400). A robot may post 5 messages a second and 100 a minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from scheduler.channels.base import Receipt
from scheduler.channels.robot.base import (
    MAX_MENTIONS,
    Codes,
    Post,
    Request,
    among,
    reserve,
)

NAME = "feishu"
MAX_BODY = 20 * 1024  # the whole request body
# The lark_md text, with the keyword and at-tags: the rest of MAX_BODY is for the card around it,
# the subject, the signature and JSON's escapes (a newline takes two bytes).
TEXT_BYTES = 16 * 1024
AT_TAG_BYTES = 80  # <at email=…></at>, more than reserve() counts for a mobile
MAX_BYTES = TEXT_BYTES - reserve() - MAX_MENTIONS * AT_TAG_BYTES  # the rendered text
SUBJECT_LENGTH = 100
THROTTLE_SECONDS = 60.0
OPEN_ID = re.compile(r"ou_[0-9A-Za-z_-]+")
EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")
# code -> what it means for the robot. A wrong signature, an address off the IP allow-list, a
# missing keyword and an unknown token (19001 "incoming webhook access token invalid") say the
# robot as configured will never post; the other 19001 and 9499 say the post itself is wrong.
GONE = {19021, 19022, 19024, 99991201}
INVALID = {19001, 19002, 9499}
THROTTLED = {11232}
COLOURS = {"overdue": "red", "escalation": "red", "due": "orange", "help": "yellow", "weekly": "green",
           "notice": "grey"}  # the card header's template; others blue


def sign(secret: str, stamp: str) -> str:
    """签名校验: the `sign` field for `stamp` (base64 of the HMAC-SHA256 of nothing, keyed by both)."""
    key = f"{stamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def at_tag(mention: str) -> str | None:
    """How lark_md @s `mention`: an open_id or an email; None for anything else (a mobile)."""
    if OPEN_ID.fullmatch(mention):
        return f"<at id={mention}></at>"
    if EMAIL.fullmatch(mention):
        return f"<at email={mention}></at>"
    return None


def lark_md(text: str) -> str:
    """`text` as lark_md: angle brackets as entities, so no title can make an at-tag of its own."""
    return text.replace("<", "&#60;").replace(">", "&#62;")


CODES = Codes(NAME, ("code", "StatusCode"), "msg",
              # 19001 is both "param invalid" and, for an unknown token, the robot gone: its msg tells
              gone=lambda code, said: code in GONE or (code == 19001 and "token" in said.lower()),
              invalid=among(INVALID), throttled=frozenset(THROTTLED), throttle_seconds=THROTTLE_SECONDS)


class Feishu:
    name = NAME

    def request(self, post: Post) -> Request:
        content = lark_md(post.text)
        if tags := [t for m in post.mentions if (t := at_tag(m))]:
            content += "\n\n" + " ".join(tags)
        card = {"config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": post.message.subject[:SUBJECT_LENGTH]},
                           "template": COLOURS.get(post.message.purpose, "blue")},
                "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": content}}]}
        body: dict[str, Any] = {"msg_type": "interactive", "card": card}
        if post.secret:
            stamp = str(int(post.wall))
            body |= {"timestamp": stamp, "sign": sign(post.secret, stamp)}
        return Request(post.url, body)

    def read(self, status: int, reply: dict[str, Any] | None, text: str) -> Receipt:
        return CODES.read(status, reply, text)
