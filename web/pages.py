"""Server-rendered pages: Jinja2 over templates/web, autoescaped, in the reader's language.

`render(request, name, **context)` is the one way a route returns HTML; `error_page` is the one
way a route tells a person what went wrong (never a stack trace). Templates say their words with
`_()` (Jinja2's i18n extension over the gettext catalogues of scheduler/i18n.py), one environment
per language; the language is the request's (`?lang=`, then the `lang` cookie, then
Accept-Language, Chinese by default) unless the route knows its reader's (an answer link's contact).
A page asked for with `?lang=` sets the `lang` cookie, so the next pages follow it.

Moments are shown in the deployment's time zone (DUBAN_TIMEZONE, scheduler/moments.py) by one
filter every template uses: `{{ moment|local_time }}` is 2016-09-29 09:00, `{{ moment|local_date }}`
its date there, `{{ time_zone() }}` the zone's name in the page's language (北京时间, Asia/Shanghai).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from starlette.exceptions import HTTPException

from scheduler import moments
from scheduler.i18n import LANGUAGES, N_, Text, language_of, translator
from web import dates

LANG_DAYS = 365  # how long a language asked for with ?lang= is remembered (the `lang` cookie)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"


def deployment_zone(request: Request) -> ZoneInfo:
    """The time zone people read and type times in (DUBAN_TIMEZONE), from the app's settings."""
    return request.app.state.settings.zone


def local_time(request: Request, moment: datetime | None, empty: str = "") -> str:
    """A moment as people read it on a page: 2016-09-29 09:00 in the deployment's time zone."""
    return moments.shown(moment, deployment_zone(request), empty)


def local_date(request: Request, moment: datetime) -> date:
    """The date a moment falls on in the deployment's time zone (not its UTC date)."""
    return moments.local_day(moment, deployment_zone(request))


def _templates(language: str) -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translator(language), newstyle=True)
    env.filters["local_time"] = pass_context(lambda ctx, moment, empty="": local_time(ctx["request"], moment, empty))
    env.filters["local_date"] = pass_context(lambda ctx, moment: local_date(ctx["request"], moment))
    env.globals["time_zone"] = pass_context(lambda ctx: moments.zone_name(deployment_zone(ctx["request"]), language))
    dates.install(env, language)  # day, md, weekday, period, when: 2016年9月30日 on a Chinese page
    return Jinja2Templates(env=env)


_BY_LANGUAGE = {language: _templates(language) for language in LANGUAGES}


def request_language(request: Request, reader: str | None = None) -> str:
    """`?lang=`, the `lang` cookie, the reader's own language, then the browser's; zh by default."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang") or reader
    if chosen:
        return language_of(chosen)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("zh", "en")):
            return language_of(tag)
    return LANGUAGES[0]


def render(request: Request, name: str, status_code: int = 200, reader: str | None = None,
           **context) -> HTMLResponse:
    """The page `name` in the request's language (`reader`: the person's own, when the route knows it)."""
    lang = request_language(request, reader)
    response = _BY_LANGUAGE[lang].TemplateResponse(request, name, {"lang": lang, **context},
                                                   status_code=status_code)
    if asked := request.query_params.get("lang"):  # a language asked for sticks for the next pages
        response.set_cookie("lang", language_of(asked), max_age=LANG_DAYS * 86400, samesite="lax", path="/")
    return response


def error_page(request: Request, status_code: int, title: str | Text, message: str | Text,
               reader: str | None = None) -> HTMLResponse:
    """A page saying what went wrong: `title` and `message` are msgids or `Text`s, said in the reader's language."""
    lang = request_language(request, reader)
    return render(request, "error.html", status_code=status_code, reader=lang,
                  title=said(title, lang), message=said(message, lang))


def said(text: str | Text, language: str) -> str:
    """`text` in `language`: a Text or a msgid is translated; any other string is shown as it is."""
    return text.say(language) if isinstance(text, Text) else translator(language).gettext(str(text))


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
            return error_page(request, 422, N_("Bad request"), "; ".join(e["msg"] for e in exc.errors()))
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)  # ctx holds exceptions
