"""One message for the board after a redirect ("计划已导入…"): a signed cookie, shown once.

The message is said in the reader's language when it is set (the same person reads it next), and
signed like the session cookie, so nobody else can plant words on the board.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeSerializer

from scheduler.access.links import signing_secret

COOKIE, SALT = "duban_flash", "duban-board-flash"
SECONDS = 120  # long enough for the redirect, short enough not to surprise later


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(signing_secret(request.app.state.settings), salt=SALT)


def remember(request: Request, response: Response, message: str) -> Response:
    response.set_cookie(COOKIE, _serializer(request).dumps(message), max_age=SECONDS, httponly=True,
                        samesite="lax", secure=request.app.state.settings.public_url.startswith("https://"),
                        path="/board")
    return response


def recall(request: Request) -> str | None:
    """The message left for this page, if any (a tampered cookie says nothing)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        message = _serializer(request).loads(raw)
    except BadSignature:
        return None
    return message if isinstance(message, str) else None


def forget(request: Request, response: Response) -> Response:
    """The page that showed the message: the browser drops it (a page without one sets nothing)."""
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path="/board")
    return response
