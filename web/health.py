"""/healthz: is the database reachable, is the service's clock ticking, what did channels last fail with.

503 only when Duban cannot work: the database is down, or the clock (plan + dispatch) has not run
for `STALE` while it had run before. Channel errors are reported, not failed on: a channel that
is down is the dispatcher's to pause and probe (`paused_channels`: since when, next probe). Errors
are shown to the operator only (web/ops_access.py); everyone gets the status.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from db.models import Attempt
from scheduler.outbox import breaker
from scheduler.outbox.heartbeat import DISPATCHED, PLANNED, last_beats
from web.ops_access import REFUSED, is_operator

router = APIRouter()


def stale_after(request: Request) -> timedelta:
    """How long without a dispatch means the clock stopped: a few of its intervals, and at least
    15 minutes so that cron-style `duban tick` every few minutes counts as alive."""
    every = request.app.state.settings.dispatch_every_seconds
    return max(timedelta(minutes=15), timedelta(seconds=5 * every))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def clock_check(session: Session, now: datetime, stale: timedelta) -> tuple[bool, dict]:
    beats = last_beats(session)
    last = beats.get(DISPATCHED)
    info = {"last_planned": beats.get(PLANNED), "last_dispatched": last}
    if last is None:
        return True, info | {"status": "not started yet 服务尚未运行过 (no plan/dispatch recorded)"}
    behind = now - _aware(last)
    if behind > stale:
        return False, info | {"status": f"stopped 调度已停止: no dispatch for {int(behind.total_seconds())}s "
                                        f"(expected every few minutes); is `duban run` running?"}
    return True, info | {"status": "ok"}


def channel_errors(session: Session) -> dict[str, dict]:
    """Per channel: the last attempt, and the last failed attempt with its error."""
    found: dict[str, dict] = {}
    last_any = session.exec(select(Attempt.channel, func.max(Attempt.at)).group_by(Attempt.channel)).all()
    for channel, at in last_any:
        found[channel] = {"last_attempt": at, "last_error": None, "last_error_at": None}
    last_bad = (select(Attempt.channel, func.max(Attempt.id)).where(Attempt.ok == False)
                .group_by(Attempt.channel))
    for channel, attempt_id in session.exec(last_bad).all():
        bad = session.get(Attempt, attempt_id)
        found[channel] |= {"last_error": bad.error, "last_error_at": bad.at}
    return found


def paused_channels(session: Session, details: bool) -> dict[str, dict]:
    """Channels the dispatcher paused because they cannot send (scheduler/outbox/breaker.py): since when
    and the next probe; the error (it may quote a mail server) for the operator only."""
    return {name: {"since": p.since, "next_probe": p.until, "failed_probes": p.failures}
            | ({"error": p.error} if details else {}) for name, p in breaker.paused(session).items()}


@router.get("/healthz", tags=["health"])
def healthz(request: Request) -> JSONResponse:
    now = request.app.state.clock()
    checks: dict[str, object] = {}
    try:
        with Session(request.app.state.engine) as session:
            clock_ok, checks["clock"] = clock_check(session, now, stale_after(request))
            checks["channels"] = channel_errors(session) if is_operator(request) else REFUSED
            checks["paused_channels"] = paused_channels(session, is_operator(request))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        clock_ok = False
        checks["database"] = (f"down 数据库无法连接: {type(exc).__name__}; check DATABASE_URL and that the "
                              "database server is running")
    healthy = checks["database"] == "ok" and clock_ok
    return JSONResponse(_jsonable({"status": "ok" if healthy else "failing", "checks": checks}),
                        status_code=200 if healthy else 503)


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return _aware(value).isoformat()
    return value
