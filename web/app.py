"""The HTTP side in one FastAPI app: feeds, answer links, the board, reports, the JSON API and
its docs, health and metrics. Each concern is its own module with a `router`; this file only joins them.

The app holds no globals: the engine, settings and clock live in `app.state`, so tests build
as many apps as they like against their own databases and clocks.

Around everything, even the 500 page: the caller's address from trusted proxies (web/proxies.py)
and the security headers (`SecurityHeaders`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.access.links import signer_for
from scheduler.calendar.workdays import calendars
from scheduler.settings import Settings
from web import api_docs
from web.proxies import TrustedProxies

# The pages use no JavaScript, fetch nothing from elsewhere and draw charts as inline SVG; only
# style="" attributes and the <style> of base.html need 'unsafe-inline' (styles, not scripts).
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
# Swagger UI (/api/docs) runs scripts, all from this server (web/api_docs.py); it shows no data of
# ours until it reads /api/openapi.json, so this one page gets its own policy.
DOCS_POLICY = api_docs.POLICY
HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer")]  # answer links carry their signed token in the URL
NAMES = {name for name, _ in HEADERS} | {b"content-security-policy"}


class SecurityHeaders:
    """ASGI middleware: every response gets HEADERS and a Content-Security-Policy."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = (DOCS_POLICY if scope["path"] == api_docs.DOCS else PAGE_POLICY).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in NAMES]
                message = {**message, "headers": [*kept, *HEADERS, (b"content-security-policy", policy)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DubanApp(FastAPI):
    """FastAPI with the outermost layers of its own, outside even the handler of unexpected errors."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(TrustedProxies(super().build_middleware_stack(), self.state.settings.trusted_proxies))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = _utcnow,
               routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The web app over one database, with the `routers` of other parts after its own (the
    process root passes the bot's webhook route in Telegram webhook mode: web/ imports no bot/)."""
    from web import pages

    app = DubanApp(title="Duban 督办", version="1", docs_url=None, openapi_url=api_docs.OPENAPI, redoc_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.state.clock = clock
    app.state.signer = signer_for(settings, now=clock)
    app.state.calendars = calendars(settings.extra_holidays, settings.extra_workdays)
    pages.install(app)
    for router in [*_routers(), *routers]:
        app.include_router(router)
    return app


def _routers() -> list:
    """Every part's router, in the order their paths should match."""
    from web import answer_links, api, auth, board, health, metrics, plan_import, reports, robots
    from web import feeds as feed_routes

    # feeds first: calendar apps polling them are most of the requests, matched before the rest
    return [feed_routes.router, health.router, metrics.router, answer_links.router, reports.router, api.router,
            api_docs.router, auth.router, board.router, plan_import.router, robots.router]
