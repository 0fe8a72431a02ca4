"""The HTTP side in one FastAPI app: feeds, answer links, the board, reports, the JSON API,
health and metrics. Each concern is its own module with a `router`; this file only joins them.

The app holds no globals: the engine, settings and clock live in `app.state`, so tests build
as many apps as they like against their own databases and clocks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from scheduler.settings import Settings


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = _utcnow) -> FastAPI:
    """The web app over one database; in Telegram webhook mode it also takes the bot's updates."""
    from scheduler import wiring
    from web import pages

    app = FastAPI(title="Duban 督办", version="1", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.state.clock = clock
    app.state.signer = wiring.signer(settings, now=clock)
    app.state.calendars = wiring.calendars(settings)
    pages.install(app)
    for router in _routers():
        app.include_router(router)
    if settings.telegram_token is not None and settings.telegram_mode == "webhook":
        from bot.webhook import router as webhook_router

        app.include_router(webhook_router(settings))  # feeds whichever bot serve_bot started
    return app


def _routers() -> list:
    """Every part's router, in the order their paths should match."""
    from web import answer_links, api, auth, board, health, metrics, reports
    from web import feeds as feed_routes

    # feeds first: calendar apps polling them are most of the requests, matched before the rest
    return [feed_routes.router, health.router, metrics.router, answer_links.router, reports.router, api.router,
            auth.router, board.router]
