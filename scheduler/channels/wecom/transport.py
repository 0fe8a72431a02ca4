"""WeCom (企业微信) group robot ("消息推送", formerly 群机器人): markdown messages, @ by mobile in a
second text post, and its errors.

Documented at developer.work.weixin.qq.com/document/path/99110: POST JSON to
https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY; the key is the only secret (no signing,
no keyword, no IP allow-list). markdown.content holds at most 4096 bytes of UTF-8. A markdown
message cannot @ anyone by mobile (only `text.mentioned_mobile_list` does), so a robot with
mentions posts the message, then a short text naming its subject that @s them: two posts, two of
the robot's 20 a minute. Errors come as {"errcode", "errmsg"} with HTTP 200.
"""

from __future__ import annotations

import logging
from typing import Any

from scheduler.channels.base import Message, Receipt, Recipient, TransportError
from scheduler.channels.robot.base import Codes, Post, Request, RobotChannel, among
from scheduler.i18n import N_, Text

log = logging.getLogger(__name__)

NAME = "wecom"
MAX_BYTES = 4096  # markdown.content, UTF-8
SUBJECT_LENGTH = 200  # characters of the subject in the @-mention post (text.content <= 2048 bytes)
THROTTLE_SECONDS = 60.0  # 20 a minute: a minute is the longest the robot can be refused
GONE = {93000}  # invalid webhook url: the robot was removed or the key is wrong
THROTTLED = {45009}  # api freq out of limit
BUSY = {-1}  # system busy


CODES = Codes(NAME, ("errcode",), "errmsg", gone=among(GONE),
              invalid=lambda code, said: isinstance(code, int) and 40000 <= code < 50000,  # the message, not the robot
              throttled=frozenset(THROTTLED), throttle_seconds=THROTTLE_SECONDS)


class WeCom:
    name = NAME

    def request(self, post: Post) -> Request:
        return Request(post.url, {"msgtype": "markdown", "markdown": {"content": post.text}})

    def mention(self, post: Post) -> Request:
        """The text post that @s the robot's mentions, naming the message it follows."""
        content = Text(N_("Please read the reminder above: {subject}"),
                       {"subject": post.message.subject[:SUBJECT_LENGTH]}).say(post.message.language)
        return Request(post.url, {"msgtype": "text", "text": {
            "content": content, "mentioned_mobile_list": list(post.mentions)}})

    def read(self, status: int, reply: dict[str, Any] | None, text: str) -> Receipt:
        return CODES.read(status, reply, text)


def slots(recipient: Recipient) -> int:
    """A robot with mentions takes two posts of its rate per message."""
    return 2 if recipient.endpoint is not None and recipient.endpoint.mentions else 1


class WeComChannel(RobotChannel):
    """The robot channel, posting the @-mentions after the message."""

    kind: WeCom

    def __init__(self, settings: Any, **options: Any):
        super().__init__(WeCom(), settings, **options)

    async def send(self, message: Message) -> Receipt:
        post = self._post(message)
        receipt = await self._deliver(self.kind.request(post))
        if post.mentions:
            try:
                await self._deliver(self.kind.mention(post))
            except TransportError as exc:  # the message went: a missing @ is not worth sending it twice
                log.warning("wecom robot %s: the message went, its @-mentions did not: %s",
                            message.recipient.address, exc)
        return receipt
