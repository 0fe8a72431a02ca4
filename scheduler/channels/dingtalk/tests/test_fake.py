"""The fake DingTalk robot checks 加签, keywords, the IP list, the message shape and the rate as
DingTalk documents, and answers HTTP 200 with errcode/errmsg."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from urllib.parse import quote_plus

import httpx
import pytest

from scheduler.channels.dingtalk.tests.fake import DingTalkFake
from scheduler.channels.robot.fake import ManualClock, Robot

SECRET = "SEC" + "0f" * 32


http = httpx.Client()  # one client for the module: a new one per post costs 20 ms


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_750_000_000.0)


@pytest.fixture
def dingtalk(clock: ManualClock) -> Iterator[DingTalkFake]:
    with DingTalkFake(clock=clock) as fake:
        yield fake


def signature(timestamp_ms: int, secret: str) -> str:
    """The documented 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), not yet url-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed(url: str, timestamp_ms: int, secret: str = SECRET) -> str:
    return f"{url}&timestamp={timestamp_ms}&sign={quote_plus(signature(timestamp_ms, secret))}"


def markdown(text: str, title: str = "督办提醒", mobiles: tuple[str, ...] = ()) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
            "at": {"atMobiles": list(mobiles), "isAtAll": False}}


def post(fake: DingTalkFake, robot: Robot, body: dict, *, at: float | None = None) -> dict:
    url = signed(fake.url(robot), int((at or fake.clock()) * 1000)) if robot.secret else fake.url(robot)
    answer = http.post(url, json=body)
    assert answer.status_code == 200  # DingTalk answers every refusal with HTTP 200
    return answer.json()


def test_a_signed_markdown_post_with_the_keyword_is_accepted(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(secret=SECRET, keyword="督办")

    answer = post(dingtalk, robot, markdown("#### 督办\n@13800001111 请报送", mobiles=("13800001111",)))

    assert answer == {"errcode": 0, "errmsg": "ok"}
    [arrived] = dingtalk.accepted(robot)
    assert arrived.query["access_token"] == [robot.token] and arrived.warnings == []


def test_a_bad_signature_is_refused_with_310000_sign_not_match(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(secret=SECRET)
    stamp = int(dingtalk.clock() * 1000)

    answer = http.post(signed(dingtalk.url(robot), stamp, secret="SECwrong"), json=markdown("督办")).json()

    assert answer == {"errcode": 310000, "errmsg": "sign not match"}
    assert dingtalk.rejected[0].problems == ["sign does not match"]


def test_a_sign_not_url_encoded_loses_its_plus_signs(dingtalk: DingTalkFake, clock: ManualClock) -> None:
    robot = dingtalk.add_robot(secret=SECRET)
    stamp = next(t for t in range(int(clock() * 1000), int(clock() * 1000) + 1000) if "+" in signature(t, SECRET))

    raw = f"{dingtalk.url(robot)}&timestamp={stamp}&sign={signature(stamp, SECRET)}"
    answer = http.post(raw, json=markdown("督办")).json()

    assert answer["errcode"] == 310000
    assert "the base64 was not url-encoded" in dingtalk.rejected[0].problems[0]


def test_a_timestamp_over_an_hour_old_is_refused_as_invalid(dingtalk: DingTalkFake, clock: ManualClock) -> None:
    robot = dingtalk.add_robot(secret=SECRET)

    answer = post(dingtalk, robot, markdown("督办"), at=clock() - 3601)

    assert answer == {"errcode": 310000, "errmsg": "invalid timestamp"}
    assert post(dingtalk, robot, markdown("督办"), at=clock() - 3599)["errcode"] == 0


def test_a_message_without_the_keyword_is_refused(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(keyword=("督办", "提醒"))

    assert post(dingtalk, robot, markdown("请报送", title="通知")) == {
        "errcode": 310000, "errmsg": "keywords not in content"}
    assert post(dingtalk, robot, markdown("请报送", title="督办通知"))["errcode"] == 0


def test_an_address_off_the_allow_list_is_refused(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot(allow_ip=False)

    assert post(dingtalk, robot, markdown("督办")) == {"errcode": 310000, "errmsg": "ip 127.0.0.1 not in whitelist"}


def test_an_oversized_text_is_refused_with_460101(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()

    assert post(dingtalk, robot, markdown("督" * 6667))["errcode"] == 460101  # 20001 bytes
    assert post(dingtalk, robot, markdown("督" * 6666))["errcode"] == 0


def test_a_wrong_shape_is_refused(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()

    no_title = post(dingtalk, robot, {"msgtype": "markdown", "markdown": {"text": "督办"}})
    unknown = post(dingtalk, robot, {"msgtype": "card", "card": {}})
    not_json = http.post(dingtalk.url(robot), content=b"{", headers={"Content-Type": "application/json"}).json()

    assert [no_title["errcode"], unknown["errcode"], not_json["errcode"]] == [40035, 400105, 40035]
    assert not_json["errmsg"] == "缺少参数 json"


def test_an_action_card_needs_its_buttons(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()
    card = {"msgtype": "actionCard", "actionCard": {"title": "督办", "text": "请报送"}}

    assert post(dingtalk, robot, card)["errcode"] == 40035
    card["actionCard"] |= {"btns": [{"title": "已完成", "actionURL": "https://duban.example/a/1"}]}
    assert post(dingtalk, robot, card)["errcode"] == 0


def test_more_than_20_a_minute_throttles_the_robot_for_10_minutes(dingtalk: DingTalkFake, clock: ManualClock) -> None:
    robot = dingtalk.add_robot()
    for _ in range(20):
        assert post(dingtalk, robot, markdown("督办"))["errcode"] == 0
        clock.advance(1)

    assert post(dingtalk, robot, markdown("督办")) == {"errcode": 410100, "errmsg": "发送速度太快而限流"}
    clock.advance(120)  # the minute has passed, the throttle has not
    assert post(dingtalk, robot, markdown("督办"))["errcode"] == 410100
    clock.advance(481)
    assert post(dingtalk, robot, markdown("督办"))["errcode"] == 0


def test_an_unknown_or_missing_token_is_refused(dingtalk: DingTalkFake) -> None:
    unknown = http.post(f"{dingtalk.base}/robot/send?access_token=nope", json=markdown("督办")).json()
    missing = http.post(f"{dingtalk.base}/robot/send", json=markdown("督办")).json()

    assert unknown == {"errcode": 300005, "errmsg": "token is not exist"}
    assert missing == {"errcode": 40035, "errmsg": "缺少参数 access_token"}


def test_fail_next_answers_dingtalks_own_errors(dingtalk: DingTalkFake) -> None:
    robot = dingtalk.add_robot()
    dingtalk.fail_next(robot, "disabled")
    dingtalk.fail_next(robot, -1)

    assert post(dingtalk, robot, markdown("督办")) == {"errcode": 400102, "errmsg": "机器人已停用"}
    assert post(dingtalk, robot, markdown("督办")) == {"errcode": -1, "errmsg": "系统繁忙"}
    assert post(dingtalk, robot, markdown("督办"))["errcode"] == 0
