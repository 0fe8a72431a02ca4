"""The board's charts as data for templates/web/charts.html, drawn in HTML and CSS (no JS, no CDN:
the board works offline on an office intranet, and text in HTML wraps instead of being clipped).

- `completion_bar`: a department's completion and on-time rates as one bar, with its words.
- `due_calendar`: a year of due dates as twelve month calendars (weekday columns, Monday first),
  darker where more is due, with statutory holidays and make-up working days (调休) marked from
  the working-day calendar (scheduler/calendar/workdays.py).
Every chart comes with its legend (templates/web/charts.html).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil

from scheduler.calendar.workdays import WorkdayCalendar
from scheduler.i18n import N_
from scheduler.reports.board import DepartmentScore

LEVELS = 4  # shades for days with something due; level 0 is nothing due
MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
          N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))
# chinesecalendar's names for the statutory holidays: msgids, said in the reader's language
HOLIDAYS = {"New Year's Day": N_("New Year's Day"), "Spring Festival": N_("Spring Festival"),
            "Tomb-sweeping Day": N_("Tomb-sweeping Day"), "Labour Day": N_("Labour Day"),
            "Dragon Boat Festival": N_("Dragon Boat Festival"), "National Day": N_("National Day"),
            "Mid-autumn Festival": N_("Mid-autumn Festival"), "Anti-Fascist 70th Day": N_("Anti-Fascist 70th Day")}


@dataclass(frozen=True)
class Bar:
    """Shares of what was due by today (waived left out): done on time, done late, not done."""

    on_time: int  # percent, rounded
    late: int  # percent, so that on_time + late is the completion rate
    counted: int  # how many occurrences the shares are of (0: nothing due yet)


def completion_bar(score: DepartmentScore | None) -> Bar:
    if score is None or not score.counted:
        return Bar(0, 0, 0)
    done = round(100 * (score.completion_rate or 0.0))
    on_time = round(100 * (score.on_time_rate or 0.0))
    return Bar(on_time, done - on_time, score.counted)


@dataclass(frozen=True)
class Day:
    day: date
    count: int  # due that day
    level: int  # 0 (nothing due) .. LEVELS
    kind: str  # workday | weekend | holiday (a day off on a working weekday) | makeup (调休: a weekend worked)
    holiday: str | None  # the holiday's msgid, when the day belongs to one


@dataclass(frozen=True)
class MonthGrid:
    month: int
    name: str  # msgid
    weeks: list[list[Day | None]]  # rows of seven, Monday first; None outside the month


@dataclass(frozen=True)
class DueCalendar:
    year: int
    months: list[MonthGrid]
    ranges: list[tuple[int, int]]  # per level 1..LEVELS, the counts it stands for (legend)
    total: int


def _ranges(counts: list[int]) -> list[tuple[int, int]]:
    """The day counts cut into at most LEVELS ranges holding about as many days each (quartiles
    of the days with something due), so a few very busy days do not wash out the rest."""
    busy = sorted(n for n in counts if n > 0)
    if not busy:
        return []
    ranges, low = [], 1
    for level in range(1, LEVELS + 1):
        high = busy[min(len(busy) - 1, ceil(level * len(busy) / LEVELS) - 1)]
        if high >= low:
            ranges.append((low, high))
            low = high + 1
    return ranges


def _level(count: int, ranges: list[tuple[int, int]]) -> int:
    return next((i for i, (_, high) in enumerate(ranges, 1) if count <= high), 0) if count else 0


def _kind(day: date, workdays: WorkdayCalendar) -> str:
    working, weekend = workdays.is_workday(day), day.weekday() >= 5
    if working:
        return "makeup" if weekend else "workday"
    return "weekend" if weekend and workdays.holiday_name(day) is None else "holiday"


def due_calendar(year: int, per_day: dict[date, int], workdays: WorkdayCalendar) -> DueCalendar:
    ranges = _ranges(list(per_day.values()))
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        cells: list[Day | None] = [None] * first.weekday()
        for n in range(calendar.monthrange(year, month)[1]):
            day = first + timedelta(days=n)
            count, name = per_day.get(day, 0), workdays.holiday_name(day)
            cells.append(Day(day, count, _level(count, ranges), _kind(day, workdays),
                             HOLIDAYS.get(name, name) if name else None))
        cells += [None] * (-len(cells) % 7)
        months.append(MonthGrid(month, MONTHS[month - 1], [cells[i:i + 7] for i in range(0, len(cells), 7)]))
    return DueCalendar(year, months, ranges, sum(per_day.values()))
