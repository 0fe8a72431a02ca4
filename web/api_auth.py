"""Who is calling: a coordinator, by an API bearer token (`duban api token USER`).

One dependency, `Coordinator`, for every route that only coordinators may use (the JSON API and
the reports). A missing or wrong token is a 401 with a clear message, never a stack trace.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from db.models import User
from scheduler.api_tokens import user_for
from web.deps import SessionDep

bearer = HTTPBearer(auto_error=False, description="`duban api token USER` issues one.")
UNAUTHORIZED = ("需要督办人员的接口令牌 a coordinator's API token is needed: send "
                "`Authorization: Bearer TOKEN` (issue one with `duban api token USER`)")


def coordinator(session: SessionDep,
                credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    user = user_for(session, credentials.credentials) if credentials is not None else None
    if user is None:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    return user


Coordinator = Annotated[User, Depends(coordinator)]
