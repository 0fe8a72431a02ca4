"""Importing a notice on the board: upload it, see each duty beside the notice lines it came from
(those needing review first), correct title, lead departments and schedule, download the plan file,
load it. The same importer as `duban plan import` (notices.importer), the same check as `duban plan
check` and the same store as `duban plan load`; drafts are kept by web/plan_drafts.py.
Every page needs a logged-in coordinator; every POST the session's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from pathlib import Path, PureWindowsPath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from notices.document import NoticeError
from notices.importer import import_notice
from scheduler.bounds import check_year
from scheduler.i18n import N_, Text, translator
from scheduler.plans.store import LoadReport, store_plan
from web import flash, plan_drafts
from web.auth import Visit, Visitor, page, refuse_unless_coordinator, to_login
from web.deps import NowDep, SessionDep, SettingsDep
from web.pages import error_page, request_language

MAX_UPLOAD = 20 * 1024 * 1024  # 20 MB: a scanned PDF notice is a few MB
FORM_OVERHEAD = 64 * 1024  # the multipart wrapping and the other fields around the file
NOT_FOUND = (N_("No such import"), N_("This import does not exist or has expired (imports are kept for a "
                                      "day): upload the notice again at /plans/import"))
TOO_BIG = N_("The file is larger than 20 MB: save the notice as text, Word or a smaller PDF and upload that.")
NO_DUTIES = N_("No duties were found in {name}: upload the notice that holds the task table or the numbered "
               "tasks (not a covering letter).")
CHANGES = {"plans_added": N_("plans added: {n}"), "plans_updated": N_("plans updated: {n}"),
           "duties_added": N_("duties added: {n}"), "duties_updated": N_("duties updated: {n}"),
           "duties_removed": N_("duties removed: {n}"), "occurrences_added": N_("occurrences added: {n}"),
           "occurrences_updated": N_("occurrences updated: {n}"),
           "occurrences_cancelled": N_("occurrences cancelled: {n}"),
           "departments_added": N_("departments added: {n}"), "departments_updated": N_("departments updated: {n}"),
           "contacts_added": N_("contacts added: {n}"), "contacts_updated": N_("contacts updated: {n}")}


class UploadLimit(APIRoute):
    """Refuses a POST body over the limit before it is read: FastAPI would otherwise spool the whole
    upload to disk before the route could look at its size."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method == "POST":
                length = request.headers.get("content-length", "")
                if not length.isdigit():
                    return error_page(request, 411, N_("Upload refused"), N_("The upload gave no length: "
                                                                            "upload the file from the form."))
                if int(length) > MAX_UPLOAD + FORM_OVERHEAD:
                    return error_page(request, 413, N_("File too large"), TOO_BIG)
            return await handler(request)

        return limited


router = APIRouter(include_in_schema=False, route_class=UploadLimit)


def _upload_page(request: Request, v: Visit, status: int = 200, error: str | None = None,
                 year: str = "") -> Response:
    return page(request, "plan_import.html", status, user=v.user, error=error, year=year)


def _said(request: Request, msgid: str, **values: object) -> str:
    return Text(msgid, values).say(request_language(request))


@router.get("/plans/import")
def upload_form(request: Request, v: Visitor) -> Response:
    if v.user is None:
        return to_login(request)
    return _upload_page(request, v)


def _file_name(upload: UploadFile) -> str:
    """The name without any folder a browser may send (C:\\fakepath\\x.docx), at most 200 characters."""
    return PureWindowsPath(upload.filename or "").name[-200:]


