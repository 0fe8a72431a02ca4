"""A robot channel: posts a rendered message to a group robot's webhook and reads the answer.

Each kind (scheduler/channels/{wecom,dingtalk,feishu,webhook}/) says how to build its request
(`Kind.request`: URL, JSON body, headers, signed with the real wall clock, which platforms check
within an hour even when `duban tick --now` moves the schedule's clock) and how to read its
answer (`Kind.read`: most platforms answer errors in the JSON body with HTTP 200). What is common
is here: the sealed endpoint opened, the keyword the robot's security setting requires put in
the text, one reused HTTP client, timeouts and 5xx as temporary, 429 as throttled for its
Retry-After, a removed robot (404) as gone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from scheduler.access.sealing import Sealer
from scheduler.channels.base import Endpoint, Limits, Message, Receipt, TransportError
from scheduler.i18n import N_, Problem, Text

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
FOLDER = Path(__file__).parent  # the shared layout _robot.j2, which each kind's layout extends
MAX_MENTIONS = 20
KEYWORD_LENGTH = 100
THROTTLE_SECONDS = 60.0  # how long a 429 without Retry-After holds the robot


def reserve() -> int:
    """Bytes a kind keeps free under its platform's limit for what the channel adds to a rendered
    message: the keyword and the @-mentions (at most MAX_MENTIONS mobiles)."""
    return KEYWORD_LENGTH * 3 + MAX_MENTIONS * 18 + 16


@dataclass(frozen=True)
class Request:
    url: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Post:
    """What a kind needs to build one request: the opened endpoint and the message."""

    url: str
    secret: str | None
    mentions: tuple[str, ...]
    keyword: str | None
    message: Message
    wall: float  # unix seconds, the real clock

    @property
    def text(self) -> str:
        """The message text, with the robot's keyword when the text lacks it (a robot whose
        security setting is a keyword drops every message without one)."""
        text = self.message.text
        return text if not self.keyword or self.keyword in text else f"{text}\n\n{self.keyword}"

    @property
    def delivery(self) -> str:
        return self.message.headers.get("X-Duban-Delivery", "")


class Kind(Protocol):
    name: str

    def request(self, post: Post) -> Request: ...

    def read(self, status: int, reply: dict[str, Any] | None, text: str) -> Receipt:
        """The platform's answer as a receipt, or a TransportError saying whether it is permanent."""


def refused(kind: str, code: object, said: str, *, gone: bool = False, invalid: bool = False,
            throttled: float | None = None) -> TransportError:
    """The platform refused the post: `gone` (robot removed, bad key or signature, keyword missing,
    address not allowed: the robot is disabled until fixed), `invalid` (this message will never
    be taken: not retried, the robot stays), `throttled` (seconds it refuses this robot), else
    temporary (busy)."""
    text = Text(N_("{kind} refused the post ({code}: {said})"), {"kind": kind, "code": code, "said": said[:200]})
    if gone or invalid:
        # No `reply`: robots are refused one by one (each its own key and settings), never a
        # relay refusing everyone, which alike replies would make the dispatcher conclude.
        return TransportError(text, permanent=True, disable=gone)
    return TransportError(text, retry_after=throttled, throttled=throttled is not None)


@dataclass(frozen=True)
class Codes:
    """How a chat platform answers in its JSON body (often with HTTP 200): which key holds the
    code and which the message, and what each code means for the robot."""

    kind: str
    code: tuple[str, ...]  # the keys the code may sit under, first found wins
    message: str
    gone: Callable[[object, str], bool]  # the robot as configured will never post
    invalid: Callable[[object, str], bool]  # this message will never be taken
    throttled: frozenset[object] = frozenset()
    throttle_seconds: float = THROTTLE_SECONDS

    def read(self, status: int, reply: dict[str, Any] | None, text: str) -> Receipt:
        """The receipt, or the refusal sorted: gone, invalid, throttled, else temporary."""
        if reply is None:
            if status == 404:
                raise refused(self.kind, status, text, gone=True)
            raise TransportError(f"{self.kind}: HTTP {status}, not JSON: {text[:200]}")
        code = next((reply[k] for k in self.code if k in reply), None)
        said = str(reply.get(self.message, ""))
        if code == 0:
            return Receipt(provider_id=f"{self.kind}:{said or 'ok'}")
        if code in self.throttled:
            raise refused(self.kind, code, said, throttled=self.throttle_seconds)
        if self.gone(code, said) or self.invalid(code, said):
            raise refused(self.kind, code, said, gone=self.gone(code, said), invalid=True)
        raise refused(self.kind, code, said)  # busy or unknown: tried again later, never lost


def among(codes: set[int]) -> Callable[[object, str], bool]:
    return lambda code, said: code in codes


class RobotChannel:
    """One robot kind as a channel of the registry."""

    limits = Limits()

    def __init__(self, kind: Kind, settings: Any, *, clock: Callable[[], float] = time.time,
                 timeout: httpx.Timeout = TIMEOUT):
        # Here, not at the top: scheduler.settings imports the channels to check DUBAN_CHANNELS.
        from scheduler.access.links import signing_secret

        self.kind, self.name, self.clock = kind, kind.name, clock
        self._sealer, self._timeout = Sealer(signing_secret(settings)), timeout
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self, message: Message) -> Receipt:
        return await self._deliver(self.kind.request(self._post(message)))

    async def _deliver(self, request: Request) -> Receipt:
        """Post one request and read the answer: the kind's receipt, or a TransportError."""
        try:
            answer = await self._http().post(request.url, content=request.content(), headers={
                "Content-Type": "application/json; charset=utf-8", **request.headers})
        except httpx.HTTPError as exc:  # unreachable, timed out, reset: the post may go later
            raise TransportError(Text(N_("{kind} could not be reached: {error}"),
                                      {"kind": self.name, "error": type(exc).__name__})) from exc
        if answer.status_code >= 500:
            raise TransportError(Text(N_("{kind} answered HTTP {status}"),
                                      {"kind": self.name, "status": answer.status_code}))
        if answer.status_code == 429:  # HTTP's own "too many requests", whatever the kind
            raise refused(self.name, 429, answer.text[:200], throttled=_retry_after(answer, self.clock()))
        return self.kind.read(answer.status_code, _json(answer), answer.text[:300])

    def _post(self, message: Message) -> Post:
        endpoint = message.recipient.endpoint
        if endpoint is None:
            raise TransportError(Text(N_("this robot has no webhook address")), disable=True)
        try:
            url, secret = self._sealer.open(endpoint.url_sealed), _opened(self._sealer, endpoint)
        except Problem as exc:  # sealed under another DUBAN_SECRET_KEY: only adding it again helps
            raise TransportError(exc.text, disable=True) from None
        return Post(url, secret, endpoint.mentions, endpoint.keyword, message, self.clock())

    def _http(self) -> httpx.AsyncClient:
        """One client per event loop (`duban tick` runs a loop per call; a client is bound to one)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._loop is not loop:
            self._client, self._loop = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False), loop
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _opened(sealer: Sealer, endpoint: Endpoint) -> str | None:
    return sealer.open(endpoint.secret_sealed) if endpoint.secret_sealed else None


def _retry_after(answer: httpx.Response, wall: float) -> float:
    """Seconds a 429 asks to wait (Retry-After: seconds or an HTTP date), else a minute."""
    value = answer.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - wall, 1.0)
    except (TypeError, ValueError):
        return THROTTLE_SECONDS


def _json(answer: httpx.Response) -> dict[str, Any] | None:
    try:
        value = answer.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
