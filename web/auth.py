"""Logging in to the board: a signed session cookie, a CSRF token per session, and a login rate limit.

The cookie (itsdangerous, keyed by the app's secret) holds the user id, a fingerprint of the
password hash (so `duban users passwd` ends old sessions) and the session's CSRF token. It is
HttpOnly and SameSite=Lax, and it expires. Anonymous visitors get a cookie too, so the login form
itself carries a CSRF token. Failed logins are counted per username + IP in the KeyValue table,
so the limit survives restarts and holds across instances.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.models import KeyValue, User
from scheduler import wiring
from scheduler.users import authenticate
from web.deps import NowDep, SessionDep
from web.pages import error_page, render

router = APIRouter(include_in_schema=False)

COOKIE = "duban_session"
SESSION_HOURS = 12
MAX_FAILURES, WINDOW = 5, timedelta(minutes=15)
CSRF_REFUSED = ("请求被拒绝 Request refused", ("表单已过期或来源不明，请返回页面刷新后重试。 / The form was stale or did not come "
                "from this site (missing or wrong CSRF token): go back, reload the page and try again."))


@dataclass(frozen=True)
class Visit:
    """Who is asking (None before login) and the CSRF token of their session."""

    user: User | None
    csrf: str


def _serializer(request: Request) -> URLSafeSerializer:
    state = request.app.state
    if getattr(state, "session_secret", None) is None:  # read once per app, like the signer's
        state.session_secret = wiring.signing_secret(state.settings)
    return URLSafeSerializer(state.session_secret, salt="duban-board-session")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _read(request: Request, now: datetime) -> dict:
    """The session in the cookie; {} when there is none, or it was tampered with or has expired
    (by the app's clock, like the answer links, so tests can move time)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data = _serializer(request).loads(raw)
    except BadSignature:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("e"), (int, float)) or data["e"] < now.timestamp():
        return {}
    return data


def visit(request: Request, session: SessionDep) -> Visit:
    """Who is asking; web/api_auth.py calls this too (reports accept a board login)."""
    now = request.app.state.clock()
    data = _read(request, now)
    csrf = data.get("c") or secrets.token_urlsafe(24)
    user = session.get(User, data["u"]) if isinstance(data.get("u"), int) else None
    if user is not None and (not user.active or data.get("p") != _fingerprint(user)):
        user = None  # disabled or password changed since: log in again
    request.state.csrf = csrf  # templates put it in every form
    request.state.session_cookie = None if data.get("c") else _cookie_value(request, None, csrf, now)
    return Visit(user, csrf)


def _cookie_value(request: Request, user: User | None, csrf: str, now: datetime) -> str:
    data = {"c": csrf, "e": int((now + timedelta(hours=SESSION_HOURS)).timestamp())}
    if user is not None:
        data |= {"u": user.id, "p": _fingerprint(user)}
    return _serializer(request).dumps(data)


def set_cookie(request: Request, response: Response, value: str | None) -> Response:
    if value is not None:
        secure = request.app.state.settings.public_url.startswith("https://")
        response.set_cookie(COOKIE, value, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                            secure=secure, path="/")
    return response


def page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    """`render` plus the anonymous session cookie when this visit just started one."""
    return set_cookie(request, render(request, name, status_code, **context),
                      getattr(request.state, "session_cookie", None))


def csrf_ok(v: Visit, token: str) -> bool:
    return bool(token) and hmac.compare_digest(token.encode(), v.csrf.encode())


def refuse_csrf(request: Request) -> Response:
    return error_page(request, 403, *CSRF_REFUSED)


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/board"
    return target


# -- rate limit -------------------------------------------------------------------------------
def _limit_key(username: str, ip: str) -> str:
    return "login-failures:" + hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()[:40]


def _failures(session: Session, key: str, now: datetime) -> list[datetime]:
    row = session.get(KeyValue, key)
    stamps = [datetime.fromisoformat(s) for s in json.loads(row.value)] if row else []
    return [s for s in stamps if now - s < WINDOW]


def _note_failure(session: Session, key: str, stamps: list[datetime], now: datetime) -> None:
    for _ in range(2):  # a second instance may insert the same key first: then update theirs
        row = session.get(KeyValue, key) or KeyValue(key=key, value="[]")
        row.value = json.dumps([s.isoformat() for s in [*stamps, now]])
        row.updated_at = now
        session.add(row)
        try:
            session.commit()
            return
        except IntegrityError:
            session.rollback()
            stamps = _failures(session, key, now)


# -- routes -----------------------------------------------------------------------------------
Visitor = Annotated[Visit, Depends(visit)]


@router.get("/login")
def login_form(request: Request, v: Visitor, next: str | None = None) -> Response:
    if v.user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", next=_safe_next(next), error=None, username="")


@router.post("/login")
def login(request: Request, v: Visitor, session: SessionDep, now: NowDep,
          username: Annotated[str, Form(max_length=100)] = "", password: Annotated[str, Form(max_length=1000)] = "",
          csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/board") -> Response:
    if not csrf_ok(v, csrf):
        return refuse_csrf(request)
    key = _limit_key(username, request.client.host if request.client else "?")
    stamps = _failures(session, key, now)
    if len(stamps) >= MAX_FAILURES:
        wait = max(1, int((min(stamps) + WINDOW - now).total_seconds() // 60) + 1)
        return page(request, "login.html", 429, next=_safe_next(next), username=username,
                    error=f"登录失败次数过多，请 {wait} 分钟后再试。 / Too many failed logins: "
                          f"try again in {wait} minutes.")
    user = authenticate(session, username, password)
    if user is None:
        _note_failure(session, key, stamps, now)
        return page(request, "login.html", 401, next=_safe_next(next), username=username,
                    error="用户名或密码错误。 / Wrong username or password.")
    if (row := session.get(KeyValue, key)) is not None:
        session.delete(row)
        session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    # a new CSRF token at login: one planted before login is worthless after it
    return set_cookie(request, response, _cookie_value(request, user, secrets.token_urlsafe(24), now))


@router.post("/logout")
def logout(request: Request, v: Visitor, csrf: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(v, csrf):
        return refuse_csrf(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
