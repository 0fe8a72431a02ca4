"""The Feishu channel posts a signed message card its fake robot takes, @s by open_id or email
(never by mobile: binding refuses those), stays under Feishu's 20 KB, and reads each Feishu
error as the dispatcher must act on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scheduler.channels import registry
from scheduler.channels.base import Endpoint, Rate, TransportError
from scheduler.channels.feishu.tests.fake import MAX_BODY, PER_MINUTE, PER_SECOND, FeishuFake
from scheduler.channels.feishu.transport import Feishu
from scheduler.channels.robot.base import KEYWORD_LENGTH, MAX_MENTIONS, RobotChannel
from scheduler.channels.robot.binding import RobotIn
from scheduler.channels.robot.fake import ManualClock, Post
from scheduler.channels.robot.tests.world import (
    SEALER,
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
from scheduler.i18n import Problem

SECRET = "qT8pXg2K1vZc4N7bLm0sWd"
OPEN_ID, EMAIL = "ou_7d8a6e6df7621556ce0d21922b676706", "wang.li@hbj.example.gov.cn"


@pytest.fixture
def feishu() -> Iterator[FeishuFake]:
    with FeishuFake(clock=ManualClock(START)) as fake:
        yield fake


def channel(*, at: float = START) -> RobotChannel:
    return robot_channel(Feishu(), at=at)


def content(post: Post) -> str:
    return post.json["card"]["elements"][0]["text"]["content"]


def test_a_message_is_a_card_headed_by_its_subject_with_the_text_in_lark_md(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    [receipt] = send(channel(), message(endpoint(feishu, robot)))

    [post] = feishu.accepted(robot)
    assert post.json == {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": "督办提醒：饮用水水质信息公开今日到期"},
                   "template": "orange"},
        "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": TEXT}}]}}
    assert post.warnings == [] and receipt.provider_id == "feishu:success"


@pytest.mark.parametrize(("purpose", "colour"), [("overdue", "red"), ("escalation", "red"), ("due", "orange"),
                                                 ("upcoming", "blue"), ("digest", "blue")])
def test_the_header_is_coloured_by_why_the_message_is_sent(feishu: FeishuFake, purpose: str, colour: str) -> None:
    robot = feishu.add_robot()

    send(channel(), message(endpoint(feishu, robot), purpose=purpose))

    assert feishu.accepted(robot)[0].json["card"]["header"]["template"] == colour


def test_a_signed_post_carries_the_channels_clock_and_is_accepted(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(secret=SECRET)

    send(channel(at=START + 600), message(endpoint(feishu, robot)))

    [post] = feishu.accepted(robot)
    assert post.json["timestamp"] == str(int(START + 600)) and post.problems == []


def test_a_signature_an_hour_from_feishus_clock_disables_the_robot(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(secret=SECRET)

    error = refusal(channel(at=START + 3700), message(endpoint(feishu, robot)))

    assert outcome(error) == "gone" and "19021" in str(error)


def test_a_wrong_secret_disables_the_robot(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(secret=SECRET)

    error = refusal(channel(), message(endpoint(feishu, robot, secret="not-the-secret")))

    assert outcome(error) == "gone" and feishu.rejected[0].problems == ["sign does not match"]


def test_the_keyword_is_added_when_the_text_lacks_it(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(keyword="市政府督查室")

    send(channel(), message(endpoint(feishu, robot, keyword="市政府督查室")))

    assert content(feishu.accepted(robot)[0]) == TEXT + "\n\n市政府督查室"


def test_without_its_keyword_the_robot_is_disabled(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(keyword="市政府督查室")

    error = refusal(channel(), message(endpoint(feishu, robot)))

    assert outcome(error) == "gone" and "19024" in str(error)


def test_mentions_are_at_tags_by_open_id_and_email(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    send(channel(), message(endpoint(feishu, robot, mentions=(OPEN_ID, EMAIL))))

    [post] = feishu.accepted(robot)
    assert content(post) == f"{TEXT}\n\n<at id={OPEN_ID}></at> <at email={EMAIL}></at>"
    assert post.warnings == []


def test_a_mobile_stored_before_feishu_refused_them_is_left_out(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    send(channel(), message(endpoint(feishu, robot, mentions=("13800001111",))))

    [post] = feishu.accepted(robot)
    assert content(post) == TEXT and post.warnings == []


def test_no_title_can_make_an_at_tag_of_its_own(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    send(channel(), message(endpoint(feishu, robot), text="**<at id=all></at> 请报送**"))

    assert content(feishu.accepted(robot)[0]) == "**&#60;at id=all&#62;&#60;/at&#62; 请报送**"


def test_a_text_as_long_as_the_layout_allows_stays_under_20_kb(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(secret=SECRET, keyword="督" * KEYWORD_LENGTH)
    longest = registry.spec("feishu").message_layout.max_bytes
    text = ("督办事项第一条\n" * 2000).encode()[:longest].decode(errors="ignore")  # a newline every 22 bytes
    mentions = [f"department.contact.{n:02d}@environment-bureau.example.gov.cn" for n in range(MAX_MENTIONS)]

    send(channel(), message(endpoint(feishu, robot, mentions=mentions, keyword="督" * KEYWORD_LENGTH),
                            text=text, subject="督" * 200))

    [post] = feishu.accepted(robot)
    assert 16 * 1024 < len(post.body) <= MAX_BODY  # most of it used, with room for JSON escapes


def test_each_feishu_error_is_read_as_what_it_means(feishu: FeishuFake) -> None:
    expected = {"removed": "gone", "sign": "gone", "ip": "gone", "keyword": "gone", "not_found": "gone",
                "msg_type": "invalid", "bad_request": "invalid", "rate": "throttled", "http500": "temporary"}

    assert set(expected) == set(FeishuFake.ERRORS) - {"ok"}
    assert outcomes(feishu, channel, expected) == expected


def test_an_unknown_token_and_a_url_without_one_are_gone(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()
    feishu.remove_robot(robot)
    tokenless = Endpoint(SEALER.seal(f"{feishu.base}/open-apis/bot/v2/hook/"))

    assert outcome(refusal(channel(), message(endpoint(feishu, robot)))) == "gone"
    assert outcome(refusal(channel(), message(tokenless))) == "gone"
    assert [p.error for p in feishu.posts] == ["removed", "not_found"]


def test_feishu_throttles_a_robot_for_a_minute_at_most() -> None:
    spec = registry.spec("feishu")

    assert spec.rates == (Rate(PER_SECOND, 1), Rate(PER_MINUTE, 60))
    with pytest.raises(TransportError) as caught:
        Feishu().read(200, {"code": 11232, "msg": "frequency limited"}, "")
    assert caught.value.throttled and caught.value.retry_after == 60


def test_binding_a_feishu_robot_takes_open_ids_and_emails_and_refuses_mobiles() -> None:
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/0b6c2c8a-1d2e-4f3a-9b8c-7d6e5f4a3b2c"

    assert RobotIn("feishu", url, mentions=(OPEN_ID, f" {EMAIL} ")).checked().mentions == (OPEN_ID, EMAIL)
    with pytest.raises(Problem) as mobile:
        RobotIn("feishu", url, mentions=(OPEN_ID, "138 0000 1111")).checked()
    assert mobile.value.text.say("en").startswith("A Feishu robot cannot @-mention by mobile number (13800001111)")
    assert "飞书机器人不能按手机号 @ 人" in mobile.value.text.say("zh")
    with pytest.raises(Problem, match="open_id"):
        RobotIn("feishu", url, mentions=("wang li",)).checked()


def test_other_robots_still_mention_by_mobile_only() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"

    assert RobotIn("dingtalk", url, mentions=("13800001111",)).checked().mentions == ("13800001111",)
    with pytest.raises(Problem, match="mobile"):
        RobotIn("dingtalk", url, mentions=(OPEN_ID,)).checked()
