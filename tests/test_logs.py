"""No secret in any log line: the bot polling and in webhook mode, email with a password, the web
side's feed, answer and webhook URLs, all at DEBUG through configure_logging's real handler; and
the levels it gives chatty libraries."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import re
import socket
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sqlmodel import Session

from bot import webhook
from bot.binding import new_invite
from bot.runner import serve_bot
from duban import wiring
from duban.logs import CHATTY, configure_logging
from scheduler.settings import Settings
from tests.bot_world import DUE_EVE, ZHANG, RunningBot, World
from tests.smtp_server import SmtpServer, auth_without_tls
from web.server import serve_web

SMTP_PASSWORD = "smtp-pa55:w/rd@密码"
SECRET_KEY = "logs-tests-secret-key-0123456789abcdef"
OPS_TOKEN = "ops-token-for-the-log-tests"
DB_PASSWORD = "db-pa55word"
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class Logged:
    """configure_logging writing to a string; the logging set-up is put back after the test."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self._saved = {name: (lg.level, lg.handlers[:], lg.propagate)
                       for name in ("", *CHATTY, *UVICORN, "py.warnings") for lg in [logging.getLogger(name)]}

    def configure(self, settings: Settings) -> None:
        for name in UVICORN:  # as in `duban run`: no uvicorn has set up logging of its own before
            lg = logging.getLogger(name)
            lg.handlers, lg.propagate, lg.level = [], True, logging.NOTSET
        configure_logging(settings, stream=self.stream)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def restore(self) -> None:
        for name, (level, handlers, propagate) in self._saved.items():
            lg = logging.getLogger(name)
            lg.setLevel(level)
            lg.handlers, lg.propagate = handlers, propagate
        logging.captureWarnings(False)


@pytest.fixture
def logged() -> Iterator[Logged]:
    log = Logged()
    yield log
    log.restore()


def all_secrets(settings: Settings) -> Settings:
    return Settings(_env_file=None, **(settings.model_dump() | {
        "secret_key": SECRET_KEY, "ops_token": OPS_TOKEN, "log_level": "DEBUG",
        "database_url": f"postgresql+psycopg://duban:{DB_PASSWORD}@db.example/duban?sslpassword=k3y-pa55"}))


def assert_none_in(text: str, secrets: dict[str, str]) -> None:
    leaked = {what: value for what, value in secrets.items() if value in text}
    assert not leaked, f"secrets in the log: {leaked}"


# --- redaction, line by line


def test_secrets_in_messages_arguments_and_tracebacks_are_masked(logged, telegram_server):
    settings = all_secrets(Settings(_env_file=None, telegram_token=telegram_server.token,
                                    smtp_url=f"smtp://duban:{quote(SMTP_PASSWORD, safe='')}@mail.example:587"))
    logged.configure(settings)
    log = logging.getLogger("duban.test")
    log.info("polling %s", f"http://api.example/bot{telegram_server.token}/getUpdates")
    log.warning("another bot's token bot987654:AAFm1n2b3v4c5x6z7_a8s9d0f-g1h2j3k4l5 and 987654:AAFm1n2b3v4c5x6z7_"
                "a8s9d0f-g1h2j3k4l5 bare")
    log.info("keys %s %s %r", SECRET_KEY, OPS_TOKEN, settings.database_url)
    log.info("links https://d.example/a/eyJ.abc.def https://d.example/u/NDU.xyz /feeds/Zm9v-YmFy.ics "
             "/telegram/%s t.me/duban_bot?start=inv1te-c0de and /start inv1te-c0de", webhook.secret(settings))
    log.debug("HTTP Request: POST https://oapi.dingtalk.com/robot/send?access_token=d1ngt0k3n&timestamp=1&sign=s1gn%3D "
              "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=w3c0m-k3y "
              "https://open.feishu.cn/open-apis/bot/v2/hook/f31shu-t0k3n")
    try:
        raise ConnectionError(f"cannot reach smtp://duban:{quote(SMTP_PASSWORD, safe='')}@mail.example "
                              f"with {SMTP_PASSWORD} nor postgresql://u@h/db?password=pw-in-the-query")
    except ConnectionError:
        log.exception("sending failed")
    assert_none_in(logged.text, {
        "token": telegram_server.token, "token's secret part": telegram_server.token.split(":")[1],
        "other bot's token": "AAFm1n2b3v4c5x6z7_a8s9d0f-g1h2j3k4l5", "secret key": SECRET_KEY, "ops token": OPS_TOKEN,
        "database password": DB_PASSWORD, "database ssl password": "k3y-pa55", "query password": "pw-in-the-query",
        "smtp password": SMTP_PASSWORD, "smtp password in a URL": quote(SMTP_PASSWORD, safe=""),
        "answer link": "eyJ.abc.def", "unsubscribe link": "NDU.xyz", "feed token": "Zm9v-YmFy",
        "webhook secret": webhook.secret(settings), "invite code": "inv1te-c0de", "dingtalk token": "d1ngt0k3n",
        "dingtalk signature": "s1gn", "wecom key": "w3c0m-k3y", "feishu token": "f31shu-t0k3n"})
    assert "/bot***/getUpdates" in logged.text and "/feeds/***" in logged.text
    assert "Traceback" in logged.text and "ConnectionError: cannot reach smtp://duban:***@mail.example" in logged.text


