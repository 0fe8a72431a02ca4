"""Working-day calendars: mainland China's statutory holidays and 调休 days, or plain Mon-Fri.

The CN data comes from the `chinesecalendar` package, which knows each year once the State
Council publishes it (every November for the next year). Past the package's data the calendar
falls back to Monday-Friday and says so: `beyond_data()` lists the years, and a warning is
logged once per year, so no answer is silently wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Literal

import chinese_calendar

log = logging.getLogger(__name__)

CalendarKind = Literal["CN", "mon-fri"]


def cn_data_years() -> range:
    """The years the installed chinesecalendar package has data for."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return range(years[0], years[-1] + 1)


@dataclass
class WorkdayCalendar:
    """Answers "is this a working day" and counts N working days from a date."""

    kind: CalendarKind = "CN"
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    _warned: set[int] = field(default_factory=set, init=False, repr=False)
    # chinesecalendar validates every date against its whole table: remember the answers.
    _known: dict[date, bool] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._years = cn_data_years() if self.kind == "CN" else None

    def covers(self, day: date) -> bool:
        """True when the calendar has real data for `day` (always for mon-fri)."""
        return self._years is None or day.year in self._years

    def beyond_data(self, days: Iterable[date]) -> list[int]:
        """The years among `days` for which the CN calendar falls back to Mon-Fri."""
        return sorted({d.year for d in days if not self.covers(d)})

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        if self.covers(day) and self.kind == "CN":
            return chinese_calendar.is_workday(day)
        if self.kind == "CN" and day.year not in self._warned:
            self._warned.add(day.year)
            log.warning("no official holiday data for %s: counting Monday-Friday as working days "
                        "(upgrade chinesecalendar or add holidays in settings)", day.year)
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """The statutory holiday `day` belongs to, a day off in it or a make-up working day (调休)
        for it, as chinesecalendar names it ("National Day"); None for other days, for mon-fri
        calendars and beyond the package's data."""
        if self.kind != "CN" or not self.covers(day):
            return None
        return chinese_calendar.holidays.get(day) or chinese_calendar.workdays.get(day)

    def add_workdays(self, day: date, n: int) -> date:
        """The date `n` working days after `day` (before, when n < 0); `day` itself not counted.

        n == 0 gives `day` itself when it is a working day, else the next working day.
        """
        if n == 0:
            return self.on_or_after(day)
        step = timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if self.is_workday(day):
                left -= 1
        return day

    def on_or_before(self, day: date) -> date:
        """`day` when it is a working day, else the last working day before it."""
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        """`day` when it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def workdays_between(self, start: date, end: date) -> Iterator[date]:
        """Working days in [start, end]."""
        day = start
        while day <= end:
            if self.is_workday(day):
                yield day
            day += timedelta(days=1)

    def count_workdays(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end < start)."""
        if end >= start:
            return sum(1 for _ in self.workdays_between(start + timedelta(days=1), end))
        return -sum(1 for _ in self.workdays_between(end + timedelta(days=1), start))


def calendar_for(kind: CalendarKind, extra_holidays: Iterable[date] = (),
                 extra_workdays: Iterable[date] = ()) -> WorkdayCalendar:
    """A calendar of `kind` with the settings' extra holidays and working days."""
    return WorkdayCalendar(kind, frozenset(extra_holidays), frozenset(extra_workdays))


def calendars(extra_holidays: Iterable[date] = (),
              extra_workdays: Iterable[date] = ()) -> Callable[[str], WorkdayCalendar]:
    """One calendar per kind (CN, mon-fri) with the settings' extra days, each built once."""
    holidays, workdays = tuple(extra_holidays), tuple(extra_workdays)

    @cache
    def of(kind: str) -> WorkdayCalendar:
        return calendar_for(kind, holidays, workdays)  # type: ignore[arg-type]

    return of
