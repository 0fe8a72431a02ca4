"""What a route needs from the app: a database session, the clock, the settings, the signer.

One way for every route: `session: Session = Depends(db)`, `now: datetime = Depends(clock)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from scheduler.links import Signer
from scheduler.settings import Settings


def db(request: Request) -> Iterator[Session]:
    """A session per request; the route commits what it changes."""
    with Session(request.app.state.engine) as session:
        yield session


def clock(request: Request) -> datetime:
    return request.app.state.clock()


def settings(request: Request) -> Settings:
    return request.app.state.settings


def signer(request: Request) -> Signer:
    return request.app.state.signer


# The same dependencies as annotated types, for routes: `session: SessionDep, now: NowDep`.
SessionDep = Annotated[Session, Depends(db)]
NowDep = Annotated[datetime, Depends(clock)]
SettingsDep = Annotated[Settings, Depends(settings)]
SignerDep = Annotated[Signer, Depends(signer)]
