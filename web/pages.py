"""Server-rendered pages: one Jinja2 environment over templates/web, autoescaped, Chinese first.

`render(request, name, **context)` is the one way a route returns HTML; `error_page` is the one
way a route tells a person what went wrong (never a stack trace).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
templates = Jinja2Templates(directory=str(TEMPLATES))


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status_code, title=title, message=message)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    """Errors as pages for browsers and as JSON for the API and scripts."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if _wants_html(request):
            return error_page(request, exc.status_code, f"{exc.status_code}", str(exc.detail))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        if _wants_html(request):
            return error_page(request, 422, "请求有误 / Bad request", "; ".join(e["msg"] for e in exc.errors()))
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)  # ctx holds exceptions
