"""The DingTalk channel posts a 加签-signed markdown message its fake robot takes, @s by mobile as
DingTalk shows it, stays under its 20,000 bytes, and reads each DingTalk error as the dispatcher
must act on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scheduler.channels import registry
from scheduler.channels.dingtalk.tests.fake import MAX_TEXT_BYTES, DingTalkFake
from scheduler.channels.dingtalk.transport import DingTalk
from scheduler.channels.robot.base import KEYWORD_LENGTH, MAX_MENTIONS, RobotChannel
from scheduler.channels.robot.fake import ManualClock
from scheduler.channels.robot.tests.world import (
    START,
    TEXT,
    endpoint,
    message,
    outcome,
    outcomes,
    refusal,
    send,
)
from scheduler.channels.robot.tests.world import channel as robot_channel

SECRET = "SEC" + "3c" * 32
MOBILES = ("13800001111", "13900002222")


@pytest.fixture
def dingtalk() -> Iterator[DingTalkFake]:
    with DingTalkFake(clock=ManualClock(START)) as fake:
        yield fake


def channel(*, at: float = START) -> RobotChannel:
    return robot_channel(DingTalk(), at=at)


def test_a_signed_markdown_message_is_accepted(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(secret=SECRET)

    [receipt] = send(channel(at=START + 600), message(endpoint(dingtalk, robot)))

    [post] = dingtalk.accepted(robot)
    assert post.json == {"msgtype": "markdown", "markdown": {"title": "督办提醒：饮用水水质信息公开今日到期", "text": TEXT},
                         "at": {"atMobiles": [], "isAtAll": False}}
    assert post.query["timestamp"] == [str(int((START + 600) * 1000))]
    assert post.problems == [] and post.warnings == [] and receipt.provider_id == "dingtalk:ok"


def test_a_signature_an_hour_from_dingtalks_clock_disables_the_robot(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(secret=SECRET)

    error = refusal(channel(at=START - 3700), message(endpoint(dingtalk, robot)))

    assert outcome(error) == "gone" and "invalid timestamp" in str(error)


def test_a_wrong_secret_disables_the_robot(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(secret=SECRET)

    error = refusal(channel(), message(endpoint(dingtalk, robot, secret="SECnot-the-secret")))

    assert outcome(error) == "gone" and "sign not match" in str(error)


def test_the_keyword_is_added_when_the_text_lacks_it(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(keyword="市政府督查室")

    send(channel(), message(endpoint(dingtalk, robot, keyword="市政府督查室")))

    assert dingtalk.accepted(robot)[0].json["markdown"]["text"] == TEXT + "\n\n市政府督查室"


def test_without_its_keyword_the_robot_is_disabled(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(keyword="市政府督查室")

    error = refusal(channel(), message(endpoint(dingtalk, robot)))

    assert outcome(error) == "gone" and "keywords not in content" in str(error)


def test_mentions_are_at_mobiles_named_in_the_text_too(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()

    send(channel(), message(endpoint(dingtalk, robot, mentions=MOBILES)))

    [post] = dingtalk.accepted(robot)
    assert post.json["at"] == {"atMobiles": list(MOBILES), "isAtAll": False}
    assert post.json["markdown"]["text"] == TEXT + "\n\n@13800001111 @13900002222" and post.warnings == []


def test_a_text_as_long_as_the_layout_allows_fits_with_keyword_and_mentions(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(keyword="督" * KEYWORD_LENGTH)
    longest = registry.spec("dingtalk").message_layout.max_bytes
    text = ("督办事项第一条\n" * 2000).encode()[:longest].decode(errors="ignore")
    mentions = [f"+86138{n:08d}" for n in range(MAX_MENTIONS)]

    send(channel(), message(endpoint(dingtalk, robot, mentions=mentions, keyword="督" * KEYWORD_LENGTH), text=text))

    [post] = dingtalk.accepted(robot)
    assert len(post.json["markdown"]["text"].encode()) <= MAX_TEXT_BYTES


def test_each_dingtalk_error_is_read_as_what_it_means(dingtalk: DingTalkFake) -> None:
    gone = ["sign", "timestamp", "keyword", "ip", "removed", "token", "access_token", "disabled", "dissolved",
            "no_robot"]
    invalid = ["missing_token", "json", "missing", "content_type", "method", "msgtype", "too_long", "unsafe_link",
               "unsafe_text", "unsafe_content"]
    expected = {name: "gone" for name in gone} | {name: "invalid" for name in invalid} | {
        "rate": "throttled", "too_fast": "throttled", "busy": "temporary", "http500": "temporary"}

    assert set(expected) == set(DingTalkFake.ERRORS) - {"ok"}
    assert outcomes(dingtalk, channel, expected) == expected


def test_dingtalk_throttles_a_robot_for_ten_minutes(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()
    send(channel(), *[message(endpoint(dingtalk, robot)) for _ in range(20)])

    error = refusal(channel(), message(endpoint(dingtalk, robot)))

    assert error.throttled and error.retry_after == 600 and dingtalk.posts[-1].error == "rate"


def test_a_removed_robot_is_gone(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()
    dingtalk.remove_robot(robot)

    error = refusal(channel(), message(endpoint(dingtalk, robot)))

    assert outcome(error) == "gone" and "300005" in str(error)
