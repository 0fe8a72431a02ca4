"""What a route needs from the app: a database session, the clock, the settings, the signer.

One way for every route: `session: Session = Depends(db)`, `now: datetime = Depends(clock)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Request
from sqlmodel import Session

from scheduler.access.links import Signer
from scheduler.settings import Settings

CLOSERS = 8  # threads that only give connections back: each close is one short round trip


async def db(request: Request) -> AsyncIterator[Session]:
    """A session per request; the route commits what it changes. Opening one does no I/O (it
    connects on first use, in the route's thread), so it runs on the event loop. Closing gives the
    connection back (a ROLLBACK), in threads of its own: in the shared pool, a close could wait
    behind routes that hold every thread while waiting for a connection only closes free."""
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        await to_thread.run_sync(session.close, limiter=_closers(request.app.state))


def _closers(state) -> CapacityLimiter:
    if not hasattr(state, "closers"):  # made here, inside the running event loop
        state.closers = CapacityLimiter(CLOSERS)
    return state.closers


# The three below only read app state: `async def` runs them on the event loop, where a plain
# `def` would cost each request a hop to the thread pool and back per dependency.
async def clock(request: Request) -> datetime:
    return request.app.state.clock()


async def settings(request: Request) -> Settings:
    return request.app.state.settings


async def signer(request: Request) -> Signer:
    return request.app.state.signer


# The same dependencies as annotated types, for routes: `session: SessionDep, now: NowDep`.
SessionDep = Annotated[Session, Depends(db)]
NowDep = Annotated[datetime, Depends(clock)]
SettingsDep = Annotated[Settings, Depends(settings)]
SignerDep = Annotated[Signer, Depends(signer)]
