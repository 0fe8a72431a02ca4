"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, a free port, and faults on demand.

It keeps what arrived, counts connections, and can refuse connections or MAIL (421/451), hang
at MAIL, drop connections (now, or at the next MAIL or DATA), reject a recipient (550), require AUTH,
and speak TLS (implicit or STARTTLS) with a self-signed certificate. Use the `smtp_server`
fixture, or `with SmtpServer(...) as server:` for a configured one.
"""

from __future__ import annotations

import asyncio
import email
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"
# Mark tests using SmtpServer(auth=...): plain-text AUTH on loopback is deliberate in tests.
auth_without_tls = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    tls: bool  # whether the session was encrypted (implicit TLS or STARTTLS)


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (openssl), as (cert, key) files."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _Refuser(asyncio.Protocol):
    """Stands in for the SMTP session on a refused connection: a 421 greeting, then hang up."""

    def __init__(self, reply: str):
        self.reply = reply

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(f"{self.reply}\r\n".encode())  # type: ignore[attr-defined]
        transport.close()


class _Session(SMTP):
    """aiosmtpd's SMTP session, registered with its server while connected."""

    def __init__(self, owner: SmtpServer, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        with self.owner._lock:
            self.owner._live.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        with self.owner._lock:
            self.owner._live.discard(self)
        super().connection_lost(error)


class _Handler:
    """aiosmtpd handler hooks: each checks for a pending fault before doing the normal thing."""

    def __init__(self, owner: SmtpServer):
        self.owner = owner

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.owner._take("drop_mail"):
            server.transport.abort()
            return "421 4.4.2 dropped"  # never reaches the client: the connection is gone
        if self.owner._take("refuse_mail"):
            return self.owner.mail_reply
        if self.owner._take("stall_mail"):
            await asyncio.sleep(self.owner.stall_seconds)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.owner.rejected:
            return self.owner.rejected[address.lower()]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        while self.owner.holding.is_set():  # polled: the flag is set and cleared from the test's thread
            await asyncio.sleep(0.01)
        if self.owner.data_seconds:
            await asyncio.sleep(self.owner.data_seconds)
        if self.owner._take("drop_data"):
            server.transport.abort()
            return "421 4.4.2 dropped"
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=default)
        tls = server.transport.get_extra_info("sslcontext") is not None  # implicit TLS or STARTTLS
        received = Received(envelope.mail_from, tuple(envelope.rcpt_tos), message, raw, tls)
        with self.owner._lock:
            self.owner._messages.append(received)
        return "250 OK: queued"

    async def handle_QUIT(self, server, session, envelope):
        with self.owner._lock:
            self.owner.quits += 1
        return "221 Bye"


