"""`duban occurrences`, `duban answer OCCURRENCE ACTION` and `duban event record DUTY`: the occurrences,
soonest first, the answers to them, and the events that start deadlines."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from sqlmodel import Session

from db import queries
from db.vocabulary import ANSWERS
from duban.cli.common import JsonOpt, calendar, database, fail, now, out, print_json, print_table
from scheduler.bounds import parse_id, parse_moment

event_app = typer.Typer(no_args_is_help=True, help="事件 Events that start a deadline.")


def occurrences(department: Annotated[str | None, typer.Option(help="Department id, name or alias.")] = None,
                overdue: Annotated[bool, typer.Option(help="Only open ones past their due date.")] = False,
                status: Annotated[str, typer.Option(help="open, done, waived, cancelled or all.")] = "open",
                limit: Annotated[int, typer.Option(min=0, max=100_000, help="At most this many rows (0 = all).")] = 200,
                as_json: JsonOpt = False) -> None:
    """事项 List occurrences, soonest first."""
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
                       parser=parse_moment, help="Snooze until (ISO time); default: next working day 09:00.")] = None,
                   by: Annotated[str, typer.Option(help="Who answers (recorded in the log).")] = "cli",
                   as_json: JsonOpt = False) -> None:
    """答复 Mark an occurrence done, snooze it, ask for help, reopen or waive it."""
    import getpass

    from scheduler.answers.record import Actor, Refused, answer

    moment = now()
    with database() as session:
        snooze = _snooze_until(session, occurrence, until, moment) if action is Action.snooze else None
        try:
            outcome = answer(session, occurrence, action.value, actor=Actor(f"{by} ({getpass.getuser()})",
                             coordinator=True), channel="cli", now=moment, origin="cli",
                             evidence_url=evidence, note=note, snooze_until=snooze)
        except (Refused, ValueError) as exc:
            raise fail(str(exc)) from None
        result = {"occurrence": outcome.occurrence.id, "action": action.value, "changed": outcome.changed,
                  "status": outcome.occurrence.status,
                  "snoozed_until": snooze.isoformat() if snooze else None}
    if as_json:
        print_json(result)
    else:
        what = "recorded" if outcome.changed else "already so; logged as a repeat"
        out.print(f"[green]✓[/green] occurrence {occurrence}: {action.value} {what} "
                  f"(status {result['status']})", highlight=False)


def _snooze_until(session: Session, occurrence: int, until: datetime | None, moment: datetime) -> datetime:
    """An explicit time (naive = the plan's local time), else the next working day at the send time."""
    from zoneinfo import ZoneInfo

    from db.models import Duty, Occurrence, Plan
    from scheduler.answers.snooze import snooze_until

    occ = session.get(Occurrence, occurrence)
    if occ is None:
        raise queries.NotFound(f"没有这个事项 no occurrence #{occurrence}: see `duban occurrences`")
    duty = session.get(Duty, occ.duty_id)
    plan = session.get(Plan, duty.plan_id)
    if until is not None:
        return (until if until.tzinfo else until.replace(tzinfo=ZoneInfo(plan.timezone))).astimezone(UTC)
    return snooze_until(plan, duty, "1d", moment, calendar(plan.workdays))


@event_app.command("record")
def event_record(duty: Annotated[str, typer.Argument(help="PLAN/KEY, or KEY when only one plan has it.")],
                 department: Annotated[str | None, typer.Option(help="Lead department (id, name or alias).")] = None,
                 at: Annotated[datetime | None, typer.Option(
                     parser=parse_moment, help="When it happened (ISO; naive = plan's local time).")] = None,
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
        result = {"event": rec.event.id, "occurrence": rec.occurrence.id, "deadline": rec.deadline.isoformat(),
                  "due": rec.occurrence.due.isoformat()}
    if as_json:
        print_json(result)
    else:
        out.print(f"[green]✓[/green] event {result['event']}: occurrence {result['occurrence']} "
                  f"due {result['deadline']}", highlight=False)
