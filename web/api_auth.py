"""Who is calling: a coordinator, by an API bearer token (`duban api token USER`) or, for
read-only downloads, by the board's login (web/auth.py).

`Coordinator` guards the JSON API (tokens only); `Reader` the reports (token or board session).
A missing or wrong token is a 401 with a clear message, never a stack trace.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from db.models import User
from scheduler.access.api_tokens import user_for
from web.auth import visit
from web.deps import SessionDep

bearer = HTTPBearer(auto_error=False, description="`duban api token USER` issues one.")
UNAUTHORIZED = ("需要督办人员的接口令牌 a coordinator's API token is needed: send "
                "`Authorization: Bearer TOKEN` (issue one with `duban api token USER`)")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def coordinator(session: SessionDep, credentials: Credentials) -> User:
    """The API's door: a bearer token only, so a browser's board cookie can never POST here."""
    user = user_for(session, credentials.credentials) if credentials is not None else None
    if user is None:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    return user


def reader(request: Request, session: SessionDep, credentials: Credentials) -> User | None:
    """For read-only downloads (reports): a bearer token, else the board's logged-in coordinator."""
    if credentials is not None:
        return user_for(session, credentials.credentials)
    return visit(request, session).user


Coordinator = Annotated[User, Depends(coordinator)]
Reader = Annotated[User | None, Depends(reader)]
