"""`duban occurrences`, `duban answer OCCURRENCE ACTION` and `duban event record DUTY`: the occurrences,
soonest first, the answers to them, and the events that start deadlines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from sqlmodel import Session

from db import queries
from db.vocabulary import ANSWERS, OccurrenceStatus
from duban.cli.common import (
    MOMENT_HELP,
    JsonOpt,
    calendar,
    database,
    fail,
    now,
    out,
    print_json,
    print_table,
    shown,
    typed_moment,
)
from scheduler.bounds import one_of, parse_id, whole_number

event_app = typer.Typer(no_args_is_help=True, help="事件 Events that start a deadline.")
STATUSES = (*(s.value for s in OccurrenceStatus), "all")


def occurrences(department: Annotated[str | None, typer.Option(help="Department id, name or alias.")] = None,
                overdue: Annotated[bool, typer.Option(help="Only open ones past their due date.")] = False,
                status: Annotated[str, typer.Option(parser=one_of(STATUSES, "状态", "status"),
                                                    help=f"{', '.join(STATUSES[:-1])} or all.")] = "open",
                limit: Annotated[int, typer.Option(parser=whole_number(0, 100_000, "行数", "--limit"),
                                                   help="At most this many rows (0 = all).")] = 200,
                as_json: JsonOpt = False) -> None:
    """事项 List occurrences, soonest first."""
    if overdue and status not in ("open", "all"):
        raise fail(f"--overdue 只列未办的事项 lists open occurrences only: leave out --status {status}")
    moment = now()
    with database() as session:
        dept = queries.find_department(session, department) if department else None
        rows = queries.list_occurrences(session, moment, department=dept, overdue=overdue,
                                        status=None if status == "all" else status, limit=limit or None)
    items = [{"id": r.occurrence.id, "plan": r.plan.key, "duty": r.duty.key, "title": r.duty.title,
              "department": r.department.name, "kind": r.occurrence.kind, "period": r.occurrence.period,
              "due": r.occurrence.due.isoformat(), "status": r.occurrence.status,
              "days_overdue": r.days_overdue(queries.today_in(r.plan.timezone, moment))} for r in rows]
    if as_json:
        print_json(items)
        return
    print_table("事项 Occurrences", ["id", "due", "overdue", "department", "duty", "title", "kind", "status"],
                [[i["id"], i["due"], i["days_overdue"] or "", i["department"], i["duty"], i["title"],
                  i["kind"], i["status"]] for i in items])


# The answers a person may give, as the command's choices (the log's `refused` is none of them).
Action = StrEnum("Action", {a.name: a.value for a in ANSWERS})


def answer_command(occurrence: Annotated[int, typer.Argument(
                       parser=parse_id, help="Occurrence id (see `duban occurrences`).")],
                   action: Annotated[Action, typer.Argument()],
                   evidence: Annotated[str | None, typer.Option(help="Link to what was published.")] = None,
                   note: Annotated[str | None, typer.Option()] = None,
                   until: Annotated[datetime | None, typer.Option(
                       parser=typed_moment, help=f"Snooze until this moment (default: the next working day "
                                                 f"at the send time); {MOMENT_HELP}.")] = None,
                   at: Annotated[datetime | None, typer.Option(
                       parser=typed_moment, help=f"When it was so, if earlier than now (e.g. confirmed by "
                                                 f"phone yesterday): done then counts as done then; {MOMENT_HELP}.")] = None,
                   by: Annotated[str, typer.Option(help="Who answers (recorded in the log).")] = "cli",
                   as_json: JsonOpt = False) -> None:
    """答复 Mark an occurrence done, snooze it, ask for help, reopen or waive it (--at: back-dated)."""
    import getpass

    from scheduler.answers.record import Actor, Refused, answer

    if until is not None and action is not Action.snooze:
        raise fail(f"--until 只用于推迟 goes with snooze only, not with {action.value}")
    moment = now()
    with database() as session:
        snooze = _snooze_until(session, occurrence, until, moment) if action is Action.snooze else None
        try:
            outcome = answer(session, occurrence, action.value, actor=Actor(f"{by} ({getpass.getuser()})",
                             coordinator=True), channel="cli", now=moment, origin="cli",
                             evidence_url=evidence, note=note, snooze_until=snooze, at=at)
        except (Refused, ValueError) as exc:
            raise fail(str(exc)) from None
        result = {"occurrence": outcome.occurrence.id, "action": action.value, "changed": outcome.changed,
                  "status": outcome.occurrence.status, "at": outcome.answer.at, "snoozed_until": snooze}
    if as_json:
        print_json(result)
    else:
        what = "recorded" if outcome.changed else "already so; logged as a repeat"
        until_text = f", until {shown(snooze)}" if snooze else ""
        out.print(f"[green]✓[/green] occurrence {occurrence}: {action.value} {what} as of {shown(result['at'])}"
                  f"{until_text} (status {result['status']})", highlight=False)


def _snooze_until(session: Session, occurrence: int, until: datetime | None, moment: datetime) -> datetime:
    """The time given (read in the deployment's time zone unless it has an offset), else the next
    working day at the duty's send time."""
    from db.models import Duty, Occurrence, Plan
    from scheduler.answers.snooze import snooze_until

    if until is not None:
        return until
    occ = session.get(Occurrence, occurrence)
    if occ is None:
        raise queries.NotFound(f"没有这个事项 no occurrence #{occurrence}: see `duban occurrences`")
    duty = session.get(Duty, occ.duty_id)
    plan = session.get(Plan, duty.plan_id)
    return snooze_until(plan, duty, "1d", moment, calendar(plan.workdays))


@event_app.command("record")
def event_record(duty: Annotated[str, typer.Argument(help="PLAN/KEY, or KEY when only one plan has it.")],
                 department: Annotated[str | None, typer.Option(help="Lead department (id, name or alias).")] = None,
                 at: Annotated[datetime | None, typer.Option(
                     parser=typed_moment, help=f"When it happened (default: now); {MOMENT_HELP}.")] = None,
                 note: Annotated[str | None, typer.Option()] = None,
                 as_json: JsonOpt = False) -> None:
    """记录事件 Record an event (e.g. 文件公开) and create the deadline it starts."""
    import getpass

    from scheduler.answers.events import record_event

    moment = now()
    with database() as session:
        try:
            rec = record_event(session, duty, department=department, happened_at=at or moment, note=note,
                               recorded_by=f"cli ({getpass.getuser()})", calendar_of=calendar)
        except ValueError as exc:
            raise fail(str(exc)) from None
        result = {"event": rec.event.id, "occurrence": rec.occurrence.id, "happened_at": rec.event.happened_at,
                  "deadline": rec.deadline, "due": rec.occurrence.due.isoformat()}
    if as_json:
        print_json(result)
    else:
        out.print(f"[green]✓[/green] event {result['event']} at {shown(rec.event.happened_at)}: occurrence "
                  f"{result['occurrence']} due {shown(rec.deadline)}", highlight=False)
