"""A real uvicorn serving Duban's web app on a free loopback port, in a thread, for browser and
load tests: `web_server(engine, settings, clock)` is a context manager that yields the base URL.

The fixture `web_server` hands tests that factory, so each test picks its own database, settings
and clock; every server it started is stopped when the test ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
import uvicorn
from anyio import to_thread
from sqlalchemy.engine import Engine

from scheduler.settings import Settings
from web.app import create_app
from web.server import NO_PROXY_HEADERS

HOST = "127.0.0.1"


@contextlib.contextmanager
def serve(engine: Engine, settings: Settings, clock: Callable[[], datetime], *,
          threads: int | None = None) -> Iterator[str]:
    """Serve `create_app(engine, settings, clock=clock)` until the block ends; yields the base URL.
    `threads` shrinks the pool that runs sync routes (anyio's default is 40), for tests that
    want more requests than threads."""
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so (no 40 ms delayed ACKs)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    app = create_app(engine, settings, clock=clock)
    if threads is not None:
        @app.middleware("http")
        async def few_threads(request, call_next):  # the limiter belongs to the server's event loop
            to_thread.current_default_thread_limiter().total_tokens = threads
            return await call_next(request)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, **NO_PROXY_HEADERS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Duban web server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def web_server() -> Iterator[Callable[..., str]]:
    """`url = web_server(engine, settings, clock)`: a running server, stopped after the test."""
    with contextlib.ExitStack() as stack:
        def start(engine: Engine, settings: Settings, clock: Callable[[], datetime], **options: object) -> str:
            return stack.enter_context(serve(engine, settings, clock, **options))

        yield start
