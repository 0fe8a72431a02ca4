"""A local Telegram Bot API server for tests and benchmarks: HTTP on 127.0.0.1, a free port.

It speaks the methods Duban uses ({root}/bot{token}/{method}: getMe, getUpdates with long
polling and offset confirmation, sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, setMyCommands, deleteWebhook, setWebhook, getChat) and checks what a real
server checks: Telegram-HTML that parses, at most 4096 characters, callback data of at most 64
bytes, "message is not modified". It records every call, lets a test queue updates (messages,
commands, button presses), injects errors on demand (429 with retry_after, 5xx, 403 "bot was
blocked by the user", 400 "chat not found", migrate_to_chat_id), can enforce flood limits, and
keeps every chat's send times.

    with TelegramServer() as tg:
        settings = Settings(telegram_token=tg.token, telegram_api_url=tg.url, ...)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Self
from urllib.parse import parse_qsl

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HOST = "127.0.0.1"
TOKEN = "123456:TEST-token_for-duban"
BOT = {"id": 123456, "is_bot": True, "first_name": "督办", "username": "duban_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
STRINGS = {"text", "callback_query_id", "url", "secret_token", "language_code", "parse_mode", "data"}
_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
         "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code", "pre": "pre",
         "a": "text_link", "tg-spoiler": "spoiler", "blockquote": "blockquote"}


class ApiError(Exception):
    """An answer with ok=false, as Telegram sends it."""

    def __init__(self, code: int, description: str, **parameters: Any):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        return body | ({"parameters": self.parameters} if self.parameters else {})


def retry_after(seconds: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


SERVER_ERROR = ApiError(500, "Internal Server Error")
BAD_GATEWAY = ApiError(502, "Bad Gateway")
BLOCKED = ApiError(403, "Forbidden: bot was blocked by the user")
DEACTIVATED = ApiError(403, "Forbidden: user is deactivated")
CHAT_NOT_FOUND = ApiError(400, "Bad Request: chat not found")


def migrated(new_chat: int) -> ApiError:
    return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=new_chat)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Entities(HTMLParser):
    """Telegram-HTML to (text, entities), refusing what Telegram refuses."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.entities, self.open = "", [], []

    def handle_starttag(self, tag, attrs):
        if tag not in _TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\"")
        entity = {"type": _TAGS[tag], "offset": _utf16(self.text)}
        if tag == "a":
            entity["url"] = dict(attrs).get("href") or ""
        self.open.append((tag, entity))

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: Unexpected end tag \"{tag}\"")
        _, entity = self.open.pop()
        entity["length"] = _utf16(self.text) - entity["offset"]
        if entity["length"]:
            self.entities.append(entity)

    def handle_data(self, data):
        self.text += data


def parse_html(markup: str) -> tuple[str, list[dict]]:
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", markup):
        raise ApiError(400, "Bad Request: can't parse entities: Unsupported HTML entity")
    parser = _Entities()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag \"{parser.open[-1][0]}\"")
    return parser.text, sorted(parser.entities, key=lambda e: e["offset"])


def chat_json(chat: int) -> dict:
    if chat > 0:
        return {"id": chat, "type": "private", "first_name": f"用户{chat}"}
    kind = "supergroup" if chat < -10**12 else "group"
    return {"id": chat, "type": kind, "title": f"群组{chat}"}


def user_json(user: int, language: str = "zh-hans", name: str | None = None) -> dict:
    return {"id": user, "is_bot": False, "first_name": name or f"用户{user}", "language_code": language}


@dataclass
class Sent:
    """A message the bot sent, as it stands now (edits change it)."""

    chat: int
    message_id: int
    html: str
    text: str
    entities: list[dict]
    markup: dict | None
    date: int
    edits: int = 0

    def json(self) -> dict:
        body = {"message_id": self.message_id, "date": self.date, "chat": chat_json(self.chat), "from": BOT,
                "text": self.text}
        if self.entities:
            body["entities"] = self.entities
        if self.markup:
            body["reply_markup"] = self.markup
        if self.edits:
            body["edit_date"] = self.date
        return body

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Call:
    method: str
    params: dict
    at: float
    status: int = 200
    error: dict | None = None  # the answer when it was an error (parameters: retry_after ...)


