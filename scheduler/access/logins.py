"""Board logins kept on the server: sessions, and the failed logins that slow guessing down.

Both live in the database (tables `boardsession`, `loginfailure`), so they hold across restarts
and across instances sharing one database; everything here takes the session and `now` (the app's
clock). web/auth.py is the HTTP side (cookies, forms); `duban users passwd|disable` end sessions.

Sessions: a login gets a new random id (the cookie carries it); the row keeps only its SHA-256 and
an expiry 12 hours on. Logout deletes the row; a password change or disabling the user deletes all
of the user's rows.

Failed logins (one row per key a try was made under; keys are hashes, so no names or addresses):
- per username + address: MAX_FAILURES within WINDOW, then that pair waits until the oldest of
  them leaves the window. An attacker locks a username out only at their own address.
- per username from any address: USER_FREE failures within USER_WINDOW are free; after that every
  try for the username waits `user_delay(n)` (2 s doubling to 60 s) after its last failure. This
  bounds guessing spread over many addresses to about 60 an hour; a person at an address with no
  failures waits at most that delay.
- per browser: a browser that logged in as the username before (a signed device cookie) is not
  slowed by failures elsewhere, so an attacker keeping the username's delay busy does not lock
  its people out of their own browsers; the cookie itself stops counting after MAX_FAILURES
  failures within WINDOW, so a stolen one buys no more guesses than one address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from db.models import BoardSession, LoginFailure, User

SESSION_HOURS = 12
MAX_FAILURES, WINDOW = 5, timedelta(minutes=15)
USER_FREE, USER_WINDOW, USER_MAX_DELAY = 10, timedelta(hours=1), timedelta(seconds=60)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- sessions ---------------------------------------------------------------------------------
def start_session(session: Session, user: User, now: datetime) -> str:
    """A new session for `user`; returns the id for the cookie. Expired rows are cleared on the way."""
    session.execute(delete(BoardSession).where(col(BoardSession.expires_at) <= now))
    sid = secrets.token_urlsafe(32)
    session.add(BoardSession(id_hash=_sha256(sid), user_id=user.id, created_at=now,
                             expires_at=now + timedelta(hours=SESSION_HOURS)))
    return sid


def session_user(session: Session, sid: str, now: datetime) -> User | None:
    """The active user of a live session, or None (logged out, expired, ended, user disabled)."""
    row = session.get(BoardSession, _sha256(sid))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, sid: str) -> None:
    session.execute(delete(BoardSession).where(col(BoardSession.id_hash) == _sha256(sid)))


def end_sessions(session: Session, user: User) -> int:
    """End every session of `user` (password changed, user disabled); returns how many."""
    return session.execute(delete(BoardSession).where(col(BoardSession.user_id) == user.id)).rowcount


# -- failed logins ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginTry:
    """The keys one login try is checked and counted under."""

    pair: str  # username + address
    user: str  # username, from any address
    device: str | None  # the browser's device cookie, when it was issued for this username

    @classmethod
    def of(cls, username: str, address: str, device: str | None = None) -> LoginTry:
        name = username.strip().lower()
        return cls(_sha256(f"pair|{name}|{address}"), _sha256(f"user|{name}"),
                   _sha256(f"device|{device}") if device else None)

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.pair, self.user, self.device) if k is not None]


def user_delay(failures: int) -> timedelta:
    """How long after the last failure a username with `failures` (>= USER_FREE) waits."""
    return min(timedelta(seconds=2 ** min(failures - USER_FREE + 1, 16)), USER_MAX_DELAY)


def wait(session: Session, attempt: LoginTry, now: datetime) -> timedelta | None:
    """How long this try must wait before it may be checked; None when it may go ahead now."""
    rows = session.exec(select(LoginFailure.key, LoginFailure.at)
                        .where(col(LoginFailure.key).in_(attempt.keys), LoginFailure.at > now - USER_WINDOW)
                        .order_by(LoginFailure.at)).all()
    stamps: dict[str, list[datetime]] = {}
    for key, at in rows:
        stamps.setdefault(key, []).append(at)
    recent = [t for t in stamps.get(attempt.pair, []) if now - t < WINDOW]
    if len(recent) >= MAX_FAILURES:
        return recent[-MAX_FAILURES] + WINDOW - now
    if attempt.device and len([t for t in stamps.get(attempt.device, []) if now - t < WINDOW]) < MAX_FAILURES:
        return None  # a browser this username logged in from: not slowed by failures elsewhere
    spread = stamps.get(attempt.user, [])
    if len(spread) >= USER_FREE and now < (ready := spread[-1] + user_delay(len(spread))):
        return ready - now
    return None


def note_failure(session: Session, attempt: LoginTry, now: datetime) -> None:
    """Count a failed try under each of its keys; rows older than any window are cleared."""
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= now - USER_WINDOW))
    session.add_all(LoginFailure(key=key, at=now) for key in attempt.keys)


def note_success(session: Session, attempt: LoginTry) -> None:
    """A login: this address's and this browser's failures are forgiven. The username's own count
    is not: a success in between must not hand an attacker elsewhere a fresh set of free tries."""
    keys = [k for k in (attempt.pair, attempt.device) if k is not None]
    session.execute(delete(LoginFailure).where(col(LoginFailure.key).in_(keys)))