def test_chatty_libraries_keep_to_warnings_unless_debugging(logged):
    logged.configure(Settings(_env_file=None, log_level="INFO"))
    logging.getLogger("httpx").info('HTTP Request: POST http://api.example/getUpdates "HTTP/1.1 200 OK"')
    logging.getLogger("duban.test").info("planned")
    assert "planned" in logged.text and "HTTP Request" not in logged.text
    assert {logging.getLogger(name).level for name in CHATTY} == {logging.WARNING}
    logged.configure(Settings(_env_file=None, log_level="debug"))
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("sqlalchemy").level == logging.INFO  # no result rows (password hashes)
    assert [h.get_name() for h in logging.getLogger().handlers].count("duban") == 1  # replaced, not added


# --- end to end: every part at DEBUG


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def polling_and_email(world: World, chat_for_invite: int) -> tuple[str, str]:
    """The bot polling: /feed, an invite, /stop, reminders by Telegram and email; (feed token, invite code)."""
    with Session(world.engine) as s:
        invite = new_invite(s, world.contact("赵六"), DUE_EVE, 72)
        s.commit()
    bot = RunningBot(world).start()
    try:
        feed = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", world.say(ZHANG, "/feed").text).group(1)
        assert "赵六" in world.say(chat_for_invite, f"/start {invite.code}").text
        world.say(ZHANG, "/stop")  # 张三's reminders go by email now; his chief's still by Telegram
        _, sent = world.dispatch()
        assert sent.messages > 0 and not sent.errors
    finally:
        bot.stop()
    return feed, invite.code


async def webhook_and_web(world: World, settings: Settings, paths: list[str]) -> list[int]:
    """The bot in webhook mode behind the web side; GET `paths` and POST an update to the webhook."""
    sock, stop = free_socket(), asyncio.Event()
    port = sock.getsockname()[1]
    parts = asyncio.gather(serve_bot(world.engine, settings, stop), serve_web(world.engine, settings, stop, sock,
                                                                          wiring.web_routers(settings)))
    update = {"update_id": 91, "message": {"message_id": 1, "date": 1, "chat": {"id": 8400, "type": "private"},
                                           "from": {"id": 8400, "is_bot": False, "first_name": "访客"},
                                           "text": "/help", "entities": [{"type": "bot_command", "offset": 0,
                                                                          "length": 5}]}}
    try:
        while not world.tg.calls("setWebhook"):
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            codes = [(await client.get(path)).status_code for path in paths]
            codes.append((await client.post(f"/telegram/{webhook.secret(settings)}", json=update, headers={
                "X-Telegram-Bot-Api-Secret-Token": webhook.secret(settings)})).status_code)
        while not world.tg.sent_to(8400):
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await parts
    return codes


@auth_without_tls
def test_no_secret_reaches_the_log_at_debug(world, logged):
    with SmtpServer(auth=("duban", SMTP_PASSWORD)) as smtp:
        settings = Settings(_env_file=None, **(world.settings.model_dump() | {
            "smtp_url": smtp.url(), "secret_key": SECRET_KEY, "ops_token": OPS_TOKEN, "log_level": "DEBUG",
            "channels": ["telegram", "email"]}))
        world = dataclasses.replace(world, settings=settings)
        logged.configure(settings)
        feed, code = polling_and_email(world, chat_for_invite=7001)
        mails = [m.message.get_body(("plain",)).get_content() for m in smtp.messages]
    links = sorted({link for body in mails for link in re.findall(r"/[au]/[A-Za-z0-9._-]+", body)})
    assert {link[:3] for link in links} == {"/a/", "/u/"}, "the emails carry answer and unsubscribe links"
    hooked = Settings(_env_file=None, **(settings.model_dump() | {"telegram_mode": "webhook"}))
    codes = asyncio.run(webhook_and_web(world, hooked, [f"/feeds/{feed}.ics", *links]))
    assert set(codes) == {200}

    text = logged.text
    assert_none_in(text, {"token": world.tg.token, "token's secret part": world.tg.token.split(":")[1],
                          "smtp password": SMTP_PASSWORD, "smtp password in the URL": quote(SMTP_PASSWORD, safe=""),
                          "secret key": SECRET_KEY, "ops token": OPS_TOKEN, "feed token": feed, "invite code": code,
                          "webhook secret": webhook.secret(hooked)}
                   | {f"link {link[:3]}": link[3:] for link in links})
    # The log did see all of it, masked: Bot API calls, the bot's messages, uvicorn's access log.
    for seen in ("/bot***/getUpdates", "/bot***/setWebhook", "Calling Bot API endpoint `sendMessage`",
                 '"GET /feeds/*** HTTP/1.1" 200', '"GET /a/*** HTTP/1.1"', '"POST /telegram/*** HTTP/1.1" 200',
                 "/start ***"):
        assert seen in text, f"{seen!r} is not in the log"