@dataclass
class Flood:
    """Telegram's flood limits as token buckets: `per_second` overall (bursts of that many), one
    message per `chat_seconds` to a chat; `slack` forgives a client's timer jitter."""

    per_second: float = 30.0
    chat_seconds: float = 1.0
    slack: float = 0.05

    def __post_init__(self):
        self._tokens, self._last = self.per_second, time.monotonic()
        self._chats: dict[int, float] = {}

    def admit(self, chat: int, now: float) -> float:
        """0 when the message may go now, else the seconds to wait."""
        self._tokens = min(self.per_second, self._tokens + (now - self._last) * self.per_second)
        self._last = now
        early = self.chat_seconds - (now - self._chats.get(chat, -math.inf))
        if early > self.chat_seconds * self.slack:
            return early
        if self._tokens < 1 - max(1.0, self.per_second * self.slack):
            return (1 - self._tokens) / self.per_second
        self._tokens -= 1
        self._chats[chat] = now
        return 0.0


@dataclass
class _State:
    updates: list[dict] = field(default_factory=list)
    confirmed: int = 0  # every update below this id has been confirmed by an offset
    handed: Counter = field(default_factory=Counter)  # update id -> times getUpdates returned it
    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    messages: dict[tuple[int, int], Sent] = field(default_factory=dict)
    send_times: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    faults: list[tuple[str, int | None, ApiError]] = field(default_factory=list)
    blocked: dict[int, ApiError] = field(default_factory=dict)
    moved: dict[int, int] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    answers: dict[str, dict] = field(default_factory=dict)
    queries: set[str] = field(default_factory=set)
    webhook: dict = field(default_factory=dict)
    too_many: int = 0
    polls: int = 0  # getUpdates calls: each new one ends the one still waiting, as Telegram does
    conflicts: int = 0  # getUpdates calls ended by a newer one (409: two pollers at once)


