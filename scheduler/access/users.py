"""Coordinators who log in to the board: add, list, change password, disable, check a login.

Passwords are kept only as argon2id hashes (argon2-cffi); a login against an unknown user still
spends one hash, so response times do not tell which usernames exist. A new password or disabling
a user ends the user's board sessions on the server (scheduler/access/logins.py).
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from db.models import User
from scheduler.access.api_tokens import find_user
from scheduler.access.logins import end_sessions

hasher = PasswordHasher()
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,100}$")
MIN_PASSWORD = 8
_DUMMY = hasher.hash("no such user: the same work as a real check")


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 个字符 the password needs at least {MIN_PASSWORD} characters")
    return password


def add_user(session: Session, username: str, password: str, display_name: str | None = None) -> User:
    if not USERNAME.match(username):
        raise ValueError(f"用户名只能含字母、数字和 _ . @ -（2–100 个字符） invalid username {username!r}: "
                         "use 2-100 letters, digits, _ . @ -")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ValueError(f"用户已存在 user {username!r} already exists: use `duban users passwd`")
    user = User(username=username, password_hash=hasher.hash(check_password(password)),
                display_name=display_name)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = find_user(session, username)
    user.password_hash = hasher.hash(check_password(password))
    session.add(user)
    end_sessions(session, user)
    return user


def disable(session: Session, username: str) -> User:
    user = find_user(session, username)
    user.active = False
    session.add(user)
    end_sessions(session, user)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None (wrong name, wrong password, disabled)."""
    user = session.exec(select(User).where(User.username == username.strip())).first()
    try:
        hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user is not None and user.active else None
