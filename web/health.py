"""/healthz: is the database reachable? (Clock and channel state join here as they are kept.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter()


@router.get("/healthz", tags=["health"])
def healthz(request: Request) -> JSONResponse:
    checks: dict[str, object] = {}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    healthy = checks["database"] == "ok"
    return JSONResponse({"status": "ok" if healthy else "failing", "checks": checks},
                        status_code=200 if healthy else 503)
