"""Serving the web app with uvicorn inside `duban run`'s event loop, until the stop event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Sequence

import uvicorn
from fastapi import APIRouter
from sqlalchemy.engine import Engine

from scheduler.settings import Settings
from web.app import create_app

log = logging.getLogger(__name__)
# uvicorn believes X-Forwarded-For from loopback by default, which let anyone on this machine (or
# behind a proxy here) choose their address; the app reads it itself, and only from the proxies in
# DUBAN_TRUSTED_PROXIES (web/proxies.py). tests/web_server.py serves with the same options.
NO_PROXY_HEADERS = {"proxy_headers": False, "forwarded_allow_ips": ""}


class CannotListen(Exception):
    """The web side cannot take its address (a port in use, not allowed): str() says why."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: `duban run` owns them, one for every part."""

    def capture_signals(self):  # type: ignore[override]
        return contextlib.nullcontext()


def listen(settings: Settings) -> socket.socket:
    """Bind before any part starts, and here rather than in uvicorn, which exits the whole process
    when it cannot."""
    host, port = settings.web_host, settings.web_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotListen(f"web: could not listen on {host}:{port} ({exc.strerror}); "
                          f"set DUBAN_WEB_PORT or stop what uses it / 端口被占用或无权使用") from None
    return sock


async def serve_web(engine: Engine, settings: Settings, stop: asyncio.Event, sock: socket.socket,
                    routers: Sequence[APIRouter] = ()) -> None:
    """Serve on `sock` (from `listen`), with other parts' `routers` (create_app); finish requests
    in hand and return once `stop` is set."""
    # No logging setup of uvicorn's own: its lines (the access log's paths hold feed, answer and
    # webhook secrets) go through Duban's redacting handler at the levels duban/logs.py sets.
    config = uvicorn.Config(create_app(engine, settings, routers=routers), log_config=None, log_level=None, lifespan="off",
                            **NO_PROXY_HEADERS)
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    log.warning("web: listening on http://%s:%s (links start with %s)",
                settings.web_host, settings.web_port, settings.public_url)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    stop.set()  # if the server ended on its own, the other parts stop too
    await serving
    sock.close()
