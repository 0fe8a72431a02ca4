"""The email channel: sends rendered reminders over one reused SMTP connection (aiosmtplib).

Configured by one URL: smtp://user:pass@host:587 (STARTTLS when offered; ?starttls=0 never,
?starttls=1 always) or smtps://user:pass@host:465 (TLS from the start); ?verify=0 accepts a
self-signed relay, ?timeout=SECONDS bounds every step. Errors are sorted for the dispatcher: a
5xx answer to MAIL, RCPT or DATA will not change on retry (permanent); 4xx answers, refused
connections, timeouts and drops may (temporary).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib import SMTPResponseException, SMTPServerDisconnected

from scheduler.channels.base import Limits, Message, Receipt, TransportError

# 7bit: Chinese bodies go out as base64, so no relay needs 8BITMIME. refold_source="none": the
# extra headers are set raw (see _headers) so long List-Unsubscribe URLs are not turned into
# RFC 2047 encoded words, which mail clients would not recognise as a URL.
POLICY = SMTP_POLICY.clone(cte_type="7bit", refold_source="none")
_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+")
_PARAMS = {"starttls", "verify", "timeout"}


def _flag(values: dict[str, list[str]], name: str) -> bool | None:
    if name not in values:
        return None
    value = values[name][-1].lower()
    if value not in ("0", "1", "false", "true", "no", "yes"):
        raise ValueError(f"DUBAN_SMTP_URL 参数 {name}={value} 只能是 0 或 1。"
                         f" / DUBAN_SMTP_URL: {name}={value} must be 0 or 1.")
    return value in ("1", "true", "yes")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to connect, read from the SMTP URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    starttls: bool | None = None  # None: upgrade when the server offers it
    verify: bool = True
    timeout: float = 30.0

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("DUBAN_SMTP_URL 应形如 smtp://用户:密码@主机:587 或 smtps://…:465。"
                             " / DUBAN_SMTP_URL must look like smtp://user:pass@host:587 or smtps://…:465.")
        query = parse_qs(parts.query)
        unknown = set(query) - _PARAMS
        if unknown:
            raise ValueError(f"DUBAN_SMTP_URL 不认识的参数：{', '.join(sorted(unknown))}（可用 starttls、verify、"
                             f"timeout）。 / DUBAN_SMTP_URL: unknown parameter {', '.join(sorted(unknown))} "
                             "(known: starttls, verify, timeout).")
        implicit = parts.scheme == "smtps"
        return cls(host=parts.hostname, port=parts.port or (465 if implicit else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None,
                   implicit_tls=implicit, starttls=False if implicit else _flag(query, "starttls"),
                   verify=_flag(query, "verify") is not False,
                   timeout=float(query["timeout"][-1]) if "timeout" in query else 30.0)


def _split(address: str) -> tuple[str, str]:
    """'Name <addr>' (as the dispatcher writes it) into (name, addr); a bare address has no name."""
    text = address.strip()
    if text.endswith(">") and "<" in text:
        name, _, addr = text[:-1].rpartition("<")
        return name.strip().strip('"').strip(), addr.strip()
    return "", text


def _address(address: str, role: tuple[str, str] = ("收件人", "recipient")) -> Address:
    name, addr = _split(address)
    try:
        if not (addr.isascii() and _ADDRESS.fullmatch(addr)):
            raise ValueError(addr)
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError, HeaderParseError):  # what the email package raises for one
        raise TransportError(f"{role[0]}邮件地址无效：{address!r}。 / Invalid {role[1]} email address: "
                             f"{address!r}.", permanent=True) from None


class EmailChannel:
    name = "email"
    limits = Limits()

    def __init__(self, config: SmtpConfig, mail_from: str):
        self.config = config
        self.sender = _address(mail_from, ("发件人", "sender"))
        self._domain = self.sender.domain or "localhost"
        self._smtp: aiosmtplib.SMTP | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, mail_from: str) -> EmailChannel:
        return cls(SmtpConfig.parse(url), mail_from)

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def compose(self, message: Message) -> EmailMessage:
        """The MIME message: text and HTML alternatives, UTF-8 headers, Message-ID and Date."""
        mail = EmailMessage(policy=POLICY)
        mail["From"] = self.sender
        mail["To"] = _address(message.recipient)
        mail["Subject"] = " ".join(message.subject.split())  # a stray newline must not end the header
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = make_msgid(domain=self._domain)
        _headers(mail, message.headers)
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    async def send(self, message: Message) -> Receipt:
        mail = self.compose(message)
        data = mail.as_bytes()
        recipient = mail["To"].addresses[0].addr_spec
        self._bind_loop()
        async with self._lock:
            await self._deliver(recipient, data)
        return Receipt(provider_id=mail["Message-ID"])

    async def close(self) -> None:
        """Say QUIT and drop the connection; the next send opens a new one."""
        self._bind_loop()
        async with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is not None and smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()

    def _bind_loop(self) -> None:
        """A connection belongs to one event loop: start afresh when called from another one."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._smtp is not None:
                self._smtp.close()
            self._smtp, self._loop, self._lock = None, loop, asyncio.Lock()

    async def _deliver(self, recipient: str, data: bytes) -> None:
        reused = await self._connect()
        try:
            await self._transaction(recipient, data)
        except _Stale:
            if not reused:
                raise TransportError(f"邮件服务器 {self.where} 连接后立即断开。 / The mail server "
                                     f"{self.where} closed the connection right after connecting.") from None
            await self._connect()  # the server dropped the idle connection: once more on a fresh one
            try:
                await self._transaction(recipient, data)
            except _Stale:
                raise TransportError(f"邮件服务器 {self.where} 反复断开连接。 / The mail server "
                                     f"{self.where} keeps dropping the connection.") from None

    async def _connect(self) -> bool:
        """Connect when not connected; True when an existing connection is reused."""
        if self._smtp is not None and self._smtp.is_connected:
            return True
        c = self.config
        self._smtp = self._smtp or aiosmtplib.SMTP(
            hostname=c.host, port=c.port, username=c.username, password=c.password,
            use_tls=c.implicit_tls, start_tls=c.starttls, validate_certs=c.verify, timeout=c.timeout)
        try:
            await self._smtp.connect()
        except SMTPResponseException as exc:
            raise TransportError(_connect_refused(self.where, exc)) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransportError(_unreachable(self.where, exc, c.verify)) from exc
        return False

    async def _transaction(self, recipient: str, data: bytes) -> None:
        smtp = self._smtp
        assert smtp is not None
        step = "MAIL"
        try:
            await smtp.mail(self.sender.addr_spec)
            step = "RCPT"
            await smtp.rcpt(recipient)
            step = "DATA"
            await smtp.data(data)
        except SMTPServerDisconnected as exc:
            if step != "DATA":
                raise _Stale() from exc  # nothing was handed over yet: safe to try again
            raise TransportError(f"发送途中与邮件服务器 {self.where} 断开，邮件可能未送达。 / Lost the "
                                 f"connection to {self.where} during DATA; the message may not have "
                                 "been delivered.") from exc
        except SMTPResponseException as exc:
            await _reset(smtp)
            raise _refused(step, recipient, exc) from exc
        except (aiosmtplib.SMTPTimeoutError, OSError, TimeoutError) as exc:
            smtp.close()
            raise TransportError(f"邮件服务器 {self.where} 在 {step} 步骤超时或出错：{exc} / The mail "
                                 f"server {self.where} timed out or failed at {step}: {exc}") from exc


