"""The email channel: sends rendered reminders over one reused SMTP connection (aiosmtplib).

Configured by one URL: smtp://user:pass@host:587 (STARTTLS when offered; ?starttls=0 never,
?starttls=1 always) or smtps://user:pass@host:465 (TLS from the start); ?verify=0 accepts a
self-signed relay, ?timeout=SECONDS bounds every step. Errors are sorted for the dispatcher: a
5xx answer to RCPT or DATA will not change on retry (permanent); a drop during DATA may
(temporary); failures of the relay itself (unreachable, timeouts, login or sender refused, any
4xx) are `channel_down`: the dispatcher pauses email rather than spending deliveries' attempts.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from base64 import b64encode, encodebytes
from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib import SMTPResponseException, SMTPServerDisconnected

from scheduler.channels.base import Limits, Message, Receipt, TransportError
from scheduler.channels.registry import ChannelSpec, register
from scheduler.i18n import N_, Problem, Text

_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+")
_PARAMS = {"starttls", "verify", "timeout"}
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII without ":" (RFC 5322 2.2)
_OURS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type",
         "content-transfer-encoding"}


def _flag(values: dict[str, list[str]], name: str) -> bool | None:
    if name not in values:
        return None
    value = values[name][-1].lower()
    if value not in ("0", "1", "false", "true", "no", "yes"):
        raise Problem(N_("DUBAN_SMTP_URL: {name}={value} must be 0 or 1."), name=name, value=value)
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
            raise Problem(N_("DUBAN_SMTP_URL must look like smtp://user:pass@host:587 or smtps://…:465."))
        query = parse_qs(parts.query)
        unknown = ", ".join(sorted(set(query) - _PARAMS))
        if unknown:
            raise Problem(N_("DUBAN_SMTP_URL: unknown parameter {unknown} (known: starttls, verify, timeout)."),
                          unknown=unknown)
        implicit = parts.scheme == "smtps"
        return cls(host=parts.hostname, port=parts.port or (465 if implicit else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None,
                   implicit_tls=implicit, starttls=False if implicit else _flag(query, "starttls"),
                   verify=_flag(query, "verify") is not False,
                   timeout=_seconds(query))


def _seconds(values: dict[str, list[str]]) -> float:
    text = values.get("timeout", ["30"])[-1]
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise Problem(N_("DUBAN_SMTP_URL: timeout={text} must be a positive number of seconds."), text=text)
    return seconds


def _split(address: str) -> tuple[str, str]:
    """'Name <addr>' (as DUBAN_MAIL_FROM may be written) into (name, addr); a bare address has no name."""
    text = address.strip()
    if text.endswith(">") and "<" in text:
        name, _, addr = text[:-1].rpartition("<")
        return " ".join(name.strip().strip('"').split()), addr.strip()
    return "", text


# The message is written here rather than with EmailMessage and policy.SMTP: those took about
# 0.5 ms a message, most of the cost of a send, and policy.SMTP turns a long List-Unsubscribe URL
# into an encoded word that mail clients do not read as a URL. The format is small and fixed:
# RFC 2047 base64 words for non-ASCII headers, base64 UTF-8 bodies, multipart/alternative.
# tests/test_email_channel.py parses the result back with the standard library.


def _encoded_words(text: str, room: int = 76) -> str:
    """`text` as UTF-8 base64 encoded words (RFC 2047) of whole characters, one per folded line;
    the first fits in `room` characters, the others in 72 (the limit is 75)."""
    words, chunk, limit = [], bytearray(), max(room - 12, 8) // 4 * 3
    for char in text:
        octets = char.encode("utf-8", "replace")
        if chunk and len(chunk) + len(octets) > limit:
            words.append(chunk)
            chunk, limit = bytearray(), 45
        chunk += octets
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{b64encode(w).decode('ascii')}?=" for w in words)


def _header(name: str, value: str) -> str:
    """One unstructured header line: ASCII as it is (folding is optional under 998 characters)."""
    if value.isascii() and len(name) + len(value) < 990:
        return f"{name}: {value}"
    return f"{name}: {_encoded_words(value, 74 - len(name))}"


def _mailbox(name: str, addr: str) -> tuple[str, str]:
    """(header value, bare address) for a name and an address; a Chinese name becomes encoded words."""
    name = " ".join(name.strip().strip('"').split())
    if not (addr.isascii() and _ADDRESS.fullmatch(addr)):
        raise TransportError(Text("Invalid recipient email address: {address}.", {"address": repr(addr)}),
                             permanent=True)
    if name and not name.isascii():
        return f"{_encoded_words(name, 60)} <{addr}>", addr
    return formataddr((name, addr)), addr  # quotes an ASCII name when it needs it


def _extra(name: str, value: str) -> str:
    """A header the dispatcher adds (List-Unsubscribe...): never one of ours, never two lines."""
    if not _HEADER_NAME.fullmatch(name) or name.lower() in _OURS:
        raise TransportError(Text("Cannot set the header {name}.", {"name": repr(name)}), permanent=True)
    if "\r" in value or "\n" in value:
        raise TransportError(Text("Header {name} contains a line break.", {"name": name}), permanent=True)
    return _header(name, value)


def _part(subtype: str, text: str) -> bytes:
    """Content headers, a blank line and the base64 body of a text part (CRLF line ends inside,
    MIME's canonical form for text)."""
    canonical = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    body = encodebytes(canonical.encode("utf-8", "replace")).replace(b"\n", b"\r\n") or b"\r\n"
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii") + body


def _mime(headers: list[str], text: str, html: str | None) -> bytes:
    head = "\r\n".join([*headers, "MIME-Version: 1.0", ""]).encode("ascii")
    if not html:
        return head + _part("plain", text)
    # "_" never occurs in base64, so this boundary cannot occur inside a part
    boundary = f"=_duban_{uuid.uuid4().hex}"
    kind = f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return (head + kind + delimiter + _part("plain", text) + delimiter + _part("html", html)
            + f"--{boundary}--\r\n".encode("ascii"))


@dataclass(frozen=True)
class Composed:
    """A message ready for the wire: envelope, Message-ID and bytes."""

    sender: str
    recipient: str
    message_id: str
    data: bytes


class EmailChannel:
    name = "email"
    limits = Limits()

    def __init__(self, config: SmtpConfig, mail_from: str):
        self.config = config
        try:
            self._from, self.sender = _mailbox(*_split(mail_from))
        except TransportError:
            raise Problem(N_("DUBAN_MAIL_FROM is not a valid email address: {address}."),
                          address=repr(mail_from)) from None
        self._domain = self.sender.rpartition("@")[2]
        self._smtp: aiosmtplib.SMTP | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, mail_from: str) -> EmailChannel:
        return cls(SmtpConfig.parse(url), mail_from)

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def compose(self, message: Message) -> Composed:
        """The MIME message: text and HTML alternatives, UTF-8 headers, Message-ID and Date."""
        to, recipient = _mailbox(message.recipient.name, message.recipient.address or "")
        message_id = make_msgid(domain=self._domain)
        headers = [f"From: {self._from}", f"To: {to}",
                   _header("Subject", " ".join(message.subject.split())),  # no line break inside
                   f"Date: {formatdate(usegmt=True)}", f"Message-ID: {message_id}",
                   *(_extra(name, value) for name, value in message.headers.items())]
        data = _mime(headers, message.text, message.html)
        return Composed(self.sender, recipient, message_id, data)

    async def send(self, message: Message) -> Receipt:
        composed = self.compose(message)
        self._bind_loop()
        async with self._lock:
            await self._deliver(composed)
        return Receipt(provider_id=composed.message_id)

    async def close(self) -> None:
        """Say QUIT and drop the connection; the next send opens a new one."""
        self._bind_loop()
        async with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is None or not smtp.is_connected:
                return
            sock = smtp.get_transport_info("socket")
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()
            await _closed(sock)

    def _bind_loop(self) -> None:
        """A connection belongs to one event loop: start afresh when called from another one."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._smtp is not None and self._loop is not None and not self._loop.is_closed():
                self._smtp.close()  # else its loop is gone, and with it any way to close it cleanly
            self._smtp, self._loop, self._lock = None, loop, asyncio.Lock()

    async def _deliver(self, mail: Composed) -> None:
        reused = await self._connect()
        try:
            await self._transaction(mail)
            return
        except _Stale:
            if not reused:
                raise TransportError(Text("The mail server {where} closed the connection right after connecting.",
                                          {"where": self.where}), channel_down=True) from None
        await self._connect()  # it had dropped the idle connection: once more, on a fresh one
        try:
            await self._transaction(mail)
        except _Stale:
            raise TransportError(Text("The mail server {where} keeps dropping the connection.",
                                      {"where": self.where}), channel_down=True) from None

    async def _connect(self) -> bool:
        """Connect when not connected; True when an existing connection is reused."""
        if self._smtp is not None and self._smtp.is_connected:
            return True
        c = self.config
        self._smtp = self._smtp or aiosmtplib.SMTP(
            hostname=c.host, port=c.port, username=c.username, password=c.password,
            use_tls=c.implicit_tls, start_tls=c.starttls, validate_certs=c.verify,
            timeout=c.timeout)
        try:
            await self._smtp.connect()
        except SMTPResponseException as exc:
            raise TransportError(_connect_refused(self.where, exc), channel_down=True) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransportError(_unreachable(self.where, exc, c.verify), channel_down=True) from exc
        return False

    async def _transaction(self, mail: Composed) -> None:
        smtp = self._smtp
        assert smtp is not None
        step = "MAIL"
        try:
            # one timer for the whole transaction: a timer per command cost a tenth of a send
            async with asyncio.timeout(self.config.timeout):
                await smtp.mail(mail.sender, timeout=None)
                step = "RCPT"
                await smtp.rcpt(mail.recipient, timeout=None)
                step = "DATA"
                await smtp.data(mail.data, timeout=None)
        except SMTPServerDisconnected as exc:
            if step != "DATA":
                raise _Stale() from exc  # nothing was handed over yet: safe to try again
            raise TransportError(Text("Lost the connection to {where} during DATA; the message may not have "
                                      "been delivered.", {"where": self.where})) from exc
        except SMTPResponseException as exc:
            await _reset(smtp)
            raise _refused(step, mail.recipient, exc) from exc
        except (aiosmtplib.SMTPTimeoutError, OSError, TimeoutError) as exc:
            smtp.close()  # a reply may still be on its way: this connection cannot be trusted
            detail = str(exc) or Text("no answer within {seconds} s", {"seconds": f"{self.config.timeout:g}"})
            raise TransportError(Text("The mail server {where} timed out or failed at {step}: {detail}",
                                      {"where": self.where, "step": step, "detail": detail}),
                                 channel_down=True) from exc


async def _closed(sock: object, patience: float = 1.0) -> None:
    """Wait a moment until the socket is really closed: TLS says goodbye in a few more loop steps,
    and a caller whose event loop ends first (asyncio.run) would leave the socket open."""
    for step in range(int(patience * 100) + 5):
        if sock is None or sock.fileno() == -1:  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0 if step < 5 else 0.01)


class _Stale(Exception):
    """The server closed the connection before the message was handed over."""


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """Clear the envelope after a refusal so the connection can carry the next message."""
    if not smtp.is_connected:
        return
    try:
        await smtp.rset()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


def _refused(step: str, recipient: str, exc: SMTPResponseException) -> TransportError:
    """A refusal, sorted by whose fault it is (RFC 5321 reply codes, RFC 3463 enhanced codes).

    The relay refusing the sender, any 4xx and 530 (log in first) concern every message: the
    channel is down. A 5xx to RCPT with an addressing or mailbox status (5.1.x, 5.2.x) is this
    recipient's; other 5xx refusals are permanent too, but carry their reply so that the
    dispatcher can tell when the relay answers every recipient alike.
    """
    reply = f"{exc.code} {exc.message}".strip()
    what = Text(_REFUSED[step], {"recipient": recipient})
    if step == "MAIL" or not 500 <= exc.code < 600 or exc.code == 530:
        return TransportError(Text("The mail server refused {what}: {reply} (channel paused, will retry)",
                                   {"what": what, "reply": reply}), channel_down=True)
    mailbox = step == "RCPT" and _ENHANCED_MAILBOX.match(exc.message or "")
    return TransportError(Text("The mail server refused {what}: {reply} (permanent, not retried)",
                               {"what": what, "reply": reply}),
                          permanent=True, reply=None if mailbox else _without_addresses(reply))


_REFUSED = {"MAIL": N_("the sender"), "RCPT": N_("recipient {recipient}"), "DATA": N_("the message")}  # what was
_ENHANCED_MAILBOX = re.compile(r"\s*5\.[12]\.\d{1,3}\b")
_ANGLED = re.compile(r"<[^<>]*>|\S+@\S+")


def _without_addresses(reply: str) -> str:
    """The reply with addresses cut out, to compare refusals of different recipients."""
    return " ".join(_ANGLED.sub("", reply).lower().split())


def _connect_refused(where: str, exc: SMTPResponseException) -> Text:
    values = {"where": where, "reply": f"{exc.code} {exc.message}"}
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Text("Login to the mail server {where} failed; check the user and password in DUBAN_SMTP_URL: "
                    "{reply}", values)
    return Text("The mail server {where} is not accepting connections: {reply}", values)


def _unreachable(where: str, exc: BaseException, verify: bool) -> Text:
    values = {"where": where, "detail": str(exc) or type(exc).__name__}
    if verify and "CERTIFICATE_VERIFY_FAILED" in values["detail"]:
        return Text("Cannot reach the mail server {where}: {detail} (for a self-signed relay add ?verify=0 to the "
                    "URL)", values)
    return Text("Cannot reach the mail server {where}: {detail}", values)


def _unsubscribe_headers(ctx) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058) for mail clients' button."""
    return {"List-Unsubscribe": f"<{ctx.unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _from_settings(settings) -> EmailChannel | None:
    if settings.smtp_url is None:
        return None
    return EmailChannel.from_url(settings.smtp_url.get_secret_value(), settings.mail_from)


register(ChannelSpec(name="email", address="email", priority=20, layout="email", build=_from_settings,
                     headers=_unsubscribe_headers, opt_out=True))
