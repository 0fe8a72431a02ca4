"""Serving the web app with uvicorn inside `duban run`'s event loop, until the stop event."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from sqlalchemy.engine import Engine

from scheduler.settings import Settings
from web.app import create_app

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: `duban run` owns them, one for every part."""

    def capture_signals(self):  # type: ignore[override]
        return contextlib.nullcontext()


async def serve_web(engine: Engine, settings: Settings, stop: asyncio.Event) -> None:
    """Listen on DUBAN_WEB_HOST:DUBAN_WEB_PORT; finish requests in hand and return once `stop` is set."""
    app = create_app(engine, settings)
    config = uvicorn.Config(app, host=settings.web_host, port=settings.web_port, log_level="warning",
                            lifespan="off", proxy_headers=True)
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    log.warning("web: listening on http://%s:%s (links start with %s)",
                settings.web_host, settings.web_port, settings.public_url)
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if serving in done:  # uvicorn gave up (e.g. the port is taken): say so and stop the rest
        stopping.cancel()
        stop.set()
        if not server.started:  # uvicorn logged why (e.g. the port is taken); it exits with SystemExit
            raise SystemExit(f"web: could not listen on {settings.web_host}:{settings.web_port}")
        serving.result()
        return
    server.should_exit = True
    await serving
