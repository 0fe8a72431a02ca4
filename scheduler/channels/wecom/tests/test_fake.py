"""The fake WeCom robot answers as WeCom documents: HTTP 200 with errcode/errmsg."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from scheduler.channels.robot.fake import ManualClock
from scheduler.channels.wecom.tests.fake import WeComFake

http = httpx.Client()  # one client for the module: a new one per post costs 20 ms


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def wecom(clock: ManualClock) -> Iterator[WeComFake]:
    with WeComFake(clock=clock) as fake:
        yield fake


def markdown(content: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def test_a_markdown_post_is_accepted_and_recorded(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    answer = http.post(wecom.url(robot), json=markdown("## 督办提醒\n请于**本周五**前报送"))

    assert (answer.status_code, answer.json()) == (200, {"errcode": 0, "errmsg": "ok"})
    [post] = wecom.accepted(robot)
    assert post.json == markdown("## 督办提醒\n请于**本周五**前报送")
    assert post.query == {"key": [robot.token]} and post.problems == [] and wecom.rejected == []


def test_the_url_carries_the_key_as_wecom_gives_it(wecom: WeComFake) -> None:
    robot = wecom.add_robot("693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")

    assert wecom.url(robot) == f"{wecom.base}/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def test_an_unknown_key_is_refused_with_93000(wecom: WeComFake) -> None:
    robot = wecom.add_robot()
    wecom.remove_robot(robot)

    answer = http.post(wecom.url(robot), json=markdown("督办"))

    assert answer.status_code == 200 and answer.json()["errcode"] == 93000
    assert answer.json()["errmsg"].startswith("invalid webhook url")


def test_markdown_over_4096_bytes_is_refused_with_40058(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    answer = http.post(wecom.url(robot), json=markdown("督" * 1366))  # 4098 bytes in UTF-8

    assert answer.json()["errcode"] == 40058
    assert "markdown.content exceed max length 4096" in answer.json()["errmsg"]
    assert wecom.rejected[0].problems == ["markdown.content is 4098 bytes, over 4096"]
    assert http.post(wecom.url(robot), json=markdown("督" * 1365)).json()["errcode"] == 0


def test_a_wrong_shape_is_refused(wecom: WeComFake) -> None:
    robot = wecom.add_robot()

    unknown_type = http.post(wecom.url(robot), json={"msgtype": "card", "card": {}}).json()
    no_content = http.post(wecom.url(robot), json={"msgtype": "markdown", "markdown": {}}).json()
    empty = http.post(wecom.url(robot), json=markdown("  ")).json()

    assert [unknown_type["errcode"], no_content["errcode"], empty["errcode"]] == [40008, 40058, 44004]
    assert wecom.accepted() == [] and len(wecom.rejected) == 3


def test_mentions_by_mobile_are_taken_in_text_and_ignored_in_markdown(wecom: WeComFake) -> None:
    robot = wecom.add_robot()
    text = {"msgtype": "text", "text": {"content": "请报送", "mentioned_mobile_list": ["13800001111"]}}
    md = {"msgtype": "markdown", "markdown": {"content": "请报送", "mentioned_mobile_list": ["13800001111"]}}

    assert http.post(wecom.url(robot), json=text).json()["errcode"] == 0
    assert http.post(wecom.url(robot), json=md).json()["errcode"] == 0

    first, second = wecom.accepted(robot)
    assert first.warnings == []
    assert second.warnings == ["markdown ignores mentioned_mobile_list: only text @-mentions by list"]


def test_the_21st_post_within_a_minute_is_refused_with_45009(wecom: WeComFake, clock: ManualClock) -> None:
    robot = wecom.add_robot()
    for _ in range(20):
        assert http.post(wecom.url(robot), json=markdown("督办")).json()["errcode"] == 0
        clock.advance(2)

    assert http.post(wecom.url(robot), json=markdown("督办")).json()["errcode"] == 45009

    clock.advance(21)  # the first post is now more than a minute old
    assert http.post(wecom.url(robot), json=markdown("督办")).json()["errcode"] == 0
    assert len(wecom.accepted(robot)) == 21


def test_fail_next_answers_wecoms_own_errors_then_lets_posts_through(wecom: WeComFake) -> None:
    robot = wecom.add_robot()
    wecom.fail_next(robot, "busy")
    wecom.fail_next(robot, 45009)
    wecom.fail_next(robot, "http500")

    answers = [http.post(wecom.url(robot), json=markdown("督办")) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 500, 200]
    assert [a.json()["errcode"] for a in answers if a.status_code == 200] == [-1, 45009, 0]
    assert [p.injected for p in wecom.posts] == ["busy", "rate", "http500", None]


def test_a_wecom_robot_has_no_secret_keyword_or_ip_list(wecom: WeComFake) -> None:
    with pytest.raises(ValueError):
        wecom.add_robot(secret="SEC123")
    with pytest.raises(ValueError):
        wecom.add_robot(keyword="督办")
