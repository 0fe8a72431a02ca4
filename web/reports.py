"""The monthly assessment report on the web: /reports/{YYYY-MM} is the printable page for logged-in
coordinators (title, departments ranked by on-time rate, every duty; A4 landscape when printed),
/reports/{YYYY-MM}.xlsx the same report as a workbook (API token or board login). Both say it in
the reader's language with the words of scheduler/reports/bulletin.py; `?plan=KEY` keeps one plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, select

from db.models import Plan
from scheduler.i18n import Problem
from scheduler.reports import bulletin
from scheduler.reports.bulletin import DETAIL_COLUMNS, SUMMARY_COLUMNS, Column
from scheduler.reports.monthly import Month, MonthReport, month_report
from scheduler.reports.xlsx import xlsx_bytes
from web.api_auth import UNAUTHORIZED, Reader
from web.auth import Visitor, page, to_login
from web.deps import NowDep, SessionDep
from web.pages import deployment_zone, error_page, request_language

router = APIRouter(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DETAIL_LIMIT = 2000  # lines of the page's detail table; the workbook always has every one


NUMBERS = {"count", "rank", "percent"}
PROSE = {"prose", "link", "links"}  # long text that wraps; the other columns keep to one line


@dataclass(frozen=True)
class Cell:
    """A value as the page shows it: its text, the links it holds, its class (number: centred;
    nowrap: kept on one line; prose: wraps, given room)."""

    text: str
    links: tuple[str, ...] = ()
    css: str = ""


def _link(url: str | None) -> tuple[str, ...]:
    """Only web addresses become links (an evidence URL is typed by people: never javascript:)."""
    return (url,) if url and url.lower().startswith(("http://", "https://")) else ()


def shown(column: Column, value: object, language: str) -> Cell:
    """One value of the report as the page prints it."""
    css = "number" if column.kind in NUMBERS else "prose" if column.kind in PROSE else "nowrap"
    if value is None or value == "":
        return Cell("—" if column.kind in NUMBERS else "", css=css)
    if column.kind == "percent":
        return Cell(f"{value:.1%}", css=css)
    if column.kind in {"date", "datetime"}:
        return Cell(bulletin.day_words(value, language), css=css)
    if column.kind == "links":
        return Cell("", tuple(u for url in value for u in _link(url)), css)
    if column.kind == "link":
        return Cell(str(value), _link(str(value)), css)
    return Cell(str(value), css=css)


def _rows(columns: tuple[Column, ...], rows: list[list], language: str) -> list[list[Cell]]:
    return [[shown(c, v, language) for c, v in zip(columns, row, strict=True)] for row in rows]


def _neighbours(month: Month, language: str) -> list[tuple[str, str]]:
    """The months before and after `month`: as the URLs name them (2016-08), as people read them."""
    before = Month(month.year - 1, 12) if month.month == 1 else Month(month.year, month.month - 1)
    after = Month(month.year + 1, 1) if month.month == 12 else Month(month.year, month.month + 1)
    return [(str(m), bulletin.month_words(m, language)) for m in (before, after)]


def _query(plan: str | None) -> str:
    return f"?{urlencode({'plan': plan})}" if plan else ""


def _context(report: MonthReport, language: str, session: Session, plan: str | None) -> dict:
    details = bulletin.detail_rows(report, language)
    return {"title": bulletin.title(report, language), "basis": bulletin.basis(report, language),
            "ranking": bulletin.ranking_rule(language), "month": str(report.month),
            "summary_headers": bulletin.headers(SUMMARY_COLUMNS, language),
            "summary": _rows(SUMMARY_COLUMNS, bulletin.summary_rows(report), language),
            "detail_title": bulletin.detail_title(report, language),
            "detail_headers": bulletin.headers(DETAIL_COLUMNS, language),
            "details": _rows(DETAIL_COLUMNS, details[:DETAIL_LIMIT], language), "detail_count": len(details),
            "neighbours": _neighbours(report.month, language), "query": _query(plan), "plan": plan or "",
            "plans": session.exec(select(Plan.key, Plan.title).order_by(Plan.key)).all()}


def _report(request: Request, month: str, plan: str | None, session: Session,
            now: datetime) -> MonthReport | Response:
    """The report asked for, or the page saying which month or plan is not one."""
    try:
        return month_report(session, Month.parse(month), now, plan or None, deployment_zone(request))
    except Problem as exc:
        if "text/html" in request.headers.get("accept", ""):  # a person: the page in their language
            return error_page(request, 404, "404", exc.text)
        raise HTTPException(404, str(exc)) from None  # a script: zh + en


@router.get("/reports/{month}.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "The workbook"},
                       401: {"description": "No or a wrong API token"},
                       404: {"description": "Not a month (YYYY-MM), or no such plan"}})
def monthly_xlsx(month: str, request: Request, user: Reader, session: SessionDep, now: NowDep,
                 plan: str | None = None, lang: str | None = None) -> Response:
    """The workbook in the reader's language (`?lang=en`; Chinese by default)."""
    if user is None:
        if "text/html" in request.headers.get("accept", ""):
            return to_login(request)  # a browser: log in to the board, then back here
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})  # a script: zh + en
    report = _report(request, month, plan, session, now)
    if isinstance(report, Response):
        return report
    name = f"duban-{report.month}{'-' + plan if plan else ''}.xlsx"
    return Response(xlsx_bytes(report, request_language(request)), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/{month}", include_in_schema=False)
def monthly_page(month: str, request: Request, v: Visitor, session: SessionDep, now: NowDep,
                 plan: str | None = None) -> Response:
    """The report as a page to read and print, for a logged-in coordinator."""
    if v.user is None:
        return to_login(request)
    report = _report(request, month, plan, session, now)
    if isinstance(report, Response):
        return report
    return page(request, "report.html", user=v.user, **_context(report, request_language(request), session, plan))
