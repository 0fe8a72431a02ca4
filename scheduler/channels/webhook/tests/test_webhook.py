"""The webhook channel posts a delivery its fake receiver takes: signed over the exact bytes sent,
timestamped by the channel's clock, under the same delivery id on every retry; and it reads each
answer a receiver may give as the dispatcher must act on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scheduler.channels import registry
from scheduler.channels.base import Endpoint, TransportError
from scheduler.channels.robot.base import KEYWORD_LENGTH, RobotChannel
from scheduler.channels.robot.fake import ManualClock
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
from scheduler.channels.webhook.tests.fake import MAX_BODY, WebhookFake
from scheduler.channels.webhook.transport import Webhook


@pytest.fixture
def receiver() -> Iterator[WebhookFake]:
    with WebhookFake(clock=ManualClock(START)) as fake:
        yield fake


def channel(*, at: float = START) -> RobotChannel:
    return robot_channel(Webhook(), at=at)


def test_a_delivery_is_signed_json_the_receiver_accepts(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    [receipt] = send(channel(at=START + 30), message(endpoint(receiver, robot, mentions=("13800001111",))))

    [post] = receiver.accepted(robot)
    assert post.json == {"delivery": "41,42", "purpose": "due", "language": "zh",
                         "subject": "督办提醒：饮用水水质信息公开今日到期", "text": TEXT, "occurrences": [7, 9],
                         "mentions": ["13800001111"]}
    assert post.headers["x-duban-delivery"] == "41,42"
    assert post.headers["x-duban-timestamp"] == str(int(START + 30))
    assert post.headers["x-duban-signature"].startswith("sha256=") and post.problems == []
    assert receipt.provider_id == "webhook:200"


def test_every_retry_of_a_delivery_carries_its_id(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()
    receiver.fail_next(robot, "http500")
    digest = message(endpoint(receiver, robot), purpose="digest")

    assert outcome(refusal(channel(), digest)) == "temporary"
    send(channel(at=START + 60), digest)

    assert receiver.duplicates() == {"41,42": 2} and len(receiver.accepted(robot)) == 1
    assert receiver.accepted(robot)[0].json["purpose"] == "digest"


def test_a_timestamp_far_from_the_receivers_clock_disables_the_webhook(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    error = refusal(channel(at=START + 3600), message(endpoint(receiver, robot)))

    assert outcome(error) == "gone" and "401" in str(error)


def test_a_wrong_secret_disables_the_webhook(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    error = refusal(channel(), message(endpoint(receiver, robot, secret="not-the-secret")))

    assert outcome(error) == "gone" and receiver.rejected[0].problems == ["X-Duban-Signature does not match"]


def test_a_webhook_without_a_secret_sends_nothing_and_is_disabled(receiver: WebhookFake) -> None:
    unsigned = Endpoint(SEALER.seal(receiver.url(receiver.add_robot())))

    error = refusal(channel(), message(unsigned))

    assert outcome(error) == "gone" and receiver.posts == []
    assert error.text.say("en") == "this webhook has no signing secret: add it again with one"


def test_the_keyword_is_added_when_the_text_lacks_it(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    send(channel(), message(endpoint(receiver, robot, keyword="市政府督查室")))

    assert receiver.accepted(robot)[0].json["text"] == TEXT + "\n\n市政府督查室"


def test_a_text_as_long_as_the_layout_allows_stays_under_64_kib(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()
    longest = registry.spec("webhook").message_layout.max_bytes
    text = ("督办事项第一条\n" * 5000).encode()[:longest].decode(errors="ignore")

    send(channel(), message(endpoint(receiver, robot, keyword="督" * KEYWORD_LENGTH), text=text, subject="督" * 200))

    assert len(receiver.accepted(robot)[0].body) <= MAX_BODY


def test_each_answer_of_the_receiver_is_read_as_what_it_means(receiver: WebhookFake) -> None:
    expected = {"unknown": "gone", "gone": "gone", "unsigned": "gone", "too_large": "invalid",
                "media_type": "invalid", "invalid": "invalid", "method": "invalid", "rate": "throttled",
                "http500": "temporary"}

    assert set(expected) == set(WebhookFake.ERRORS) - {"ok"}
    assert outcomes(receiver, channel, expected) == expected


def test_a_429_waits_as_long_as_its_retry_after_says(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()
    receiver.fail_next(robot, "rate")

    error = refusal(channel(), message(endpoint(receiver, robot)))

    assert error.throttled and error.retry_after == 5


@pytest.mark.parametrize(("status", "meaning"), [(403, "gone"), (301, "gone"), (308, "gone"), (408, "temporary"),
                                                 (422, "invalid"), (409, "invalid")])
def test_answers_the_fake_does_not_give_are_read_too(status: int, meaning: str) -> None:
    with pytest.raises(TransportError) as caught:
        Webhook().read(status, {"ok": False, "error": "no"}, "")

    assert outcome(caught.value) == meaning


def test_any_2xx_is_done_and_the_webhook_has_no_rate_of_its_own() -> None:
    assert Webhook().read(204, None, "").provider_id == "webhook:204"
    assert registry.spec("webhook").rates == ()