class TelegramServer:
    """The fake Bot API; a context manager that serves on a free loopback port in a thread."""

    def __init__(self, token: str = TOKEN, flood: Flood | None = None):
        self.token, self.flood = token, flood
        self.state = _State()
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._queries = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- running -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Self:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so; without it each
        # answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind((HOST, 0))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                                Route("/_stats", self._stats)])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Telegram server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    # -- what tests set up ---------------------------------------------------------------
    def fail_next(self, error: ApiError, *, method: str = "sendMessage", chat: int | None = None,
                  times: int = 1) -> None:
        """The next `times` calls of `method` (to `chat`, if given) answer `error`."""
        with self.lock:
            self.state.faults += [(method, chat, error)] * times

    def block(self, chat: int, error: ApiError = BLOCKED) -> None:
        """Every message to `chat` fails with `error` from now on (blocked bot, deleted chat)."""
        with self.lock:
            self.state.blocked[chat] = error

    def migrate(self, chat: int, new_chat: int) -> None:
        """`chat` became the supergroup `new_chat`: sends to the old id answer migrate_to_chat_id."""
        with self.lock:
            self.state.moved[chat] = new_chat

    def _queue(self, body: dict) -> int:
        with self.lock:
            update_id = next(self._update_ids)
            self.state.updates.append({"update_id": update_id, **body})
            return update_id

    def send_text(self, chat: int, text: str, *, user: int | None = None, language: str = "zh-hans",
                  reply_to: int | None = None) -> int:
        """A person writes `text` (a command when it starts with /) in `chat`; returns the update id."""
        user = user or (chat if chat > 0 else 424242)
        message = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat_json(chat),
                   "from": user_json(user, language), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16(text.split()[0])}]
        if reply_to is not None and (chat, reply_to) in self.state.messages:
            message["reply_to_message"] = self.state.messages[(chat, reply_to)].json()
        return self._queue({"message": message})

    def press(self, chat: int, message_id: int, data: str, *, user: int | None = None,
              language: str = "zh-hans") -> tuple[int, str]:
        """A person presses a button with `data` under the bot's message; returns (update id, query id)."""
        user = user or (chat if chat > 0 else 424242)
        with self.lock:
            sent = self.state.messages.get((chat, message_id))
            query_id = f"q{next(self._queries)}"
            self.state.queries.add(query_id)
        message = sent.json() if sent else {"message_id": message_id, "date": 0, "chat": chat_json(chat)}
        body = {"id": query_id, "from": user_json(user, language), "message": message,
                "chat_instance": f"ci{chat}", "data": data}
        return self._queue({"callback_query": body}), query_id

    # -- what tests read -----------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def sent_to(self, chat: int) -> list[Sent]:
        with self.lock:
            return [m for m in self.state.sent if m.chat == chat]

    def message(self, chat: int, message_id: int) -> Sent:
        with self.lock:
            return self.state.messages[(chat, message_id)]

    def answer_to(self, query_id: str) -> dict | None:
        with self.lock:
            return self.state.answers.get(query_id)

    @property
    def pending_updates(self) -> int:
        with self.lock:
            return sum(1 for u in self.state.updates if u["update_id"] >= self.state.confirmed)

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
        """Block until `condition()` is truthy (returns it); fail naming `what` after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.01)

    def max_chat_rate(self, window: float = 1.0) -> int:
        """The most messages any one chat received within `window` seconds."""
        with self.lock:
            times = [sorted(t) for t in self.state.send_times.values()]
        return max((most_within(ts, window) for ts in times), default=0)

    def max_rate(self, window: float = 1.0) -> int:
        """The most messages the bot sent, to all chats together, within `window` seconds."""
        with self.lock:
            times = sorted(t for ts in self.state.send_times.values() for t in ts)
        return most_within(times, window)

    def stats(self) -> dict:
        """What a benchmark in another process wants to know (GET /_stats)."""
        with self.lock:
            sends = [c for c in self.state.calls if c.method == "sendMessage"]
            ok = [c.at for c in sends if c.status == 200]
            too_many = self.state.too_many
        return {"sent": len(ok), "too_many": too_many, "max_chat_rate": self.max_chat_rate(),
                "first": min(ok, default=0), "last": max(ok, default=0)}

    # -- the HTTP side -------------------------------------------------------------------
    async def _stats(self, request: Request) -> JSONResponse:
        return JSONResponse(self.stats())

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await _params(request)
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        call = Call(method, params, time.monotonic())
        try:
            if method == "getUpdates":
                with self.lock:
                    self._fault(method, None)
                result = await self._get_updates(params, request)
            else:
                with self.lock:
                    result = self._handle(method, params, call)
        except ApiError as exc:
            call.status, call.error = exc.code, exc.body()
            with self.lock:
                self.state.too_many += exc.code == 429
            return JSONResponse(exc.body(), exc.code)
        finally:
            with self.lock:
                self.state.calls.append(call)
        return JSONResponse({"ok": True, "result": result})

    async def _get_updates(self, params: dict, request: Request) -> list[dict]:
        """Long polling as Telegram does it: one caller at a time (a newer call ends the one still
        waiting with 409 Conflict); a caller that went away (killed) stops waiting."""
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self.lock:
            self.state.polls += 1
            mine = self.state.polls
        while True:
            if self.state.polls != mine:
                if await request.is_disconnected():  # a stopped poller's last call, not a second poller
                    return []
                with self.lock:
                    self.state.conflicts += 1
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that "
                               "only one bot instance is running")
            with self.lock:
                if offset:  # an offset confirms every update before it, for good
                    self.state.confirmed = max(self.state.confirmed, offset)
                    self.state.updates = [u for u in self.state.updates if u["update_id"] >= offset]
                ready = self.state.updates[:limit]
                if ready or time.monotonic() >= deadline:
                    self.state.handed.update(u["update_id"] for u in ready)
                    return ready
            if await request.is_disconnected():
                return []
            await asyncio.sleep(0.01)

    def _fault(self, method: str, chat: int | None) -> None:
        for i, (m, c, error) in enumerate(self.state.faults):
            if m == method and (c is None or c == chat):
                del self.state.faults[i]
                raise error

    def _handle(self, method: str, params: dict, call: Call) -> Any:
        chat = int(params["chat_id"]) if "chat_id" in params else None
        self._fault(method, chat)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params, chat, call)

    def _m_getMe(self, params, chat, call):
        return BOT

    def _m_getChat(self, params, chat, call):
        return chat_json(chat)

    def _m_setMyCommands(self, params, chat, call):
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.state.commands[(scope, params.get("language_code") or "")] = params["commands"]
        return True

    def _m_deleteWebhook(self, params, chat, call):
        self.state.webhook = {}
        return True

    def _m_setWebhook(self, params, chat, call):
        self.state.webhook = params
        return True

    def _m_answerCallbackQuery(self, params, chat, call):
        query = params["callback_query_id"]
        if query not in self.state.queries or query in self.state.answers:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.state.answers[query] = params
        return True

    def _deliverable(self, chat: int, now: float) -> None:
        if chat in self.state.moved:
            raise migrated(self.state.moved[chat])
        if chat in self.state.blocked:
            raise self.state.blocked[chat]
        if self.flood is not None and (wait := self.flood.admit(chat, now)):
            raise retry_after(max(1, math.ceil(wait)))

    def _m_sendMessage(self, params, chat, call):
        self._deliverable(chat, call.at)
        text, entities, markup = _content(params)
        sent = Sent(chat, next(self._ids), params["text"], text, entities, markup, int(time.time()))
        self.state.sent.append(sent)
        self.state.messages[(chat, sent.message_id)] = sent
        self.state.send_times[chat].append(call.at)
        return sent.json()

    def _existing(self, params, chat) -> Sent:
        sent = self.state.messages.get((chat, int(params.get("message_id", 0))))
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return sent

    def _m_editMessageText(self, params, chat, call):
        sent = self._existing(params, chat)
        text, entities, markup = _content(params)
        if (text, entities, markup) == (sent.text, sent.entities, sent.markup):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup of the message")
        sent.html, sent.text, sent.entities, sent.markup = params["text"], text, entities, markup
        sent.edits += 1
        return sent.json()

    def _m_editMessageReplyMarkup(self, params, chat, call):
        sent = self._existing(params, chat)
        markup = _markup(params.get("reply_markup"))
        if markup == sent.markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup of the message")
        sent.markup = markup
        sent.edits += 1
        return sent.json()


def most_within(times: list[float], window: float) -> int:
    """The most of the sorted `times` inside any `window` seconds."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _markup(value: dict | None) -> dict | None:
    """Inline keyboards as Telegram checks them (callback data 1-64 bytes); other markups dropped."""
    if not value or "inline_keyboard" not in value:
        return None
    for row in value["inline_keyboard"]:
        for b in row:
            if not 1 <= len(b.get("callback_data", "x").encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return value if value["inline_keyboard"] else None


def _content(params: dict) -> tuple[str, list[dict], dict | None]:
    raw = params.get("text") or ""
    text, entities = parse_html(raw) if params.get("parse_mode") == "HTML" else (raw, [])
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    return text, entities, _markup(params.get("reply_markup"))


async def _params(request: Request) -> dict:
    """The call's parameters: JSON bodies as they are; form fields (what PTB sends) decoded, with
    JSON values (markups, lists, numbers) parsed and text fields kept as text."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        return await request.json()
    if kind.startswith("multipart/"):
        fields = list((await request.form()).items())
    else:  # urlencoded (PTB without files) or a GET query
        fields = parse_qsl((await request.body()).decode() or request.url.query, keep_blank_values=True)
    params = {}
    for key, raw in fields:
        if key in STRINGS:
            params[key] = raw
            continue
        try:
            params[key] = json.loads(raw)
        except (TypeError, ValueError):
            params[key] = raw
    return params


@pytest.fixture
def telegram_server():
    with TelegramServer() as server:
        yield server



def main() -> None:
    """`python -m tests.telegram_server [PER_SECOND]`: serve (with flood limits when given) until
    killed; prints the port first. Benchmarks run it in its own process, away from their GIL."""
    import sys

    flood = Flood(per_second=float(sys.argv[1])) if len(sys.argv) > 1 and float(sys.argv[1]) else None
    with TelegramServer(flood=flood) as server:
        print(server.port, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