class _Controller(Controller):
    """aiosmtpd's threaded controller, listening on a port the OS picks (no race for a free one)."""

    def __init__(self, owner: SmtpServer, **kwargs: Any):
        super().__init__(_Handler(owner), hostname=HOST, port=0, server_hostname="duban-test.local",
                         **kwargs)
        self.owner = owner

    def factory(self) -> SMTP | _Refuser:  # type: ignore[override]
        self.owner._connected()
        if self.owner._take("refuse_connect"):
            return _Refuser(self.owner.connect_reply)
        return _Session(self.owner, self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        super()._trigger_server()


class SmtpServer:
    """The server; counters and lists are shared with aiosmtpd's thread, so a lock guards them."""

    def __init__(self, *, auth: tuple[str, str] | None = None,
                 tls: Literal["implicit", "starttls"] | None = None, cert_dir: Path | None = None):
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._live: set[_Session] = set()
        self._pending: dict[str, int] = {}
        self.connections = 0
        self.quits = 0
        self.logins: list[str] = []
        self.rejected: dict[str, str] = {}
        self.connect_reply = "421 4.3.2 Service not available, try later"
        self.mail_reply = "451 4.3.0 Temporary failure, try later"
        self.stall_seconds = 0.0
        self.data_seconds = 0.0  # how long every DATA takes (a slow relay)
        self.holding = threading.Event()  # while set, every DATA waits (see hold)
        self.auth, self.tls = auth, tls
        self._controller = _Controller(self, **self._options(cert_dir))

    def _options(self, cert_dir: Path | None) -> dict[str, Any]:
        options: dict[str, Any] = {"decode_data": False}
        if self.auth:
            options |= {"authenticator": self._authenticate, "auth_required": True,
                        "auth_require_tls": False}
        if self.tls:
            if cert_dir is None:
                raise ValueError("a TLS server needs cert_dir for its self-signed certificate")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self_signed_cert(cert_dir))
            options["ssl_context" if self.tls == "implicit" else "tls_context"] = context
        return options

    # -- life cycle

    def start(self) -> SmtpServer:
        self._controller.start()
        with self._lock:
            self.connections = 0  # the controller's own readiness probe does not count
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._controller.port

    def url(self, scheme: str = "smtp", query: str = "") -> str:
        user, password = (quote(part, safe="") for part in self.auth or ("", ""))
        userinfo = f"{user}:{password}@" if self.auth else ""
        return f"{scheme}://{userinfo}{HOST}:{self.port}" + (f"?{query}" if query else "")

    # -- what arrived

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    # -- faults on demand

    def refuse_connections(self, count: int = 1, reply: str | None = None) -> None:
        """Answer the next `count` connections with a 421 greeting and hang up."""
        self.connect_reply = reply or self.connect_reply
        self._add("refuse_connect", count)

    def refuse_mail(self, count: int = 1, reply: str | None = None) -> None:
        """Answer the next `count` MAIL commands with `reply` (451 by default)."""
        self.mail_reply = reply or self.mail_reply
        self._add("refuse_mail", count)

    def stall_at_mail(self, seconds: float, count: int = 1) -> None:
        """Say nothing for `seconds` after the next `count` MAIL commands (a hung server)."""
        self.stall_seconds = seconds
        self._add("stall_mail", count)

    def drop_at_mail(self, count: int = 1) -> None:
        """Hang up without a word on the next `count` MAIL commands."""
        self._add("drop_mail", count)

    def drop_at_data(self, count: int = 1) -> None:
        """Hang up after reading the next `count` messages, before saying they were accepted."""
        self._add("drop_data", count)

    def slow_down(self, seconds: float) -> None:
        """Take `seconds` over every message from now on, as a slow relay does."""
        self.data_seconds = seconds

    def hold(self) -> None:
        """Keep every message waiting at DATA until `release`: senders stay mid-batch meanwhile."""
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()

    def reject(self, recipient: str, reply: str = "550 5.1.1 No such user here") -> None:
        """Refuse RCPT TO this address from now on."""
        self.rejected[recipient.lower()] = reply

    def heal(self) -> None:
        """Take back every fault still pending and every refused recipient: the relay is well again."""
        with self._lock:
            self._pending.clear()
        self.rejected.clear()

    def drop_connections(self) -> int:
        """Hang up every open connection now (as a server restart or idle timeout would)."""
        async def abort_all() -> int:
            with self._lock:
                live = [s for s in self._live if s.transport is not None]
            for session in live:
                session.transport.abort()  # type: ignore[union-attr]
            return len(live)

        return asyncio.run_coroutine_threadsafe(abort_all(), self._controller.loop).result(5)

    # -- internals, called from aiosmtpd's thread

    def _add(self, fault: str, count: int) -> None:
        with self._lock:
            self._pending[fault] = self._pending.get(fault, 0) + count

    def _take(self, fault: str) -> bool:
        with self._lock:
            if self._pending.get(fault, 0) <= 0:
                return False
            self._pending[fault] -= 1
            return True

    def _connected(self) -> None:
        with self._lock:
            self.connections += 1

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and self.auth is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.auth)
        if ok:
            with self._lock:
                self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 for one test."""
    with SmtpServer() as server:
        yield server
