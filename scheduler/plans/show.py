"""The normalised view of a plan file (plan-format.md "What the CLI shows"), without a database."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.calendar.occurrences import expand
from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.plans.file import PlanData


def default_window(data: PlanData) -> tuple[date, date]:
    """One year from the plan's issue date."""
    try:
        end = data.issued.replace(year=data.issued.year + 1)
    except ValueError:  # 29 February
        end = data.issued + timedelta(days=365)
    return data.issued, end - timedelta(days=1)


def show_plan(data: PlanData, calendar: WorkdayCalendar, start: date, end: date) -> dict:
    """The plan as JSON: duties with department names, schedules and occurrences in [start, end]."""
    names = {d.id: d.name for d in data.departments}
    duties = []
    for duty in data.duties:
        specs = expand(duty.schedule, calendar=calendar, start=start, end=end,
                       plan_start=data.issued, plan_until=data.until)
        duties.append({
            "id": duty.key, "title": duty.title,
            "lead": [names[k] for k in duty.lead], "support": [names[k] for k in duty.support],
            "schedule": duty.schedule.as_json(),
            "occurrences": [{"department": names[k], "kind": s.kind, "due": s.due.isoformat()}
                            for k in duty.lead for s in specs],
        })
    return {"plan": {"id": data.key, "title": data.title, "year": data.year},
            "duties": duties,
            "review": [{"duty": key, "why": why} for key, why in data.review]}


def calendar_warnings(data: PlanData, calendar: WorkdayCalendar, start: date, end: date) -> list[str]:
    """Loud notes for the years in the window that the CN holiday data does not cover yet."""
    if data.workdays != "CN":
        return []
    years = calendar.beyond_data([start, end] + [date(y, 1, 1) for y in range(start.year, end.year + 1)])
    return [f"注意 warning: no official holiday data for {y}; working days that year are counted "
            "Monday-Friday until the chinesecalendar package is upgraded or DUBAN_EXTRA_HOLIDAYS / "
            "DUBAN_EXTRA_WORKDAYS are set" for y in years]
