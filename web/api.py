"""The JSON API under /api for coordinators' scripts: departments, occurrences (with their answer
history), answering, recording events. Every route goes through the same core functions as the CLI
and the bot; pydantic models describe requests and responses, so /api/openapi.json is the contract.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import AfterValidator, BaseModel, Field, HttpUrl
from sqlalchemy.exc import DataError
from sqlmodel import Session, col, select

from db.models import Answer, Department
from db.queries import (
    NotFound,
    OccurrenceRow,
    find_department,
    list_occurrences,
    occurrence_row,
    today_in,
)
from db.vocabulary import Action, OccurrenceStatus
from scheduler import moments
from scheduler.answers.events import record_event
from scheduler.answers.record import ACTIONS, Actor, Refused, answer
from scheduler.answers.snooze import MAX_SNOOZE, BadDuration, snooze_until
from scheduler.bounds import MAX_ID, Day, check_moment
from scheduler.settings import Settings
from web.api_auth import Coordinator
from web.deps import NowDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["api"], responses={
    401: {"description": "No or a wrong API token"}, 404: {"description": "Not found"},
    422: {"description": "Invalid input (the detail says what)"}})


def _printable(value: str) -> str:
    """Text that a database accepts: PostgreSQL refuses NUL characters."""
    if "\x00" in value:
        raise ValueError("文本含有空字符 text must not contain NUL characters")
    return value


def _moment(value: datetime) -> datetime:
    """Only years a duty can have are accepted (scheduler.bounds); a naive time stays naive until
    the route reads it in the deployment's time zone (`_typed`)."""
    return check_moment(value)


def _typed(value: datetime | None, settings: Settings) -> datetime | None:
    """A time from a request: without an offset, the wall clock in DUBAN_TIMEZONE (the one time rule)."""
    return None if value is None else moments.typed(value, settings.zone)


Text = Annotated[str, Field(max_length=2000), AfterValidator(_printable)]
Ref = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]
Moment = Annotated[datetime, AfterValidator(_moment)]
Status = Literal[tuple(OccurrenceStatus)]  # type: ignore[valid-type]


class DepartmentOut(BaseModel):
    id: int
    key: str
    name: str
    aliases: list[str]
    tags: list[str]
    supervisor: str | None


class OccurrenceOut(BaseModel):
    id: int
    plan: str
    duty_key: str
    duty: str
    department_id: int
    department: str
    kind: str
    period: str
    due: date
    due_at: datetime | None
    status: Status
    overdue: bool = Field(description="Open and past its due date in the plan's time zone")
    done_at: datetime | None
    done_by: str | None
    evidence_url: str | None
    note: str | None
    snoozed_until: datetime | None


class AnswerOut(BaseModel):
    id: int
    action: str
    actor: str
    channel: str
    at: datetime
    changed: bool
    evidence_url: str | None
    note: str | None
    snooze_until: datetime | None


class OccurrenceDetail(OccurrenceOut):
    history: list[AnswerOut] = Field(description="Every answer, oldest first (refusals included)")


class AnswerIn(BaseModel):
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    evidence_url: HttpUrl | None = Field(None, description="Where the result was published (http/https)")
    note: Text | None = None
    snooze: Annotated[str, Field(max_length=40), AfterValidator(_printable)] = Field(
        "1d", description="For snooze: tomorrow, 3d (working days), next-week, 4h or a date YYYY-MM-DD")
    at: Moment | None = Field(None, description=(
        "Back-date the answer (e.g. confirmed by phone): done then counts as done then. ISO 8601; without "
        "an offset, the deployment's time zone (DUBAN_TIMEZONE). Not in the future, not before the duty "
        "was handed over. Default: now"))


class AnswerResult(BaseModel):
    changed: bool = Field(description="False when the answer repeated the current state")
    occurrence: OccurrenceDetail


class EventIn(BaseModel):
    duty: Ref = Field(description="PLAN/KEY, or KEY when only one plan has it")
    department: Ref | None = Field(None, description="Lead department (id, key, name or alias)")
    happened_at: Moment | None = Field(None, description=(
        "When it happened (default: now); without an offset, the deployment's time zone (DUBAN_TIMEZONE)"))
    note: Text | None = None


class EventOut(BaseModel):
    event_id: int
    deadline: datetime
    occurrence: OccurrenceOut


def _out(row: OccurrenceRow, now: datetime) -> dict:
    occ = row.occurrence
    return {**occ.model_dump(include={"id", "department_id", "kind", "period", "due", "due_at", "status",
                                      "done_at", "done_by", "evidence_url", "note", "snoozed_until"}),
            "plan": row.plan.key, "duty_key": row.duty.key, "duty": row.duty.title,
            "department": row.department.name,
            "overdue": occ.status == OccurrenceStatus.open and occ.due < today_in(row.plan.timezone, now)}