class _Stale(Exception):
    """The server closed the connection before the message was handed over."""


def _headers(mail: EmailMessage, headers: dict[str, str]) -> None:
    """Extra headers (List-Unsubscribe, X-Duban-Delivery): ASCII ones go in unfolded."""
    for name, value in headers.items():
        if name in mail:
            del mail[name]
        if "\r" in value or "\n" in value:
            raise TransportError(f"邮件头 {name} 含换行符。 / Header {name} contains a line break.",
                                 permanent=True)
        if value.isascii():
            mail.set_raw(name, value)
        else:
            mail[name] = value


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """Clear the envelope after a refusal so the connection can carry the next message."""
    if not smtp.is_connected:
        return
    try:
        await smtp.rset()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


def _refused(step: str, recipient: str, exc: SMTPResponseException) -> TransportError:
    reply = f"{exc.code} {exc.message}".strip()
    what = {"MAIL": ("发件人", "the sender"), "RCPT": (f"收件人 {recipient}", f"recipient {recipient}"),
            "DATA": ("邮件内容", "the message")}[step]
    permanent = 500 <= exc.code < 600
    hint = ("（永久错误，不再重试）", " (permanent, not retried)") if permanent else ("（稍后重试）", " (will retry)")
    return TransportError(f"邮件服务器拒绝了{what[0]}：{reply}{hint[0]} / The mail server refused {what[1]}: "
                          f"{reply}{hint[1]}", permanent=permanent)


def _connect_refused(where: str, exc: SMTPResponseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return (f"登录邮件服务器 {where} 失败，请检查 DUBAN_SMTP_URL 中的用户名和密码：{exc.code} {exc.message}"
                f" / Login to the mail server {where} failed; check the user and password in "
                f"DUBAN_SMTP_URL: {exc.code} {exc.message}")
    return (f"邮件服务器 {where} 暂不接受连接：{exc.code} {exc.message}"
            f" / The mail server {where} is not accepting connections: {exc.code} {exc.message}")


def _unreachable(where: str, exc: BaseException, verify: bool) -> str:
    detail = str(exc) or type(exc).__name__
    hint = ""
    if verify and "CERTIFICATE_VERIFY_FAILED" in detail:
        hint = "（自签名证书可在 URL 加 ?verify=0）/ (for a self-signed relay add ?verify=0 to the URL)"
    return (f"无法连接邮件服务器 {where}：{detail} / Cannot reach the mail server {where}: {detail} {hint}"
            ).strip()
