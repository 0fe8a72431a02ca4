"""GET /feeds/{token}.ics: a feed for calendar apps, with ETag / Last-Modified and cheap 304s.

The ETag comes from one aggregate query (`feeds.fingerprint`), so a client polling an unchanged
feed costs a token lookup and that query, never a render. Unknown and revoked tokens get the same
plain 404, so a URL gives no hint whether it ever worked.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from email.utils import format_datetime, parsedate_to_datetime
from threading import Lock

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from scheduler import feeds
from scheduler.access import feed_tokens
from scheduler.i18n import N_
from web.deps import NowDep, SessionDep, SettingsDep

router = APIRouter(tags=["feeds"])
ICS = "text/calendar; charset=utf-8"
FORMAT = "3"  # bump when the rendering changes, so clients drop cached copies (3: day-counted events all-day)
CACHED = 32  # feeds kept rendered per app (a department feed is a few hundred KiB at most)


def etag_of(print_: tuple, public_url: str, zone: str = "") -> str:
    """The ETag of the data, the links and the time zone answered times are shown in."""
    return '"' + hashlib.sha256(repr((FORMAT, public_url, zone, print_)).encode()).hexdigest()[:32] + '"'


def _fresh(request: Request, etag: str, modified) -> bool:
    """True when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        return etag in [t.strip().removeprefix("W/") for t in match.split(",")] or match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


@router.get("/feeds/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "The iCal feed"},
                       304: {"description": "Not modified"}, 404: {"description": "No such feed"}})
@router.head("/feeds/{token}.ics", response_class=Response, include_in_schema=False)  # GET's answer, no body
def feed(token: str, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> Response:
    # Calendar apps poll: each statement on its own, so no BEGIN and ROLLBACK round trips each time.
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    row = feed_tokens.find(session, token)
    if row is None:
        raise HTTPException(404, N_("No such calendar"))  # a msgid: a browser gets a page in its language
    if feed_tokens.touch(row, now):
        session.commit()
    scope = feed_tokens.scope_of_row(row)
    print_ = feeds.fingerprint(session, scope)
    etag, modified = etag_of(print_, settings.public_url, settings.timezone), feeds.last_modified(print_)
    headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
               "Cache-Control": "private, max-age=300"}
    if _fresh(request, etag, modified):
        return Response(status_code=304, headers=headers)
    body = _rendered(request, etag, lambda: feeds.feed_bytes(session, scope, public_url=settings.public_url,
                                                             zone=settings.zone))
    return Response(body, media_type=ICS, headers=headers)


def _rendered(request: Request, etag: str, render) -> bytes:
    """The feed for this ETag, rendered once per app: the ETag names the data behind the bytes,
    so many subscribers of one unchanged feed cost one render."""
    state = request.app.state
    if not hasattr(state, "feed_cache"):
        state.feed_cache, state.feed_lock = OrderedDict(), Lock()
    with state.feed_lock:
        body = state.feed_cache.get(etag)
        if body is not None:
            state.feed_cache.move_to_end(etag)
            return body
    body = render()
    with state.feed_lock:
        state.feed_cache[etag] = body
        while len(state.feed_cache) > CACHED:
            state.feed_cache.popitem(last=False)
    return body