def _detail(session: Session, occurrence_id: int, now: datetime) -> OccurrenceDetail:
    row = occurrence_row(session, occurrence_id)
    history = session.exec(select(Answer).where(Answer.occurrence_id == occurrence_id)
                           .order_by(col(Answer.at), col(Answer.id))).all()
    return OccurrenceDetail(**_out(row, now), history=[AnswerOut.model_validate(a, from_attributes=True)
                                                       for a in history])


def _not_found(exc: NotFound) -> HTTPException:
    return HTTPException(404, str(exc))


@router.get("/departments", response_model=list[DepartmentOut])
def departments(user: Coordinator, session: SessionDep) -> list[Department]:
    return list(session.exec(select(Department).order_by(Department.key)))


@router.get("/occurrences", response_model=list[OccurrenceOut])
def occurrences(user: Coordinator, session: SessionDep, now: NowDep,
                department: Annotated[Ref | None, Query(description="id, key, name or alias")] = None,
                status: Annotated[Status | Literal["all"], Query()] = "all",
                overdue: Annotated[bool, Query(description="Only open ones past their due date")] = False,
                from_: Annotated[Day | None, Query(alias="from", description="Due on or after")] = None,
                to: Annotated[Day | None, Query(description="Due on or before")] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> list[dict]:
    try:
        dept = find_department(session, department) if department else None
    except NotFound as exc:
        raise _not_found(exc) from None
    rows = list_occurrences(session, now, department=dept, overdue=overdue,
                            status=None if status == "all" else status)
    rows = [r for r in rows if (from_ is None or r.occurrence.due >= from_)
            and (to is None or r.occurrence.due <= to)]
    return [_out(r, now) for r in rows[offset:offset + limit]]


Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/occurrences/{occurrence_id}", response_model=OccurrenceDetail)
def occurrence(occurrence_id: Id, user: Coordinator, session: SessionDep, now: NowDep) -> OccurrenceDetail:
    try:
        return _detail(session, occurrence_id, now)
    except NotFound as exc:
        raise _not_found(exc) from None


@router.post("/occurrences/{occurrence_id}/answer", response_model=AnswerResult)
def answer_occurrence(occurrence_id: Id, body: AnswerIn, request: Request, user: Coordinator,
                      session: SessionDep, now: NowDep, settings: SettingsDep) -> AnswerResult:
    try:
        row = occurrence_row(session, occurrence_id)
        until = None
        if body.action == Action.snooze:
            until = snooze_until(row.plan, row.duty, body.snooze, now,
                                 request.app.state.calendars(row.plan.workdays))
        outcome = answer(session, occurrence_id, body.action,
                         actor=Actor(user.display_name or user.username, coordinator=True), channel="api",
                         now=now, origin=f"api:{request.client.host}" if request.client else "api",
                         evidence_url=str(body.evidence_url) if body.evidence_url else None,
                         note=body.note, snooze_until=until, at=_typed(body.at, settings))
        session.commit()
    except NotFound as exc:
        raise _not_found(exc) from None
    except BadDuration as exc:
        raise HTTPException(422, f"推迟时间无效 bad snooze {exc.value!r}: {exc} (tomorrow, 3d, next-week, 4h "
                                 f"or a future date YYYY-MM-DD, at most {MAX_SNOOZE.days} days ahead)") from None
    except (Refused, ValueError, OverflowError) as exc:
        raise HTTPException(422, str(exc)) from None
    return AnswerResult(changed=outcome.changed, occurrence=_detail(session, occurrence_id, now))


@router.post("/events", response_model=EventOut, status_code=201)
def event(body: EventIn, request: Request, user: Coordinator, session: SessionDep, now: NowDep,
          settings: SettingsDep) -> EventOut:
    try:
        recorded = record_event(session, body.duty, department=body.department,
                                happened_at=_typed(body.happened_at, settings) or now, note=body.note,
                                recorded_by=user.display_name or user.username,
                                calendar_of=request.app.state.calendars)
        session.commit()
    except NotFound as exc:
        raise _not_found(exc) from None
    except (ValueError, OverflowError, DataError) as exc:
        session.rollback()
        raise HTTPException(422, str(exc).splitlines()[0]) from None
    row = occurrence_row(session, recorded.occurrence.id)
    return EventOut(event_id=recorded.event.id, deadline=recorded.deadline,
                    occurrence=OccurrenceOut(**_out(row, now)))
