"""Webhook mode: a FastAPI route the web side mounts, POST /telegram/{secret}, that hands each
update to the running bot application.

The path carries a secret, and Telegram echoes `secret_token` in a header; both must match, so
nobody else can feed the bot updates. Until the bot has started (or after it stopped) the route
answers 503, and Telegram delivers the update again later.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Header, Request, Response
from telegram import Update
from telegram.ext import Application

from scheduler.settings import Settings

log = logging.getLogger(__name__)
_running: list[Application] = []  # the application serve_bot published, if any


def secret(settings: Settings) -> str:
    """The webhook secret: configured, else derived from the token (Settings.webhook_secret)."""
    return settings.webhook_secret()


def url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/telegram/{secret(settings)}"


def publish(application: Application) -> None:
    _running[:] = [application]


def withdraw(application: Application) -> None:
    if application in _running:
        _running.remove(application)


def router(settings: Settings, application: Application | None = None) -> APIRouter:
    """The route for the web app: `app.include_router(bot.webhook.router(settings))`. Without an
    `application` it feeds the one `serve_bot` publishes when it starts in webhook mode."""
    expected = secret(settings)
    routes = APIRouter()

    @routes.post("/telegram/{path_secret}", include_in_schema=False)
    async def telegram_update(path_secret: str, request: Request,
                              x_telegram_bot_api_secret_token: str | None = Header(default=None)) -> Response:
        if not (hmac.compare_digest(path_secret, expected)
                and hmac.compare_digest(x_telegram_bot_api_secret_token or "", expected)):
            log.warning("refused a webhook call with a wrong secret from %s",
                        request.client.host if request.client else "?")
            return Response(status_code=403)
        target = application or (_running[0] if _running else None)
        if target is None or not target.running:
            return Response(status_code=503, headers={"Retry-After": "5"})
        try:
            update = Update.de_json(await request.json(), target.bot)
        except (ValueError, KeyError, TypeError, AttributeError):  # not JSON, or not an update
            return Response(status_code=400)
        await target.update_queue.put(update)
        return Response(status_code=200)

    return routes
