"""DingTalk (钉钉) custom group robot: markdown messages, 加签 signing, @ by mobile, and its errors.

Documented at open.dingtalk.com ("自定义机器人发送群消息", "自定义机器人安全设置"): POST JSON to
https://oapi.dingtalk.com/robot/send?access_token=TOKEN; with 加签 the URL also carries
`timestamp` (milliseconds) and `sign` = urlencode(base64(HMAC-SHA256(key=secret,
msg=f"{timestamp}\\n{secret}"))), refused when an hour away from DingTalk's clock. Errors come
as {"errcode", "errmsg"} with HTTP 200. A robot may post 20 messages a minute; past that DingTalk
throttles it for 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus

from scheduler.channels.base import Receipt
from scheduler.channels.robot.base import Codes, Post, Request, among

NAME = "dingtalk"
MAX_BYTES = 20000  # markdown.text, UTF-8
THROTTLE_SECONDS = 600.0
# errcode -> what it means for the robot. Keyword, signature and IP allow-list refusals share
# 310000 (errmsg tells which); all say the robot as configured will never post.
GONE = {300001, 300005, 310000, 400013, 400101, 400102, 400106}  # + group dissolved, robot stopped or gone
INVALID = {40035, 43002, 43004, 400105, 430101, 430102, 430104, 460101}  # the message is wrong, not the robot
THROTTLED = {130101, 410100}


def sign(secret: str, millis: int) -> str:
    """加签: the `sign` query value for `millis` (URL-encoded base64 of the HMAC-SHA256)."""
    mac = hmac.new(secret.encode("utf-8"), f"{millis}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(mac).decode("ascii"))


CODES = Codes(NAME, ("errcode",), "errmsg", gone=among(GONE), invalid=among(INVALID),
              throttled=frozenset(THROTTLED), throttle_seconds=THROTTLE_SECONDS)


class DingTalk:
    name = NAME

    def request(self, post: Post) -> Request:
        url = post.url
        if post.secret:
            millis = int(post.wall * 1000)
            url += f"{'&' if '?' in url else '?'}timestamp={millis}&sign={sign(post.secret, millis)}"
        text = post.text
        if post.mentions:  # DingTalk shows an @ only when the text names the mobile too
            text += "\n\n" + " ".join(f"@{m}" for m in post.mentions)
        body = {"msgtype": "markdown", "markdown": {"title": post.message.subject[:60], "text": text},
                "at": {"atMobiles": list(post.mentions), "isAtAll": False}}
        return Request(url, body)

    def read(self, status: int, reply: dict[str, Any] | None, text: str) -> Receipt:
        return CODES.read(status, reply, text)
