"""The fake receiver checks Duban's webhook protocol: a signed, timestamped JSON delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest

from scheduler.channels.robot.fake import ManualClock, Robot
from scheduler.channels.webhook.tests.fake import WebhookFake

http = httpx.Client()  # one client for the module: a new one per post costs 20 ms


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_750_000_000.0)


@pytest.fixture
def receiver(clock: ManualClock) -> Iterator[WebhookFake]:
    with WebhookFake(clock=clock) as fake:
        yield fake


def delivery(delivery_id: str = "d-1", **changes: object) -> dict:
    return {"delivery": delivery_id, "purpose": "reminder", "language": "zh", "subject": "督办提醒",
            "text": "请于周五前报送", "occurrences": [17, 18]} | changes


def send(fake: WebhookFake, robot: Robot, body: dict, *, at: float | None = None, secret: str | None = None,
         delivery_id: str | None = None) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(at if at is not None else fake.clock()))
    digest = hmac.new((secret or robot.secret or "").encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return http.post(fake.url(robot), content=raw, headers={
        "Content-Type": "application/json; charset=utf-8", "X-Duban-Timestamp": stamp,
        "X-Duban-Signature": f"sha256={digest}", "X-Duban-Delivery": delivery_id or str(body.get("delivery"))})


def test_a_signed_delivery_is_accepted(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    answer = send(receiver, robot, delivery())

    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert receiver.accepted(robot)[0].json == delivery() and robot.secret


def test_a_bad_signature_or_a_stale_timestamp_is_refused_with_401(receiver: WebhookFake, clock: ManualClock) -> None:
    robot = receiver.add_robot(secret="s3cret")

    assert send(receiver, robot, delivery(), secret="other").status_code == 401
    assert send(receiver, robot, delivery(), at=clock() - 301).status_code == 401
    assert send(receiver, robot, delivery(), at=clock() + 299).status_code == 200


def test_a_body_over_64_kib_is_refused_with_413(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    assert send(receiver, robot, delivery(text="x" * 65536)).status_code == 413


def test_a_body_that_is_not_a_delivery_is_refused_with_400(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()

    assert send(receiver, robot, delivery(occurrences=["17"])).status_code == 400
    assert send(receiver, robot, delivery(), delivery_id="d-2").status_code == 400  # header differs
    assert send(receiver, robot, {"text": "督办"}).status_code == 400
    assert [p.problems[0] for p in receiver.rejected] == [
        "occurrences is not a list of integers", "delivery in the body differs from X-Duban-Delivery",
        "delivery is not a string"]


def test_fail_next_answers_500_410_and_429_with_retry_after(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()
    for name in ("http500", "gone", "rate"):
        receiver.fail_next(robot, name)

    answers = [send(receiver, robot, delivery()) for _ in range(4)]

    assert [a.status_code for a in answers] == [500, 410, 429, 200]
    assert answers[2].headers["Retry-After"] == "5"


def test_retries_of_a_delivery_are_counted_by_its_id(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()
    receiver.fail_next(robot, "http500")

    for body in (delivery("d-1"), delivery("d-1"), delivery("d-2")):
        send(receiver, robot, body)

    assert receiver.duplicates() == {"d-1": 2}


def test_an_unknown_receiver_answers_404(receiver: WebhookFake) -> None:
    robot = receiver.add_robot()
    receiver.remove_robot(robot)

    assert send(receiver, robot, delivery()).status_code == 404
