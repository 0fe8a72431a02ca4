"""/reports/{YYYY-MM}.xlsx: the monthly assessment workbook, for coordinators (API token or board login)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from scheduler.i18n import Problem
from scheduler.reports.monthly import Month, month_report
from scheduler.reports.xlsx import xlsx_bytes
from web.api_auth import UNAUTHORIZED, Reader
from web.auth import to_login
from web.deps import NowDep, SessionDep
from web.pages import error_page

router = APIRouter(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/reports/{month}.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "The workbook"},
                       401: {"description": "No or a wrong API token"},
                       404: {"description": "Not a month (YYYY-MM)"}})
def monthly_xlsx(month: str, request: Request, user: Reader, session: SessionDep, now: NowDep) -> Response:
    browser = "text/html" in request.headers.get("accept", "")
    if user is None:
        if browser:
            return to_login(request)  # a browser: log in to the board, then back here
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})  # a script: zh + en
    try:
        which = Month.parse(month)
    except Problem as exc:
        if browser:  # a person: the page in their language
            return error_page(request, 404, "404", exc.text)
        raise HTTPException(404, str(exc)) from None
    body = xlsx_bytes(month_report(session, which, now))
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="duban-{which}.xlsx"'})
