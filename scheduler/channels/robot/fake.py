"""What the fake group-robot platforms share, for tests: a real HTTP server on 127.0.0.1 (stdlib
ThreadingHTTPServer on a free port, in a daemon thread) that records every post and answers it as
the platform would. Each kind's subclass (scheduler/channels/<kind>/tests/fake.py) says where the
robot's token sits in the URL, what it checks, in which order, and which error JSON it answers.

    with WeComFake() as wecom:
        robot = wecom.add_robot()
        ... send to wecom.url(robot) ...
        assert [p.json for p in wecom.accepted(robot)] == [...]

`clock` is the platform's clock (unix seconds): signatures are checked against it and the rate
limits counted on it, so a test moves time with a ManualClock instead of sleeping.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
Clock = Callable[[], float]


class ManualClock:
    """A clock a test moves by hand; it starts at the real time, so signatures made with the
    real clock also pass."""

    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Robot:
    """One robot in a group: its token (in the URL), its security settings."""

    token: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()
    allow_ip: bool = True  # False: the caller's address is not on the robot's IP allow-list


@dataclass(frozen=True)
class PlatformError:
    """One error as the platform answers it. `code` and `message` go in the platform's own JSON;
    `permanent`: resending the same post to the same robot cannot succeed (what the channel should
    conclude), as opposed to a refusal that passes (rate limit, busy, 5xx)."""

    code: int | str | None
    message: str
    permanent: bool
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass
class Post:
    """One request as it arrived and how it was answered. `target`: the request line's URL as sent
    (`query` is it parsed and decoded); `at`: the platform's clock on arrival (the wall clock unless
    the test gave another). `problems`: what the sender did wrong (each one the platform refuses);
    `warnings`: what the platform takes but ignores (an @ it cannot make); `injected`: the failure
    a test queued with fail_next, answered instead; `error`, `status`, `answer`: what it answered."""

    token: str | None
    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    json: Any
    at: float
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    injected: str | None = None
    error: str | None = None  # the name of the error answered, None when accepted
    said: str | None = None  # the platform's own words on what was wrong, in its error message
    status: int = 0
    answer: Any = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Refusal:
    """A check that failed: the platform's error (by name), why (in words for the test log) and,
    when the platform says more than its error's message, what it says."""

    error: str
    why: str
    said: str | None = None


