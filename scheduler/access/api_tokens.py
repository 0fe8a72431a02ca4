"""API tokens for coordinators' scripts: `duban api token USER` prints a random token once; only its
SHA-256 is kept (in KeyValue, so no schema change), and a request presents it as a bearer token."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from db.models import KeyValue, User
from db.queries import NotFound

PREFIX = "api-token:"


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def find_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise NotFound(f"没有这个用户 no user {username!r}: coordinators are added with `duban users`")
    return user


def issue(session: Session, user: User, now: datetime) -> str:
    """A fresh token for `user`; shown once, stored hashed."""
    token = "dbn_" + secrets.token_urlsafe(32)
    session.add(KeyValue(key=_key(token), value=json.dumps({"user": user.id, "at": now.isoformat()}),
                         updated_at=now))
    return token


def revoke(session: Session, user: User) -> int:
    """Delete every token of `user`; returns how many there were."""
    rows = session.exec(select(KeyValue).where(col(KeyValue.key).startswith(PREFIX))).all()
    mine = [r for r in rows if json.loads(r.value).get("user") == user.id]
    for r in mine:
        session.delete(r)
    return len(mine)


def user_for(session: Session, token: str) -> User | None:
    """The active user a token belongs to; None for an unknown, revoked or deactivated one."""
    if not token or len(token) > 200:
        return None
    row = session.get(KeyValue, _key(token))
    if row is None:
        return None
    user = session.get(User, json.loads(row.value).get("user"))
    return user if user is not None and user.active else None
