"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1): content, reuse, errors."""

from __future__ import annotations

import asyncio
import gc
import re
import socket
import warnings
from collections.abc import Awaitable
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import compat32, default
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.channels.base import Message, Receipt, Recipient, TransportError
from scheduler.channels.email import EmailChannel
from tests.smtp_server import SmtpServer, auth_without_tls

T = TypeVar("T")
SENDER = "督办系统 <duban@gov.example.cn>"
UNSUBSCRIBE = ("<https://duban.example.gov.cn/u/NDU2Nw.KDYPoPCXzs8oFw6ulAeaHNSF4bQ"
               "-and-a-long-tail-so-the-header-needs-more-than-78-characters>")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


ZHANGSAN = Recipient("张三", "zhangsan@example.org")


def reminder(to: Recipient = ZHANGSAN, n: int = 1) -> Message:
    return Message(recipient=to,
                   subject=f"【督办】请于3月31日前报送：政务公开工作要点（第一季度）#{n}",
                   text=f"张三，您好：\n政务公开工作要点第一季度执行情况将于3月31日到期。\n#{n}",
                   html=f"<p>张三，您好：</p><p>政务公开工作要点 <b>3月31日</b> 到期。#{n}</p>",
                   headers={"List-Unsubscribe": UNSUBSCRIBE,
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                            "X-Duban-Delivery": f"{n}"})


def channel(server: SmtpServer, **url: str) -> EmailChannel:
    query = "&".join(f"{k}={v}" for k, v in url.items())
    return EmailChannel.from_url(server.url(query=query), SENDER)


async def send_all(ch: EmailChannel, *messages: Message) -> list[Receipt]:
    try:
        return [await ch.send(m) for m in messages]
    finally:
        await ch.close()


def fails(ch: EmailChannel, *messages: Message) -> TransportError:
    """Send `messages` in order on one channel; the last one must fail: its error."""
    async def go() -> None:
        try:
            for m in messages[:-1]:
                await ch.send(m)
            await ch.send(messages[-1])
        finally:
            await ch.close()

    with pytest.raises(TransportError) as caught:
        run(go())
    return caught.value


