"""The WeCom channel posts a markdown message its fake robot takes, @s by mobile in a second text
post worth two of the robot's 20 posts a minute, and reads each WeCom error as the dispatcher
must act on it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel

from db import send_windows
from scheduler.channels import registry
from scheduler.channels.robot.base import KEYWORD_LENGTH
from scheduler.channels.robot.fake import ManualClock
from scheduler.channels.robot.tests.world import (
    SETTINGS,
    START,
    endpoint,
    message,
    outcome,
    outcomes,
    refusal,
    send,
)
from scheduler.channels.wecom.tests.fake import WeComFake
from scheduler.channels.wecom.transport import WeComChannel

MOBILES = ("13800001111", "13900002222")


@pytest.fixture
def wecom() -> Iterator[WeComFake]:
    with WeComFake(clock=ManualClock(START)) as fake:
        yield fake


def channel() -> WeComChannel:
    return registry.spec("wecom").build(SETTINGS)


def test_a_message_is_one_markdown_post_of_the_text(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    [receipt] = send(channel(), message(endpoint(wecom, robot)))

    [post] = wecom.accepted(robot)
    assert post.json == {"msgtype": "markdown", "markdown": {"content": message(None).text}}
    assert post.warnings == [] and receipt.provider_id == "wecom:ok"


def test_mentions_follow_in_a_text_post_naming_the_subject(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    send(channel(), message(endpoint(wecom, robot, mentions=MOBILES)))

    markdown, mention = wecom.accepted(robot)
    assert markdown.json["msgtype"] == "markdown" and "13800001111" not in markdown.text
    assert mention.json == {"msgtype": "text", "text": {
        "content": "请查看上面的提醒：督办提醒：饮用水水质信息公开今日到期", "mentioned_mobile_list": list(MOBILES)}}
    assert [p.warnings for p in wecom.posts] == [[], []]


def test_the_mention_post_is_said_in_the_robots_language(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    send(channel(), message(endpoint(wecom, robot, mentions=MOBILES), subject="Due today", language="en"))

    assert wecom.accepted(robot)[1].json["text"]["content"] == "Please read the reminder above: Due today"


def test_a_robot_with_mentions_takes_two_slots_of_its_rate_per_message(wecom: WeComFake) -> None:
    spec = registry.spec("wecom")
    plain = message(endpoint(wecom, wecom.add_robot())).recipient
    mentioning = message(endpoint(wecom, wecom.add_robot(), mentions=MOBILES)).recipient
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[SQLModel.metadata.tables["sendwindow"]])
    rates = [(r.count, r.seconds) for r in spec.rates]

    def take() -> float:
        return send_windows.take(lambda: Session(engine), "wecom:1", rates, lambda: START, slots=spec.slots(mentioning))

    assert (spec.slots(plain), spec.slots(mentioning)) == (1, 2)
    assert [take() for _ in range(10)] == [0.0] * 10  # 20 posts
    assert take() > 0


def test_when_only_the_mention_post_fails_the_message_counts_as_sent(
        wecom: WeComFake, caplog: pytest.LogCaptureFixture) -> None:
    robot = wecom.add_robot()
    send(channel(), *[message(endpoint(wecom, robot)) for _ in range(19)])  # 19 of the minute's 20

    with caplog.at_level(logging.WARNING):
        [receipt] = send(channel(), message(endpoint(wecom, robot, mentions=MOBILES)))

    assert receipt.provider_id == "wecom:ok" and len(wecom.accepted(robot)) == 20
    assert wecom.posts[-1].error == "rate"
    assert "the message went, its @-mentions did not" in caplog.text


def test_a_text_as_long_as_the_layout_allows_fits_with_the_longest_keyword(wecom: WeComFake) -> None:
    robot = wecom.add_robot()
    longest = registry.spec("wecom").message_layout.max_bytes
    text = ("督办事项第一条\n" * 1000).encode()[:longest].decode(errors="ignore")

    send(channel(), message(endpoint(wecom, robot, keyword="督" * KEYWORD_LENGTH), text=text))

    assert len(wecom.accepted(robot)) == 1


def test_a_removed_robot_is_gone(wecom: WeComFake) -> None:
    robot = wecom.add_robot()
    wecom.remove_robot(robot)

    error = refusal(channel(), message(endpoint(wecom, robot)))

    assert outcome(error) == "gone" and "93000" in str(error)


def test_a_post_wecom_finds_wrong_gives_up_that_message_not_the_robot(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    error = refusal(channel(), message(endpoint(wecom, robot), text="   "))

    assert outcome(error) == "invalid" and "44004" in str(error)


def test_each_wecom_error_is_read_as_what_it_means(wecom: WeComFake) -> None:
    expected = {"removed": "gone", "rate": "throttled", "busy": "temporary", "msgtype": "invalid",
                "empty": "invalid", "invalid": "invalid", "http500": "temporary"}

    assert set(expected) == set(WeComFake.ERRORS) - {"ok"}
    assert outcomes(wecom, channel, expected) == expected


def test_wecom_throttles_a_robot_for_the_rest_of_its_minute(wecom: WeComFake) -> None:
    robot = wecom.add_robot()
    wecom.fail_next(robot, "rate")

    error = refusal(channel(), message(endpoint(wecom, robot)))

    assert error.throttled and error.retry_after == 60
