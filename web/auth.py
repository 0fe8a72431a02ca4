"""Logging in to the board: a session cookie, a CSRF token per session, and the login limits.

The cookie (signed with itsdangerous, keyed by the app's secret) holds the session's CSRF token, an
expiry and, once logged in, a random session id whose row in the database says who it is
(scheduler/access/logins.py): logout, `duban users passwd` and `duban users disable` delete rows, so a
copy of the cookie is worthless after them, on every instance. Each login gets a new id. The cookie
is HttpOnly and SameSite=Lax, and it expires. Anonymous visitors get a cookie too (no row: they
cannot fill the table), so the login form itself carries a CSRF token.

Failed logins are limited per username + address and, more slowly, per username from any address
(scheduler/access/logins.py); the address is the one web/proxies.py resolved. A browser that logged in as
a username carries a signed device cookie (`duban_device`, sent to /login only) that exempts it
from the per-username delay, so an attacker elsewhere cannot lock people out of their own browsers.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from db.models import User
from scheduler.access import logins
from scheduler.access.links import signing_secret
from scheduler.access.logins import SESSION_HOURS
from scheduler.access.users import authenticate
from scheduler.i18n import N_, Text, translator
from web.deps import NowDep, SessionDep
from web.pages import error_page, render, request_language

router = APIRouter(include_in_schema=False)

COOKIE, DEVICE_COOKIE = "duban_session", "duban_device"
SESSION_SALT, DEVICE_SALT = "duban-board-session", "duban-board-device"
DEVICE_DAYS = 90
CSRF_REFUSED = (N_("Request refused"), N_("The form was stale or did not come from this site (missing or wrong "
                                          "CSRF token): go back, reload the page and try again."))


@dataclass(frozen=True)
class Visit:
    """Who is asking (None before login) and the CSRF token of their session."""

    user: User | None
    csrf: str
    sid: str | None = None  # the session id in the cookie, live or not


def _serializer(request: Request, salt: str = SESSION_SALT) -> URLSafeSerializer:
    state = request.app.state
    if getattr(state, "session_secret", None) is None:  # read once per app, like the signer's
        state.session_secret = signing_secret(state.settings)
    return URLSafeSerializer(state.session_secret, salt=salt)


def _read(request: Request, now: datetime, cookie: str = COOKIE, salt: str = SESSION_SALT) -> dict:
    """A signed cookie's content; {} when there is none, or it was tampered with or has expired
    (by the app's clock, like the answer links, so tests can move time)."""
    raw = request.cookies.get(cookie)
    if not raw:
        return {}
    try:
        data = _serializer(request, salt).loads(raw)
    except BadSignature:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("e"), (int, float)) or data["e"] < now.timestamp():
        return {}
    return data


def visit(request: Request, session: SessionDep) -> Visit:
    """Who is asking; web/api_auth.py calls this too (reports accept a board login)."""
    now = request.app.state.clock()
    data = _read(request, now)
    csrf = data.get("c") if isinstance(data.get("c"), str) else secrets.token_urlsafe(24)
    sid = data.get("s") if isinstance(data.get("s"), str) else None
    user = logins.session_user(session, sid, now) if sid else None  # None once ended on the server
    request.state.csrf = csrf  # templates put it in every form
    request.state.session_cookie = None if data.get("c") else _cookie_value(request, csrf, now)
    return Visit(user, csrf, sid)


def _cookie_value(request: Request, csrf: str, now: datetime, sid: str | None = None) -> str:
    data = {"c": csrf, "e": int((now + timedelta(hours=SESSION_HOURS)).timestamp())}
    if sid is not None:
        data["s"] = sid
    return _serializer(request).dumps(data)


def _secure(request: Request) -> bool:
    return request.app.state.settings.public_url.startswith("https://")


def set_cookie(request: Request, response: Response, value: str | None) -> Response:
    if value is not None:
        response.set_cookie(COOKIE, value, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                            secure=_secure(request), path="/")
    return response


def page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    """`render` plus the anonymous session cookie when this visit just started one."""
    return set_cookie(request, render(request, name, status_code, **context),
                      getattr(request.state, "session_cookie", None))


def csrf_ok(v: Visit, token: str) -> bool:
    return bool(token) and hmac.compare_digest(token.encode(), v.csrf.encode())


def refuse_csrf(request: Request) -> Response:
    return error_page(request, 403, *CSRF_REFUSED)


def refuse_unless_coordinator(request: Request, v: Visit, csrf: str) -> Response | None:
    """For a board form's POST: the refusal when its CSRF token is wrong or nobody is logged in."""
    if not csrf_ok(v, csrf):
        return refuse_csrf(request)
    return to_login(request) if v.user is None else None


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/board"
    return target


# -- login limits -----------------------------------------------------------------------------
def _address(request: Request) -> str:
    """The caller's address for the limit; IPv6 by its /64, which one subscriber usually holds whole."""
    host = request.client.host if request.client else "?"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _name_tag(username: str) -> str:
    return hashlib.sha256(f"device|{username.strip().lower()}".encode()).hexdigest()[:32]


def _device(request: Request, username: str, now: datetime) -> str | None:
    """The id of this browser's device cookie, when it was issued at a login as `username`."""
    data = _read(request, now, DEVICE_COOKIE, DEVICE_SALT)
    name, device = data.get("n"), data.get("d")
    if isinstance(name, str) and isinstance(device, str) and hmac.compare_digest(name, _name_tag(username)):
        return device
    return None


def _set_device(request: Request, response: Response, username: str, now: datetime) -> None:
    value = _serializer(request, DEVICE_SALT).dumps(
        {"n": _name_tag(username), "d": secrets.token_urlsafe(16),
         "e": int((now + timedelta(days=DEVICE_DAYS)).timestamp())})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, httponly=True, samesite="strict",
                        secure=_secure(request), path="/login")


def _too_many(request: Request, wait: timedelta, next: str, username: str) -> Response:
    lang = request_language(request)
    seconds = max(1, math.ceil(wait.total_seconds()))
    minutes = math.ceil(seconds / 60)
    words = translator(lang)
    wait_for = (words.ngettext("{n} second", "{n} seconds", seconds).format(n=seconds) if seconds < 60 else
                words.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes))
    response = page(request, "login.html", 429, next=_safe_next(next), username=username,
                    error=Text(N_("Too many failed logins: try again in {wait}."), {"wait": wait_for}).say(lang))
    response.headers["Retry-After"] = str(seconds)
    return response


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
    attempt = logins.LoginTry.of(username, _address(request), _device(request, username, now))
    if (wait := logins.wait(session, attempt, now)) is not None:
        return _too_many(request, wait, next, username)
    user = authenticate(session, username, password)
    if user is None:
        logins.note_failure(session, attempt, now)
        session.commit()
        return page(request, "login.html", 401, next=_safe_next(next), username=username,
                    error=translator(request_language(request)).gettext(N_("Wrong username or password.")))
    logins.note_success(session, attempt)
    if v.sid is not None:
        logins.end_session(session, v.sid)  # logging in again ends the session this browser had
    sid = logins.start_session(session, user, now)
    session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_device(request, response, username, now)
    # a new session id and CSRF token at login: a cookie planted or copied before it is worthless
    return set_cookie(request, response, _cookie_value(request, secrets.token_urlsafe(24), now, sid))


@router.post("/logout")
def logout(request: Request, v: Visitor, session: SessionDep, csrf: Annotated[str, Form()] = "") -> Response:
    if not csrf_ok(v, csrf):
        return refuse_csrf(request)
    if v.sid is not None:
        logins.end_session(session, v.sid)  # on the server: a saved copy of the cookie opens nothing
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