class FakeRobotPlatform(ABC):
    """A fake platform. Subclasses set ERRORS (name -> PlatformError, with "ok" the success answer),
    UNKNOWN_ROBOT (the error for a token no robot has) and implement token_of, new_token,
    error_json and check; blocked and limit carry the rate limits, counted with sent_within."""

    name = "robot"
    ERRORS: ClassVar[dict[str, PlatformError]] = {}
    UNKNOWN_ROBOT = "removed"
    MISSING_TOKEN = "removed"

    def __init__(self, *, clock: Clock = time.time):
        self.clock = clock
        self.robots: dict[str, Robot] = {}
        self.posts: list[Post] = []
        self._lock = threading.RLock()
        self._queued: dict[str, deque[str]] = defaultdict(deque)
        self._sent: dict[str, list[float]] = defaultdict(list)  # accepted posts' times per token
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running -----------------------------------------------------------------------------

    def start(self) -> Self:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer((HOST, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),  # quick stop
                                        name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the fake {self.name} is not started")
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- robots ------------------------------------------------------------------------------

    def add_robot(self, token: str | None = None, *, secret: str | None = None,
                  keyword: str | Iterable[str] | None = None, allow_ip: bool = True) -> Robot:
        keywords = (keyword,) if isinstance(keyword, str) else tuple(keyword or ())
        robot = self.prepare(Robot(token or self.new_token(), secret, keywords, allow_ip))
        with self._lock:
            self.robots[robot.token] = robot
        return robot

    def remove_robot(self, robot: Robot) -> None:
        """The robot is taken out of its group: its URL answers as an unknown one from now on."""
        with self._lock:
            self.robots.pop(robot.token, None)

    @abstractmethod
    def url(self, robot: Robot) -> str:
        """The robot's webhook URL as the platform shows it, on this fake's address."""

    def fail_next(self, robot: Robot, error: str | int, times: int = 1) -> None:
        """Answer the robot's next `times` posts with this error (a name of ERRORS, or its code)."""
        name = self._error_name(error)
        with self._lock:
            self._queued[robot.token].extend([name] * times)

    # -- what arrived ------------------------------------------------------------------------

    def accepted(self, robot: Robot | None = None) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.ok and (robot is None or p.token == robot.token)]

    @property
    def rejected(self) -> list[Post]:
        """The posts in which a check failed, each with its problems (a failure a test injected with
        fail_next is not a problem: it is in `injected`)."""
        with self._lock:
            return [p for p in self.posts if p.problems]

    def problems(self) -> list[str]:
        with self._lock:
            return [why for p in self.posts for why in p.problems]

    # -- for subclasses ----------------------------------------------------------------------

    def new_token(self) -> str:
        return secrets.token_hex(32)

    def prepare(self, robot: Robot) -> Robot:
        """The robot as the platform makes it: a ValueError for settings it does not have."""
        return robot

    @abstractmethod
    def token_of(self, path: str, query: dict[str, list[str]]) -> str | None:
        """The robot's token in a request's path or query; None when it has none."""

    @abstractmethod
    def error_json(self, name: str, error: PlatformError, post: Post) -> Any:
        """The platform's own answer for this error (its JSON, or bytes for a page)."""

    @abstractmethod
    def check(self, post: Post, robot: Robot) -> Iterator[Refusal]:
        """Every check the platform makes, in its order; the first refusal is the answer."""

    def blocked(self, robot: Robot, now: float) -> Refusal | None:
        """A refusal before any check (a robot the platform throttles)."""
        return None

    def limit(self, robot: Robot, now: float) -> Refusal | None:
        """A refusal of a post that passed every check, for its rate."""
        return None

    def sent_within(self, robot: Robot, now: float, seconds: float) -> int:
        return sum(1 for t in self._sent[robot.token] if now - seconds < t <= now)

    # -- handling ----------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            post = Post(self.token_of(parts.path, query), method, target, parts.path, query, headers,
                        body, _parsed(body), self.clock())
            self.posts.append(post)
            name = self._decide(post)
            return self._answer(post, name)

    def _decide(self, post: Post) -> str:
        if post.method != "POST" and "method" in self.ERRORS:
            post.problems.append(f"{post.method} instead of POST")
            return "method"
        robot = self.robots.get(post.token or "")
        if robot is None:
            post.problems.append("no robot has this token" if post.token else "no token in the URL")
            return self.UNKNOWN_ROBOT if post.token else self.MISSING_TOKEN
        refusals = self._refusals(post, robot)
        if post.injected:
            return post.injected
        if refusals:
            post.problems.extend(r.why for r in refusals)
            post.said = refusals[0].said
            return refusals[0].error
        post.ok = True
        self._sent[robot.token].append(post.at)
        return "ok"

    def _refusals(self, post: Post, robot: Robot) -> list[Refusal]:
        """The checks' refusals; a queued failure is answered instead, the checks still recorded."""
        if self._queued[robot.token]:
            post.injected = self._queued[robot.token].popleft()
            post.problems.extend(r.why for r in self.check(post, robot))
            return []
        blocked = self.blocked(robot, post.at)
        if blocked:
            return [blocked]
        refusals = list(self.check(post, robot))
        if refusals:
            return refusals
        limited = self.limit(robot, post.at)
        return [limited] if limited else []

    def _answer(self, post: Post, name: str) -> Answer:
        error = self.ERRORS[name]
        post.error = None if name == "ok" else name
        post.status = error.status
        post.answer = self.error_json(name, error, post)
        if isinstance(post.answer, bytes):
            return Answer(error.status, post.answer, (("Content-Type", "text/html"), *error.headers))
        body = json.dumps(post.answer, ensure_ascii=False).encode("utf-8")
        return Answer(error.status, body, (("Content-Type", "application/json; charset=utf-8"), *error.headers))

    def _error_name(self, error: str | int) -> str:
        if isinstance(error, str) and error in self.ERRORS:
            return error
        for name, known in self.ERRORS.items():
            if name != "ok" and str(known.code) == str(error):
                return name
        raise ValueError(f"the fake {self.name} knows no error {error!r}; it knows "
                         f"{', '.join(n for n in self.ERRORS if n != 'ok')}")


HTTP500 = PlatformError(None, "Internal Server Error", permanent=False, status=500)


def http500_page() -> bytes:
    return b"<html><body><h1>500 Internal Server Error</h1></body></html>"


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (where a platform looks for the robot's keyword)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _handler_for(platform: FakeRobotPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
        timeout = 10
        disable_nagle_algorithm = True  # else every keep-alive answer waits 40 ms for a delayed ACK
        wbufsize = 64 * 1024  # headers and body leave in one write (flushed after each request)

        def do_POST(self) -> None:  # the stdlib's name
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = platform.handle(method, self.path, headers, body)
            self.send_response(answer.status, HTTPStatus(answer.status).phrase)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet in tests: what arrived is in `posts`."""

    return Handler
