"""Running the bot: stopping it mid-stream handles no update twice and loses none (the offset is
confirmed), `duban run --only bot` stops cleanly on SIGTERM, and webhook mode takes updates
through the route the web side mounts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter

import httpx
from fastapi import FastAPI

from bot.runner import serve_bot
from duban import wiring
from tests.bot_world import RunningBot, load_world, settings_for
from tests.telegram_server import SERVER_ERROR
from web.app import create_app


def replies(world, chats) -> Counter:
    return Counter(m.chat for m in world.tg.state.sent if m.chat in chats)


def test_stopping_mid_stream_handles_no_update_twice_and_loses_none(world):
    chats = list(range(8000, 8040))
    updates = {world.tg.send_text(chat, "/help"): chat for chat in chats[:20]}
    first = RunningBot(world).start()
    world.tg.wait_for(lambda: len(replies(world, chats)) >= 5, "the first replies")
    updates |= {world.tg.send_text(chat, "/help"): chat for chat in chats[20:]}  # more arrive meanwhile
    first.stop()
    handled, confirmed = replies(world, chats), world.tg.state.confirmed
    assert set(handled.values()) == {1}
    # Exactly the updates below the confirmed offset were handled; the rest wait on the server.
    assert {chat for update, chat in updates.items() if update < confirmed} == set(handled)
    assert world.tg.pending_updates == len(chats) - len(handled)
    second = RunningBot(world).start()
    world.tg.wait_for(lambda: len(replies(world, chats)) == len(chats), "the rest of the replies")
    second.stop()
    assert replies(world, chats) == Counter(chats)  # every chat answered exactly once
    assert world.tg.pending_updates == 0


def test_duban_run_only_bot_stops_on_sigterm_after_confirming(world, tmp_path):
    env = {**os.environ, "DATABASE_URL": world.settings.database_url, "DUBAN_TELEGRAM_TOKEN": world.tg.token,
           "DUBAN_TELEGRAM_API_URL": world.tg.url, "DUBAN_TELEGRAM_POLL_TIMEOUT": "1",
           "DUBAN_SECRET_KEY": "run-tests-secret-key-0123456789abcdef", "DUBAN_LOG_LEVEL": "INFO"}
    proc = subprocess.Popen([sys.executable, "-m", "duban", "run", "--only", "bot"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        world.tg.wait_for(lambda: proc.poll() is not None or world.tg.calls("getUpdates"), "polling")
        update = world.tg.send_text(8100, "/start")
        world.tg.wait_for(lambda: world.tg.sent_to(8100), "the reply")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Telegram bot stopped" in err
    assert world.tg.token.split(":")[1] not in err  # httpx logs each request's URL: /bot<token>/getUpdates
    assert world.tg.state.confirmed > update and world.tg.pending_updates == 0


async def _post(app: FastAPI, path: str, body: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://duban") as client:
        return (await client.post(path, json=body, headers=headers)).status_code


def test_webhook_mode_takes_updates_through_the_web_route(engine, tmp_path, telegram_server):
    load_world(engine, tmp_path)
    tg = telegram_server
    settings = settings_for(engine, tg, telegram_mode="webhook", telegram_webhook_secret="s3cret-path_42")
    app = create_app(engine, settings, routers=wiring.web_routers(settings))  # the root mounts it in webhook mode
    update = {"update_id": 77, "message": {"message_id": 1, "date": 1, "chat": {"id": 8200, "type": "private"},
                                           "from": {"id": 8200, "is_bot": False, "first_name": "访客"},
                                           "text": "/start", "entities": [{"type": "bot_command", "offset": 0,
                                                                           "length": 6}]}}

    async def scenario() -> list[int]:
        codes = [await _post(app, "/telegram/s3cret-path_42", update, "s3cret-path_42")]  # bot not running yet
        stop = asyncio.Event()
        task = asyncio.create_task(serve_bot(engine, settings, stop))
        while not tg.calls("setWebhook"):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        codes += [await _post(app, "/telegram/wrong", update, "s3cret-path_42"),
                  await _post(app, "/telegram/s3cret-path_42", update, "wrong"),
                  await _post(app, "/telegram/s3cret-path_42", update, None),
                  await _post(app, "/telegram/s3cret-path_42", {"no": "update"}, "s3cret-path_42"),
                  await _post(app, "/telegram/s3cret-path_42", update, "s3cret-path_42")]
        while not tg.sent_to(8200):
            await asyncio.sleep(0.01)
        stop.set()
        await task
        return codes

    assert asyncio.run(scenario()) == [503, 403, 403, 403, 400, 200]
    assert tg.calls("setWebhook")[0].params["url"] == "https://duban.example.org/telegram/s3cret-path_42"
    assert tg.calls("setWebhook")[0].params["secret_token"] == "s3cret-path_42"
    assert not tg.calls("getUpdates")  # no polling in webhook mode
    assert "尚未绑定" in tg.sent_to(8200)[0].text


def test_the_bot_starts_through_a_flaky_bot_api(world):
    world.tg.fail_next(SERVER_ERROR, method="deleteWebhook", times=2)  # polling's bootstrap retries
    world.tg.fail_next(SERVER_ERROR, method="setMyCommands", times=4)  # no menu: a warning, not a failure
    world.tg.fail_next(SERVER_ERROR, method="getUpdates", times=2)
    running = RunningBot(world).start()
    try:
        assert "尚未绑定" in world.say(8300, "/start").text
    finally:
        running.stop()
    assert [c.status for c in world.tg.calls("deleteWebhook")] == [500, 500, 200]


def test_a_bot_api_that_is_down_does_not_keep_the_bot_from_stopping(engine, tmp_path, telegram_server):
    port = telegram_server.port
    telegram_server.__exit__(None, None, None)  # nothing listens there any more
    settings = settings_for(engine, telegram_server, telegram_api_url=f"http://127.0.0.1:{port}")

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(serve_bot(engine, settings, stop))
        await asyncio.sleep(1.5)  # a getMe or two has failed by now
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
