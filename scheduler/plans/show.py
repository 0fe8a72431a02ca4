"""The normalised view of a plan file (plan-format.md "What the CLI shows"), without a database."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.calendar.occurrences import expand
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.plans.file import DutyPlan, PlanData


def default_window(data: PlanData) -> tuple[date, date]:
    """One year from the plan's issue date, reaching back to any deadline set before it (a
    warning too): a missed deadline is shown, not hidden."""
    try:
        end = data.issued.replace(year=data.issued.year + 1)
    except ValueError:  # 29 February
        end = data.issued + timedelta(days=365)
    return min([data.issued, *(_first_day(d.schedule) for d in data.duties)]), end - timedelta(days=1)


def _first_day(s: Schedule) -> date:
    return min(filter(None, (s.start_by, s.due, s.from_, *s.dates)), default=date.max)


def show_plan(data: PlanData, calendar: WorkdayCalendar, start: date, end: date) -> dict:
    """The plan as JSON: duties with department names, schedules and occurrences in [start, end],
    what needs review, and the warnings (deadlines before the issue date)."""
    names = {d.id: d.name for d in data.departments}
    return {"plan": {"id": data.key, "title": data.title, "year": data.year},
            "duties": [_duty(duty, data, names, calendar, start, end) for duty in data.duties],
            "review": data.review_json(), "warnings": list(data.warnings)}


def _duty(duty: DutyPlan, data: PlanData, names: dict[str, str], calendar: WorkdayCalendar,
          start: date, end: date) -> dict:
    specs = expand(duty.schedule, calendar=calendar, start=start, end=end,
                   plan_start=data.issued, plan_until=data.until)
    return {
        "id": duty.key, "title": duty.title, "source": duty.source,
        "lead": [names[k] for k in duty.lead], "support": [names[k] for k in duty.support],
        "schedule": duty.schedule.as_json(),
        "read_in_part": duty.read_in_part.as_json() if duty.read_in_part else None,
        "review": duty.review,
        "occurrences": [{"department": names[k], "kind": s.kind, "due": s.due.isoformat()}
                        for k in duty.lead for s in specs],
    }


def calendar_warnings(data: PlanData, calendar: WorkdayCalendar, start: date, end: date) -> list[str]:
    """Loud notes for the years in the window that the CN holiday data does not cover yet."""
    if data.workdays != "CN":
        return []
    years = calendar.beyond_data([start, end] + [date(y, 1, 1) for y in range(start.year, end.year + 1)])
    return [f"注意 warning: no official holiday data for {y}; working days that year are counted "
            "Monday-Friday until the chinesecalendar package is upgraded or DUBAN_EXTRA_HOLIDAYS / "
            "DUBAN_EXTRA_WORKDAYS are set" for y in years]
