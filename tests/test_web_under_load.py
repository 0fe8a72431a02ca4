"""More requests at once than the web app has threads and database connections: all answered.

A request's session gives its connection back after the route returns. Were that close queued
with the routes in the one thread pool, routes holding every thread while waiting for a
connection would wait on closes that wait for a thread: each stuck until the pool's timeout,
then a 500. Here 24 feed requests share 2 threads and 1 connection.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import Session, create_engine

from scheduler.access import feed_tokens
from tests import web_world

REQUESTS = 24


def test_more_requests_than_threads_and_connections_are_all_answered(db_url, tmp_path, web_server) -> None:
    engine = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=5)
    web_world.load_demo(engine, tmp_path)
    with Session(engine) as s:
        token = feed_tokens.ensure(s, feed_tokens.scope_of(s, "市环保局"), web_world.signer(), web_world.NOW)
        s.commit()
    base = web_server(engine, web_world.settings(), lambda: web_world.NOW, threads=2)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            answers = await asyncio.gather(*(client.get(f"/feeds/{token}.ics") for _ in range(REQUESTS)))
        return [r.status_code for r in answers]

    assert asyncio.run(burst()) == [200] * REQUESTS
    engine.dispose()
