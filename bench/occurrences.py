"""Occurrence engine: 1,000 departments x 30 duties over one year, vs raw dateutil.rrule.

The baseline expands the same schedules with dateutil.rrule (no working-day calendar, no
validation): the floor of what any engine built on rrule could do. Each department's duties
get their own start dates and due days so nothing can be shared between departments.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, FR, MO, MONTHLY, TH, TU, WE, WEEKLY, YEARLY, rrule

from scheduler.calendar.occurrences import expand
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import calendar_for

DEPARTMENTS, DUTIES = 1000, 30
START, END = date(2025, 1, 1), date(2025, 12, 31)
KINDS = (["month"] * 8 + ["quarter"] * 6 + ["half-year"] * 3 + ["year"] * 3 + ["week"] * 3
         + ["day"] * 1 + ["due"] * 3 + ["dates"] * 3)
MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


def schedules(rng: random.Random) -> list[list[Schedule]]:
    out = []
    for _ in range(DEPARTMENTS):
        row = []
        for kind in KINDS:
            start = START + timedelta(days=rng.randrange(0, 60))
            if kind in ("due", "dates"):
                days = sorted({START + timedelta(days=rng.randrange(0, 365)) for _ in range(3)})
                row.append(Schedule(due=days[0]) if kind == "due" else Schedule(dates=days))
            elif kind in MONTHS and rng.random() < 0.5:
                row.append(Schedule(every=kind, due_on=f"day {rng.randrange(1, 29)}", **{"from": start}))
            else:
                row.append(Schedule(every=kind, **{"from": start}))
        out.append(row)
    return out


def baseline(s: Schedule) -> list[datetime]:
    """The same dates from dateutil.rrule directly."""
    if not s.every:
        return [datetime.combine(d, datetime.min.time()) for d in (s.dates or [s.due])]
    start = datetime.combine(s.from_ or START, datetime.min.time())
    until = datetime.combine(END, datetime.min.time())
    if s.every == "day":
        return list(rrule(DAILY, dtstart=start, until=until, byweekday=(MO, TU, WE, TH, FR)))
    if s.every == "week":
        return list(rrule(WEEKLY, dtstart=start, until=until, byweekday=FR))
    step = MONTHS[s.every]
    day = int(s.due_on.split()[1]) if s.due_on else -1
    first = (start.replace(day=1) + relativedelta(months=step - 1))
    freq, interval = (YEARLY, 1) if step == 12 else (MONTHLY, step)
    return list(rrule(freq, dtstart=first, until=until, interval=interval, bymonthday=day))


def run(fn, all_schedules) -> tuple[int, float]:
    began = time.perf_counter()
    count = sum(len(fn(s)) for row in all_schedules for s in row)
    return count, time.perf_counter() - began


def main() -> None:
    cal = calendar_for("CN")
    data = schedules(random.Random(2025))

    def engine(s: Schedule):
        return expand(s, calendar=cal, start=START, end=END, plan_start=START, plan_until=END)

    engine(data[0][0])  # warm the calendar's caches before timing either side
    base_n, base_t = run(baseline, data)
    ours_n, ours_t = run(engine, data)
    print(f"occurrences: {DEPARTMENTS} departments x {DUTIES} duties over {START.year}")
    print(f"  dateutil.rrule baseline : {base_n:>9,} dates       in {base_t:6.2f} s = {base_n / base_t:>10,.0f}/s")
    print(f"  duban expand            : {ours_n:>9,} occurrences in {ours_t:6.2f} s = {ours_n / ours_t:>10,.0f}/s")
    print(f"  ratio (duban time / baseline time): {ours_t / base_t:.2f}x")


if __name__ == "__main__":
    main()
