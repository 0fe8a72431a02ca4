"""Signed links: what answer and unsubscribe links prove, and how bad ones are refused."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.access.links import ACTIONS, LinkError, Signer, load_or_create_secret

SECRET = "test-secret-not-for-production"
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def token_of(url: str, kind: str = "a") -> str:
    prefix = f"https://duban.example.gov.cn/{kind}/"
    assert url.startswith(prefix), url
    return url.removeprefix(prefix)


def flip(token: str, at: int) -> str:
    """`token` with one character at `at` replaced by another URL-safe one."""
    new = "B" if token[at] == "A" else "A"
    return token[:at] + new + token[at + 1:]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def signer(clock: Clock) -> Signer:
    return Signer(SECRET, "https://duban.example.gov.cn/", now=clock)


def test_public_url_loses_its_trailing_slash(signer: Signer) -> None:
    assert signer.public_url == "https://duban.example.gov.cn"


def test_answer_link_round_trips_with_its_issue_time(signer: Signer) -> None:
    url = signer.answer_url(42, "done", 7, "1001")

    link = signer.verify_answer(token_of(url))

    assert (link.occurrence_id, link.action, link.contact_id, link.nonce) == (42, "done", 7, "1001")
    assert link.issued_at == NOW


def test_answer_link_is_short_enough_for_a_mail_client(signer: Signer) -> None:
    url = signer.answer_url(123456, "snooze", 98765, "4567890")
    assert len(url) < 120, url


def test_answer_link_expires_after_max_age(signer: Signer, clock: Clock) -> None:
    token = token_of(signer.answer_url(42, "done", 7, "1"))

    clock.at = NOW + timedelta(days=60, seconds=1)

    with pytest.raises(LinkError) as caught:
        signer.verify_answer(token)
    assert caught.value.reason == "expired"
    assert str(caught.value).startswith("链接已过期")
    assert "expired" in str(caught.value)


def test_answer_link_is_good_until_its_last_second(signer: Signer, clock: Clock) -> None:
    token = token_of(signer.answer_url(42, "help", 7, "1"))

    clock.at = NOW + timedelta(days=60)

    assert signer.verify_answer(token).action == "help"


def test_a_shorter_max_age_is_honoured(signer: Signer, clock: Clock) -> None:
    token = token_of(signer.answer_url(42, "done", 7, "1"))
    clock.at = NOW + timedelta(hours=2)

    with pytest.raises(LinkError) as caught:
        signer.verify_answer(token, max_age=timedelta(hours=1))
    assert caught.value.reason == "expired"


def test_a_link_signed_before_the_clock_moved_back_is_not_accepted_early(signer: Signer,
                                                                        clock: Clock) -> None:
    token = token_of(signer.answer_url(42, "done", 7, "1"))
    clock.at = NOW - timedelta(hours=1)  # a token from the future is not trusted either

    with pytest.raises(LinkError) as caught:
        signer.verify_answer(token)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("where", ["first", "middle", "timestamp"])
def test_an_edited_answer_link_is_tampered(signer: Signer, where: str) -> None:
    token = token_of(signer.answer_url(42, "done", 7, "1001"))
    payload = token.split(".")[0]
    at = {"first": 0, "middle": len(payload) // 2, "timestamp": len(payload) + 2}[where]

    with pytest.raises(LinkError) as caught:
        signer.verify_answer(flip(token, at))
    assert caught.value.reason == "tampered"
    assert "签名不符" in str(caught.value) and "signature does not match" in str(caught.value)


def test_a_link_signed_with_another_secret_is_tampered(clock: Clock) -> None:
    other = Signer("another-secret", "https://duban.example.gov.cn", now=clock)
    token = token_of(other.answer_url(42, "done", 7, "1"))

    with pytest.raises(LinkError) as caught:
        Signer(SECRET, "https://duban.example.gov.cn", now=clock).verify_answer(token)
    assert caught.value.reason == "tampered"


def test_an_unsubscribe_token_is_not_an_answer_token(signer: Signer) -> None:
    token = token_of(signer.unsubscribe_url(7), "u")

    with pytest.raises(LinkError) as caught:
        signer.verify_answer(token)
    assert caught.value.reason == "tampered"


@pytest.mark.parametrize("garbage", ["", "hello", "not a token", "a.b.c", "%E4%BD%A0.x.y", "eyJ",
                                     "////", "a" * 300])
def test_garbage_is_malformed(signer: Signer, garbage: str) -> None:
    for verify in (signer.verify_answer, signer.verify_unsubscribe):
        with pytest.raises(LinkError) as caught:
            verify(garbage)
        assert caught.value.reason == "malformed"
        assert "不完整" in str(caught.value) and "malformed" in str(caught.value)


def test_a_link_cut_off_when_copied_is_malformed(signer: Signer) -> None:
    token = token_of(signer.answer_url(42, "done", 7, "1"))

    with pytest.raises(LinkError) as caught:
        signer.verify_answer(token[:-5])
    assert caught.value.reason == "malformed"


def test_unknown_action_is_refused_when_signing(signer: Signer) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        signer.answer_url(42, "delete", 7, "1")


def test_unsubscribe_link_round_trips_and_never_expires(signer: Signer, clock: Clock) -> None:
    url = signer.unsubscribe_url(7)
    clock.at = NOW + timedelta(days=3650)

    assert url.startswith("https://duban.example.gov.cn/u/")
    assert signer.verify_unsubscribe(token_of(url, "u")) == 7


def test_an_edited_unsubscribe_link_is_tampered(signer: Signer) -> None:
    token = token_of(signer.unsubscribe_url(7), "u")

    with pytest.raises(LinkError) as caught:
        signer.verify_unsubscribe(flip(token, 0))
    assert caught.value.reason == "tampered"


def test_the_secret_file_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret.key"

    first = load_or_create_secret(path)
    second = load_or_create_secret(path)

    assert first == second
    assert len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_secret_file_is_read_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("kept-from-before\n")

    assert load_or_create_secret(path) == "kept-from-before"


def test_links_survive_a_restart_with_the_same_secret_file(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "secret.key"
    url = Signer(load_or_create_secret(path), "https://duban.example.gov.cn", now=clock).answer_url(
        1, "done", 2, "3")

    again = Signer(load_or_create_secret(path), "https://duban.example.gov.cn", now=clock)

    assert again.verify_answer(token_of(url)).occurrence_id == 1


ids = st.integers(min_value=1, max_value=2**63 - 1)


@settings(deadline=None)  # no timing in tests: a busy machine must not fail it
@given(occurrence=ids, contact=ids, action=st.sampled_from(ACTIONS),
       nonce=st.text(min_size=0, max_size=40), flip_at=st.integers(min_value=0))
def test_any_link_round_trips_and_any_edit_is_caught(occurrence: int, contact: int, action: str,
                                                      nonce: str, flip_at: int) -> None:
    signer = Signer(SECRET, "https://duban.example.gov.cn", now=Clock(NOW))
    token = token_of(signer.answer_url(occurrence, action, contact, nonce))

    link = signer.verify_answer(token)
    assert (link.occurrence_id, link.action, link.contact_id, link.nonce) == (
        occurrence, action, contact, nonce)

    # The signature's last character carries 2 unused bits, so editing it may change nothing.
    edited = flip(token, flip_at % (len(token) - 1))
    with pytest.raises(LinkError) as caught:
        signer.verify_answer(edited)
    assert caught.value.reason in ("tampered", "malformed")