def free_port() -> int:
    """A port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- what arrives


def test_chinese_subject_and_display_names_arrive_exactly(smtp_server: SmtpServer) -> None:
    run(send_all(channel(smtp_server), reminder()))

    [got] = smtp_server.messages
    mail = got.message
    assert mail["Subject"] == "【督办】请于3月31日前报送：政务公开工作要点（第一季度）#1"
    assert mail["To"].addresses[0].display_name == "张三"
    assert mail["To"].addresses[0].addr_spec == "zhangsan@example.org"
    assert mail["From"].addresses[0].display_name == "督办系统"
    assert mail["From"].addresses[0].addr_spec == "duban@gov.example.cn"
    assert (got.mail_from, got.rcpt_tos) == ("duban@gov.example.cn", ("zhangsan@example.org",))
    assert got.raw.isascii()  # encoded words and base64: no relay needs 8BITMIME or SMTPUTF8


def test_text_and_html_are_alternatives_of_one_message(smtp_server: SmtpServer) -> None:
    run(send_all(channel(smtp_server), reminder()))

    mail = smtp_server.messages[0].message
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    # base64 carries text in MIME's canonical form, with CRLF line ends
    assert text.get_content() == "张三，您好：\r\n政务公开工作要点第一季度执行情况将于3月31日到期。\r\n#1"
    assert "<b>3月31日</b>" in html.get_content()
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"


def test_a_message_without_html_is_plain_text(smtp_server: SmtpServer) -> None:
    plain = Message(recipient=Recipient("", "li@example.org"), subject="Plain", text="只有文字")
    run(send_all(channel(smtp_server), plain))

    mail = smtp_server.messages[0].message
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content() == "只有文字"
    assert mail["To"].addresses[0].display_name == ""


def test_message_id_is_the_receipt_and_extra_headers_go_out_as_given(
        smtp_server: SmtpServer) -> None:
    [receipt] = run(send_all(channel(smtp_server), reminder()))

    got = smtp_server.messages[0]
    assert got.message["Message-ID"] == receipt.provider_id
    assert receipt.provider_id.endswith("@gov.example.cn>")
    assert got.message["Date"].datetime.tzinfo is not None
    assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.message["X-Duban-Delivery"] == "1"
    # A mail client reads List-Unsubscribe as a URL: it must not become an RFC 2047 encoded word.
    assert f"List-Unsubscribe: {UNSUBSCRIBE}\r\n".encode() in got.raw


def test_every_message_gets_its_own_message_id(smtp_server: SmtpServer) -> None:
    receipts = run(send_all(channel(smtp_server), reminder(n=1), reminder(n=2)))

    assert len({r.provider_id for r in receipts}) == 2


def test_a_subject_with_a_line_break_stays_one_header(smtp_server: SmtpServer) -> None:
    sneaky = Message(recipient=Recipient("", "li@example.org"), subject="报送提醒\r\nBcc: victim@example.org",
                     text="x")
    run(send_all(channel(smtp_server), sneaky))

    got = smtp_server.messages[0]
    assert got.message["Subject"] == "报送提醒 Bcc: victim@example.org"
    assert got.message["Bcc"] is None and got.rcpt_tos == ("li@example.org",)


def test_an_extra_header_with_a_line_break_is_refused_for_good(smtp_server: SmtpServer) -> None:
    bad = Message(recipient=Recipient("", "li@example.org"), subject="x", text="x",
                  headers={"List-Unsubscribe": "<https://x>\r\nBcc: victim@example.org"})

    error = fails(channel(smtp_server), bad)

    assert error.permanent
    assert smtp_server.connections == 0


@pytest.mark.parametrize("recipient", [Recipient("张三", "not an address"), Recipient("张三", ""),
                                       Recipient("", "no-at-sign"), Recipient("张", "张@例子.中国"),
                                       Recipient("张三", None)])
def test_an_invalid_recipient_is_permanent_and_never_reaches_the_server(
        smtp_server: SmtpServer, recipient: Recipient) -> None:
    error = fails(channel(smtp_server), reminder(to=recipient))

    assert error.permanent
    assert str(error).startswith("收件人邮件地址无效")
    assert smtp_server.connections == 0


# Any text a template or a contact record may hold: no control characters, no lone surrogates.
words = st.text(st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")), max_size=120)
names = words.map(lambda n: " ".join(n.replace("<", "").replace(">", "").replace('"', "").split()))


def display_name(data: bytes) -> str:
    """The To name as RFC 2047 reads it. (The standard library's address parser puts a space
    between adjacent encoded words, even in names its own EmailMessage wrote: a long name is
    split into several words, so it is decoded here as a mail client would.)"""
    raw = message_from_bytes(data, policy=compat32)["To"]
    if raw.isascii() and "=?" not in raw:
        return message_from_bytes(data, policy=default)["To"].addresses[0].display_name
    return str(make_header(decode_header(raw.rsplit(" <", 1)[0])))


@settings(deadline=None)  # no timing in tests: a busy machine must not fail it
@given(subject=words, name=names, text=words, html=st.none() | words)
def test_any_message_parses_back_exactly_and_within_line_limits(subject: str, name: str, text: str,
                                                                 html: str | None) -> None:
    ch = EmailChannel.from_url("smtp://127.0.0.1:25", SENDER)
    message = Message(recipient=Recipient(name, "someone@example.org"), subject=subject, text=text,
                      html=html, headers={"List-Unsubscribe": UNSUBSCRIBE, "X-Note": subject})

    composed = ch.compose(message)
    mail = message_from_bytes(composed.data, policy=default)

    assert all(len(line) <= 998 for line in composed.data.split(b"\r\n"))
    assert all(len(w) <= 75 for w in re.findall(rb"=\?utf-8\?b\?[^?]*\?=", composed.data))
    assert mail["Subject"] == " ".join(subject.split())
    assert mail["X-Note"] == subject.strip() or not subject.isascii()
    assert display_name(composed.data) == name
    assert mail["To"].addresses[0].addr_spec == "someone@example.org"
    assert mail["Message-ID"] == composed.message_id
    canonical = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    assert mail.get_body(("plain",)).get_content() == canonical
    if html:
        assert mail.get_content_type() == "multipart/alternative"
        assert mail.get_body(("html",)).get_content() == html.replace("\r\n", "\n").replace(
            "\r", "\n").replace("\n", "\r\n")
    assert not mail.defects and not any(part.defects for part in mail.walk())


# --- one connection, reused


def test_fifty_sends_share_one_connection(smtp_server: SmtpServer) -> None:
    run(send_all(channel(smtp_server), *(reminder(n=i) for i in range(50))))

    assert len(smtp_server.messages) == 50
    assert smtp_server.connections == 1
    assert smtp_server.quits == 1


def test_concurrent_sends_take_turns_on_the_one_connection(smtp_server: SmtpServer) -> None:
    async def go() -> None:
        ch = channel(smtp_server)
        await asyncio.gather(*(ch.send(reminder(n=i)) for i in range(20)))
        await ch.close()

    run(go())

    assert sorted(m.message["X-Duban-Delivery"] for m in smtp_server.messages) == sorted(
        str(i) for i in range(20))
    assert smtp_server.connections == 1


def test_no_connection_until_the_first_send(smtp_server: SmtpServer) -> None:
    async def go() -> None:
        ch = channel(smtp_server)
        await ch.close()

    run(go())

    assert smtp_server.connections == 0


def test_close_says_quit_and_the_next_send_reconnects(smtp_server: SmtpServer) -> None:
    ch = channel(smtp_server)
    run(send_all(ch, reminder(n=1)))
    assert smtp_server.quits == 1

    run(send_all(ch, reminder(n=2)))

    assert smtp_server.connections == 2
    assert len(smtp_server.messages) == 2


def test_a_connection_the_server_dropped_while_idle_is_reopened(smtp_server: SmtpServer) -> None:
    async def go() -> None:
        ch = channel(smtp_server)
        await ch.send(reminder(n=1))
        assert smtp_server.drop_connections() == 1
        await ch.send(reminder(n=2))
        await ch.close()

    run(go())

    assert [m.message["X-Duban-Delivery"] for m in smtp_server.messages] == ["1", "2"]
    assert smtp_server.connections == 2


def test_a_connection_dropped_at_mail_is_retried_once_on_a_fresh_one(
        smtp_server: SmtpServer) -> None:
    async def go() -> None:
        ch = channel(smtp_server)
        await ch.send(reminder(n=1))
        smtp_server.drop_at_mail(1)  # the server hung up; we only learn it when we speak
        await ch.send(reminder(n=2))
        await ch.close()

    run(go())

    assert [m.message["X-Duban-Delivery"] for m in smtp_server.messages] == ["1", "2"]
    assert smtp_server.connections == 2


def test_a_server_that_keeps_hanging_up_is_a_temporary_error(smtp_server: SmtpServer) -> None:
    async def go() -> None:
        ch = channel(smtp_server)
        await ch.send(reminder(n=1))
        smtp_server.drop_at_mail(5)
        try:
            await ch.send(reminder(n=2))
        finally:
            await ch.close()

    with pytest.raises(TransportError) as caught:
        run(go())

    assert not caught.value.permanent
    assert "反复断开" in str(caught.value) and "keeps dropping the connection" in str(caught.value)
    assert smtp_server.connections == 2  # the first, then only one more try


def test_a_server_hanging_up_on_a_fresh_connection_is_not_retried_in_a_loop(
        smtp_server: SmtpServer) -> None:
    smtp_server.drop_at_mail(5)

    error = fails(channel(smtp_server), reminder())

    assert not error.permanent
    assert "closed the connection right after connecting" in str(error)
    assert smtp_server.connections == 1


def test_a_drop_during_data_is_temporary_and_not_resent_behind_our_back(
        smtp_server: SmtpServer) -> None:
    smtp_server.drop_at_data(1)

    error = fails(channel(smtp_server), reminder())

    assert not error.permanent
    assert "DATA" in str(error)
    assert smtp_server.messages == [] and smtp_server.connections == 1


# --- refusals


def test_an_unknown_mailbox_is_permanent_and_the_connection_stays_usable(
        smtp_server: SmtpServer) -> None:
    smtp_server.reject("nobody@example.org")
    ch = channel(smtp_server)

    error = fails(ch, reminder(n=1), reminder(to=Recipient("无此人", "nobody@example.org"), n=2))
    run(send_all(ch, reminder(n=3)))

    assert error.permanent and not error.channel_down
    assert error.reply is None  # 5.1.1: this mailbox, never the relay as a whole
    assert "550" in str(error) and "nobody@example.org" in str(error)
    assert str(error).startswith("邮件服务器拒绝了收件人")
    assert [m.message["X-Duban-Delivery"] for m in smtp_server.messages] == ["1", "3"]


def test_a_server_refusing_connections_is_temporary_then_recovers(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_connections(1)
    ch = channel(smtp_server)

    error = fails(ch, reminder(n=1))
    run(send_all(ch, reminder(n=2)))

    assert error.channel_down and not error.permanent
    assert "421" in str(error) and "not accepting connections" in str(error)
    assert [m.message["X-Duban-Delivery"] for m in smtp_server.messages] == ["2"]


def test_a_4xx_answer_to_mail_is_temporary(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_mail(1)

    error = fails(channel(smtp_server), reminder())

    assert error.channel_down and not error.permanent
    assert "451" in str(error)


def test_a_421_answer_to_mail_is_temporary_and_the_next_send_reconnects(
        smtp_server: SmtpServer) -> None:
    smtp_server.refuse_mail(1, "421 4.3.2 Shutting down")
    ch = channel(smtp_server)

    error = fails(ch, reminder(n=1))
    run(send_all(ch, reminder(n=2)))

    assert not error.permanent
    assert len(smtp_server.messages) == 1 and smtp_server.connections == 2


def test_a_5xx_answer_to_mail_refuses_every_message_so_the_channel_is_down(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_mail(1, "553 5.7.1 Sender address rejected")

    error = fails(channel(smtp_server), reminder())

    assert error.channel_down and not error.permanent  # the sender is ours: no recipient is at fault
    assert "553" in str(error)


def test_a_5xx_to_a_recipient_without_a_mailbox_status_carries_its_reply_to_compare(
        smtp_server: SmtpServer) -> None:
    smtp_server.reject("zhang@example.org", "554 Relay access denied for <zhang@example.org>")

    error = fails(channel(smtp_server), reminder(to=Recipient("张三", "zhang@example.org")))

    assert error.permanent and not error.channel_down
    assert error.reply == "554 relay access denied for"  # the address cut out


def test_a_server_that_stops_answering_times_out_and_the_next_send_reconnects(
        smtp_server: SmtpServer) -> None:
    smtp_server.stall_at_mail(seconds=120)
    ch = channel(smtp_server, timeout="1")  # far longer than a send takes, even under load

    error = fails(ch, reminder(n=1))
    run(send_all(ch, reminder(n=2)))

    assert not error.permanent
    assert "no answer within 1 s" in str(error) and "超时" in str(error)
    assert [m.message["X-Duban-Delivery"] for m in smtp_server.messages] == ["2"]
    assert smtp_server.connections == 2


def test_nothing_listening_is_a_temporary_error_that_says_where(smtp_server: SmtpServer) -> None:
    port = free_port()
    ch = EmailChannel.from_url(f"smtp://127.0.0.1:{port}", SENDER)

    error = fails(ch, reminder())

    assert error.channel_down and not error.permanent
    assert str(error).startswith(f"无法连接邮件服务器 127.0.0.1:{port}")
    assert f"Cannot reach the mail server 127.0.0.1:{port}" in str(error)


# --- login and TLS


@auth_without_tls
def test_login_with_the_user_and_password_from_the_url() -> None:
    with SmtpServer(auth=("duban@gov.example.cn", "p@ss:w/rd 密码")) as server:
        run(send_all(EmailChannel.from_url(server.url(), SENDER), reminder()))

        assert server.logins == ["duban@gov.example.cn"]
        assert len(server.messages) == 1


@auth_without_tls
def test_a_wrong_password_is_a_temporary_error_that_names_the_setting() -> None:
    with SmtpServer(auth=("duban", "right")) as server:
        url = server.url().replace(":right@", ":wrong@")

        error = fails(EmailChannel.from_url(url, SENDER), reminder())

        assert not error.permanent
        assert "DUBAN_SMTP_URL" in str(error) and "535" in str(error)
        assert server.messages == []


@auth_without_tls
def test_a_server_wanting_a_login_we_lack_is_a_settings_problem_not_a_bad_message() -> None:
    with SmtpServer(auth=("duban", "secret")) as server:
        url = server.url().replace("duban:secret@", "")

        error = fails(EmailChannel.from_url(url, SENDER), reminder())

        assert not error.permanent  # 530 is a 5xx, but no message is at fault: retry once fixed
        assert "530" in str(error)


def test_smtps_to_a_self_signed_relay_with_verify_off(tmp_path: Path) -> None:
    with SmtpServer(tls="implicit", cert_dir=tmp_path) as server:
        ch = EmailChannel.from_url(server.url("smtps", "verify=0"), SENDER)
        run(send_all(ch, reminder()))

        assert server.messages[0].tls


def test_smtps_checks_the_certificate_by_default_and_says_how_to_skip(tmp_path: Path) -> None:
    with SmtpServer(tls="implicit", cert_dir=tmp_path) as server:
        error = fails(EmailChannel.from_url(server.url("smtps"), SENDER), reminder())

        assert not error.permanent
        assert "?verify=0" in str(error)


def test_starttls_is_used_when_offered(tmp_path: Path) -> None:
    with SmtpServer(tls="starttls", cert_dir=tmp_path) as server:
        run(send_all(EmailChannel.from_url(server.url(query="verify=0"), SENDER), reminder()))

        assert server.messages[0].tls


def test_starttls_can_be_turned_off(tmp_path: Path) -> None:
    with SmtpServer(tls="starttls", cert_dir=tmp_path) as server:
        run(send_all(EmailChannel.from_url(server.url(query="starttls=0"), SENDER), reminder()))

        assert not server.messages[0].tls


# --- configuration


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://h?verify=maybe",
                                 "smtp://h?tls=1", "smtp://h?timeout=soon", "smtp://h?timeout=0"])
def test_a_bad_smtp_url_is_explained(url: str) -> None:
    with pytest.raises(ValueError, match="DUBAN_SMTP_URL") as caught:
        EmailChannel.from_url(url, SENDER)
    assert not caught.value.args[0].isascii()  # Chinese first, then English


def test_a_bad_sender_is_explained() -> None:
    with pytest.raises(ValueError, match="DUBAN_MAIL_FROM 不是有效的邮件地址"):
        EmailChannel.from_url("smtp://127.0.0.1:25", "督办 <not-an-address>")


def test_the_channel_survives_being_used_from_a_new_event_loop(smtp_server: SmtpServer) -> None:
    ch = channel(smtp_server)
    with warnings.catch_warnings():
        # The first loop ends with its connection open (the caller forgot close()): Python warns
        # about that socket when it is collected, which is the point of this test, not a failure.
        warnings.simplefilter("ignore", ResourceWarning)
        run(ch.send(reminder(n=1)))
        run(send_all(ch, reminder(n=2)))
        gc.collect()

    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2
