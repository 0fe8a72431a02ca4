"""What the robot kinds' tests share: a robot channel under a deployment's secret key, a message
to a robot of a fake platform (its URL and secret sealed as `duban robots add` seals them), sent
in an event loop of its own, and what a refusal means for the dispatcher in one word."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import pytest

from scheduler.access.links import signing_secret
from scheduler.access.sealing import Sealer
from scheduler.channels.base import Endpoint, Message, Receipt, Recipient, TransportError
from scheduler.channels.robot.base import Kind, RobotChannel
from scheduler.channels.robot.fake import FakeRobotPlatform, Robot
from scheduler.settings import Settings

SETTINGS = Settings(secret_key="x" * 40)
SEALER = Sealer(signing_secret(SETTINGS))
START = 1_750_000_000.0  # the platforms' clock: far from the real one, so a signature made with
# the real clock instead of the channel's is refused
TEXT = ("您好，市环保局：\n\n**饮用水水质信息公开**\n- 截止：2016年9月30日\n"
        "[已完成](https://duban.example/a/done) | [推迟](https://duban.example/a/snooze)\n\n"
        "[督办系统](https://duban.example)")


def channel(kind: Kind, *, at: float = START) -> RobotChannel:
    """The kind as the registry builds it, signing with a clock that stands at `at`."""
    return RobotChannel(kind, SETTINGS, clock=lambda: at)


def endpoint(fake: FakeRobotPlatform, robot: Robot, *, mentions: Iterable[str] = (), keyword: str | None = None,
             secret: str | None = None) -> Endpoint:
    """The robot's endpoint as stored: its URL and secret (the robot's own unless given) sealed."""
    secret = secret or robot.secret
    return Endpoint(SEALER.seal(fake.url(robot)), SEALER.seal(secret) if secret else None, tuple(mentions), keyword)


def message(to: Endpoint | None, *, text: str = TEXT, subject: str = "督办提醒：饮用水水质信息公开今日到期",
            purpose: str = "due", delivery: str = "41,42", language: str = "zh") -> Message:
    return Message(Recipient("市环保局 企业微信群机器人", "1", to), subject, text,
                   headers={"X-Duban-Delivery": delivery}, buttons=((7, False), (9, True)),
                   language=language, purpose=purpose)


def send(channel: RobotChannel, *messages: Message) -> list[Receipt]:
    """Send each message in turn, in one event loop, as the dispatcher does; the channel closed after."""
    async def run() -> list[Receipt]:
        try:
            return [await channel.send(m) for m in messages]
        finally:
            await channel.close()

    return asyncio.run(run())


def refusal(channel: RobotChannel, message: Message) -> TransportError:
    with pytest.raises(TransportError) as caught:
        send(channel, message)
    return caught.value


def outcome(error: TransportError) -> str:
    """What the dispatcher makes of it: `gone` (the robot is disabled until fixed), `invalid` (this
    message is given up, the robot stays), `throttled` (every message to it waits), `temporary`."""
    if error.disable:
        return "gone"
    if error.permanent:
        return "invalid"
    return "throttled" if error.throttled else "temporary"


def outcomes(fake: FakeRobotPlatform, build: Callable[[], RobotChannel], names: Iterable[str]) -> dict[str, str]:
    """Each of the fake's errors by name, answered to one post, as the channel reads it."""
    found = {}
    for name in names:
        robot = fake.add_robot()
        fake.fail_next(robot, name)
        found[name] = outcome(refusal(build(), message(endpoint(fake, robot))))
    return found
