"""The fake Feishu robot checks the signature, keywords, the IP list, the card and the rate as
Feishu documents, and answers {"code", "msg", "data"}."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest

from scheduler.channels.feishu.tests.fake import FeishuFake
from scheduler.channels.robot.fake import ManualClock, Robot

SECRET = "nIMtb7r3N9pkXyXdtAbx6e"


http = httpx.Client()  # one client for the module: a new one per post costs 20 ms


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_750_000_000.0)


@pytest.fixture
def feishu(clock: ManualClock) -> Iterator[FeishuFake]:
    with FeishuFake(clock=clock) as fake:
        yield fake


def sign(timestamp: int, secret: str) -> str:
    """The documented signature: HMAC-SHA256 keyed with f"{timestamp}\\n{secret}" over nothing, base64."""
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def card(text: str, title: str = "督办提醒") -> dict:
    return {"msg_type": "interactive", "card": {
        "header": {"title": {"tag": "plain_text", "content": title}, "template": "blue"},
        "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": text}}]}}


def post(fake: FeishuFake, robot: Robot, body: dict, *, at: float | None = None, secret: str = SECRET) -> dict:
    if robot.secret:
        stamp = int(at if at is not None else fake.clock())
        body = body | {"timestamp": str(stamp), "sign": sign(stamp, secret)}
    answer = http.post(fake.url(robot), json=body)
    assert answer.status_code == 200
    return answer.json()


def test_a_signed_card_with_the_keyword_is_accepted(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(secret=SECRET, keyword="督办")

    answer = post(feishu, robot, card("**请于周五前报送** <at id=ou_123></at>"))

    assert answer["code"] == 0 and answer["msg"] == "success"
    [arrived] = feishu.accepted(robot)
    assert arrived.path == f"/open-apis/bot/v2/hook/{robot.token}" and arrived.warnings == []


def test_a_bad_signature_or_an_old_timestamp_is_refused_with_19021(feishu: FeishuFake, clock: ManualClock) -> None:
    robot = feishu.add_robot(secret=SECRET)

    wrong = post(feishu, robot, card("督办"), secret="another")
    stale = post(feishu, robot, card("督办"), at=clock() - 3601)

    assert wrong["code"] == stale["code"] == 19021
    assert wrong["msg"] == "sign match fail or timestamp is not within one hour from current time"
    assert [p.problems for p in feishu.rejected] == [
        ["sign does not match"], [f"timestamp '{int(clock()) - 3601}' is not unix seconds within an hour"]]


def test_a_message_without_the_keyword_is_refused_with_19024(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(keyword="督办")

    assert post(feishu, robot, card("请报送", title="提醒")) == {"code": 19024, "data": {}, "msg": "Key Words Not Found"}
    assert post(feishu, robot, card("请报送", title="督办提醒"))["code"] == 0  # the title counts too


def test_an_address_off_the_allow_list_is_refused_with_19022(feishu: FeishuFake) -> None:
    robot = feishu.add_robot(allow_ip=False)

    assert post(feishu, robot, card("督办"))["code"] == 19022


def test_a_body_over_20_kb_is_a_bad_request(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    assert post(feishu, robot, card("督" * 7000))["code"] == 9499  # about 21 000 bytes
    assert post(feishu, robot, card("督" * 6000))["code"] == 0


def test_a_wrong_shape_is_refused(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    as_string = post(feishu, robot, {"msg_type": "interactive", "card": json.dumps(card("督办")["card"])})
    no_elements = post(feishu, robot, {"msg_type": "interactive", "card": {"header": {}}})
    unknown = post(feishu, robot, {"msg_type": "markdown", "content": {"text": "督办"}})

    assert [as_string["code"], no_elements["code"], unknown["code"]] == [9499, 9499, 19002]


def test_an_at_by_mobile_is_taken_but_warned(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()

    assert post(feishu, robot, card("请 <at id=13800001111></at> 报送"))["code"] == 0
    assert feishu.accepted(robot)[0].warnings == [
        "a custom robot cannot @ by mobile: only <at id=open_id|user_id|all>"]


def test_more_than_5_a_second_or_100_a_minute_is_refused_with_11232(feishu: FeishuFake, clock: ManualClock) -> None:
    robot = feishu.add_robot()
    assert [post(feishu, robot, card("督办"))["code"] for _ in range(6)] == [0, 0, 0, 0, 0, 11232]

    clock.advance(1)
    for _ in range(95):  # 5 a second, 100 within the minute
        assert post(feishu, robot, card("督办"))["code"] == 0
        clock.advance(0.25)
    assert post(feishu, robot, card("督办"))["code"] == 11232
    assert len(feishu.accepted(robot)) == 100


def test_an_unknown_token_is_refused_with_19001(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()
    feishu.remove_robot(robot)

    assert post(feishu, robot, card("督办"))["code"] == 19001
    assert http.post(f"{feishu.base}/open-apis/bot/v2/hook/", json=card("督办")).status_code == 404


def test_fail_next_answers_feishus_own_errors(feishu: FeishuFake) -> None:
    robot = feishu.add_robot()
    feishu.fail_next(robot, "rate", times=2)

    assert [post(feishu, robot, card("督办"))["code"] for _ in range(3)] == [11232, 11232, 0]