def _year(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return check_year(int(text))


@router.post("/plans/import")
def upload(request: Request, v: Visitor, session: SessionDep, now: NowDep,
           notice: Annotated[UploadFile | None, File()] = None, year: Annotated[str, Form(max_length=10)] = "",
           csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    try:
        plan_year = _year(year)
    except ValueError:
        return _upload_page(request, v, 400, _said(request, N_("The year must be a year such as 2016 (2000-2200), "
                                                           "or left empty.")), year)
    name = _file_name(notice) if notice else ""
    if not name:
        return _upload_page(request, v, 400, _said(request, N_("Choose the notice file to upload.")), year)
    data = notice.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _upload_page(request, v, 413, _said(request, TOO_BIG), year)
    known = plan_drafts.known_departments(session)
    try:
        result = import_notice(Path(name), data, year=plan_year, known=known, today=now.date())
    except NoticeError as exc:  # the notice cannot be read at all: its message says why and what to do
        return _upload_page(request, v, 400, str(exc), year)
    if not result.plan.get("duties"):
        return _upload_page(request, v, 400, _said(request, NO_DUTIES, name=name), year)
    draft = plan_drafts.create(session, v.user.id, name, result, now)
    session.commit()
    return RedirectResponse(f"/plans/import/{draft.id}", status_code=303)


def _card(draft: plan_drafts.Draft, check: plan_drafts.Check, position: int, duty: dict,
          typed: dict | None) -> dict:
    """What a duty's card shows: the notice's lines, the plan's values, what to review, the form."""
    lead = plan_drafts.names_of(draft.plan, duty.get("lead") or [])
    title, schedule = str(duty.get("title") or ""), plan_drafts.phrase_of(duty)
    return {"position": position, "duty": duty, "lines": draft.sources.get(str(duty.get("id")), []),
            "review": check.review.get(position, []), "problems": check.by_duty.get(position, []),
            "lead": lead, "schedule": schedule,
            "support": plan_drafts.names_of(draft.plan, duty.get("support") or []),
            "form": typed or {"title": title, "lead": lead, "schedule": schedule, "errors": []}}


def _draft_page(request: Request, v: Visit, draft: plan_drafts.Draft, check: plan_drafts.Check,
                status: int = 200, edits: dict[str, dict] | None = None, load_error: str | None = None) -> Response:
    cards = [_card(draft, check, i, d, (edits or {}).get(str(d.get("id")))) for i, d in draft.in_review_order(check)]
    return page(request, "plan_draft.html", status, user=v.user, draft=draft, plan=draft.plan.get("plan") or {},
                summary=draft.summary(check), check=check, cards=cards, load_error=load_error)


def _mine(v: Visit, session, draft_id: str, now) -> plan_drafts.Draft | None:
    return plan_drafts.find(session, v.user.id, draft_id, now)


@router.get("/plans/import/{draft_id}")
def draft_page(request: Request, draft_id: str, v: Visitor, session: SessionDep, now: NowDep) -> Response:
    if v.user is None:
        return to_login(request)
    if (draft := _mine(v, session, draft_id, now)) is None:
        return error_page(request, 404, *NOT_FOUND)
    return _draft_page(request, v, draft, draft.check(now.date()))


@router.get("/plans/import/{draft_id}/plan.yaml")
def download(request: Request, draft_id: str, v: Visitor, session: SessionDep, now: NowDep) -> Response:
    if v.user is None:
        return to_login(request)
    if (draft := _mine(v, session, draft_id, now)) is None:
        return error_page(request, 404, *NOT_FOUND)
    plan_id = re.sub(r"[^A-Za-z0-9_.-]", "-", str((draft.plan.get("plan") or {}).get("id") or "plan"))
    return Response(draft.yaml(), media_type="application/yaml; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{plan_id}.yaml"'})


@router.post("/plans/import/{draft_id}/duty")
def correct_duty(request: Request, draft_id: str, v: Visitor, session: SessionDep, now: NowDep,
                 duty: Annotated[str, Form(max_length=64)] = "", title: Annotated[str, Form(max_length=2000)] = "",
                 lead: Annotated[str, Form(max_length=2000)] = "", schedule: Annotated[str, Form(max_length=500)] = "",
                 checked: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    if (draft := _mine(v, session, draft_id, now)) is None or (position := draft.position(duty)) is None:
        return error_page(request, 404, *NOT_FOUND)
    edit = plan_drafts.Edit(title, lead, schedule, checked == "yes")
    problems = plan_drafts.correct(draft, position, edit, now.date(), plan_drafts.known_departments(session))
    if problems:
        form = {"title": title, "lead": lead, "schedule": schedule, "errors": problems}
        return _draft_page(request, v, draft, draft.check(now.date()), 422, edits={duty: form})
    plan_drafts.save(session, v.user.id, draft)
    session.commit()
    return RedirectResponse(f"/plans/import/{draft.id}#duty-{position}", status_code=303)


def _changes(report: LoadReport, language: str) -> str:
    """What the load changed, plans and duties first (CHANGES' order), in `language`."""
    words = translator(language)
    order = [*CHANGES, *sorted(set(report.changes) - set(CHANGES))]
    said = [words.gettext(CHANGES[k]).format(n=report.changes[k]) if k in CHANGES else f"{k}: {report.changes[k]}"
            for k in order if report.changes.get(k)]
    return ("；" if language == "zh" else "; ").join(said) or words.gettext(N_("nothing changed"))


@router.post("/plans/import/{draft_id}/load")
def load_plan(request: Request, draft_id: str, v: Visitor, session: SessionDep, now: NowDep,
              settings: SettingsDep, accept_review: Annotated[str, Form()] = "",
              csrf: Annotated[str, Form()] = "") -> Response:
    if refused := refuse_unless_coordinator(request, v, csrf):
        return refused
    if (draft := _mine(v, session, draft_id, now)) is None:
        return error_page(request, 404, *NOT_FOUND)
    check = draft.check(now.date())  # the plan file as `plan load` reads it: stored as it is
    if check.review and accept_review != "yes":
        return _draft_page(request, v, draft, check, 409, load_error=_said(
            request, N_("{n} duties still need review: check them, or tick the box to load the plan as "
                        "it is."), n=len(check.review)))
    if check.data is None:
        return _draft_page(request, v, draft, check, 422, load_error=_said(
            request, N_("The plan has problems (shown at their duties): correct them, then load.")))
    report = store_plan(session, check.data, calendar=request.app.state.calendars(check.data.workdays),
                        today=now.date(), horizon_days=settings.horizon_days, now=now)
    plan_drafts.discard(session, v.user.id, draft)
    session.commit()
    lang = request_language(request)
    title = (draft.plan.get("plan") or {}).get("title") or report.plan
    message = Text(N_("Plan {plan} loaded: {changes}."), {"plan": title, "changes": _changes(report, lang)})
    return flash.remember(request, RedirectResponse("/board", status_code=303), message.say(lang))
