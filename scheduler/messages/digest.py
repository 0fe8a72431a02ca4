"""What a digest lists: one item per duty, department and date, a daily duty as one standing line,
the most urgent first.

A duty's occurrences that fall due the same day for the same department (a completion deadline
and the quarter that ends that day) are one obligation: they become one item that names both
(`Item.twins`) and answers for both (`Item.members`; scheduler/answers/record.py closes the
twins together). A duty that repeats every working day becomes one standing line per
department, "every working day: ... (N days open up to today)": its links answer the most recent
open day (today's, when it is open) and the deadlines due that same day (its completion, named in
the line); the older open days are counted in the line, not listed (the board lists them one by
one); the duty's other deadlines (its start) are listed under the line with their own links, so
the duty's title appears once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date

from db.vocabulary import PLANNED, OccurrenceKind
from scheduler.messages.render import Item

# The occurrence whose links a merged item carries: the completion deadline first.
_KIND_ORDER = {OccurrenceKind.due: 0, OccurrenceKind.recurring: 1, OccurrenceKind.start: 2,
               OccurrenceKind.event: 3}
_PURPOSE_ORDER = {p: n for n, p in enumerate(reversed(PLANNED))}  # escalation, overdue, due, upcoming

OpenDays = Callable[[Item], list[date]]


def urgency_key(item: Item) -> tuple:
    """Overdue (most days first), then due today, then coming up by date; ties keep their order."""
    return {"overdue": 0, "today": 1, "upcoming": 2}[item.urgency], -item.days_overdue, item.due


def combine(items: Iterable[Item], today: date, open_days: OpenDays | None = None) -> list[Item]:
    """The items of one message, merged and ordered. `open_days(line)` gives the open days of a
    daily duty's department up to today (from the database); without it, the days among `items`.
    Items due alike keep the order they came in (the dispatcher's: by send time)."""
    groups: dict[tuple, list[Item]] = defaultdict(list)
    for i in items:
        day = None if i.every_workday else i.due
        groups[(i.plan_title, i.duty_id, i.duty_key, i.department_id, i.department, day)].append(i)
    merged = []
    for key, group in groups.items():
        if key[-1] is None:
            merged += _daily(group, today, open_days)
        else:
            merged.append(_twins(group))
    return sorted(merged, key=urgency_key)


def _twins(group: list[Item]) -> Item:
    """One item for the occurrences of one duty, department and date."""
    group = sorted(group, key=lambda i: (_KIND_ORDER.get(i.kind, 9), i.occurrence_id))
    if len(group) == 1:
        return group[0]
    first = group[0]
    return replace(first, twins=tuple((i.kind, i.period) for i in group),
                   members=tuple(i.occurrence_id for i in group), **_shared(group))


def _shared(group: list[Item]) -> dict:
    """What several occurrences shown as one item say together."""
    return {"purpose": min((i.purpose for i in group), key=lambda p: _PURPOSE_ORDER.get(p, 9)),
            "late": any(i.late for i in group), "informational": all(i.informational for i in group)}


def _daily(group: list[Item], today: date, open_days: OpenDays | None) -> list[Item]:
    """A daily duty's standing line, its other deadlines under it."""
    days = [i for i in group if i.kind == OccurrenceKind.recurring]
    by_date: dict[date, list[Item]] = defaultdict(list)
    for i in group:
        if i.kind != OccurrenceKind.recurring:
            by_date[i.due].append(i)
    others = sorted((_twins(g) for g in by_date.values()), key=urgency_key)
    if not days:  # only the duty's start or completion falls due: items as any other duty's
        return others
    line = max((i for i in days if i.due <= today), key=lambda i: i.due, default=None) or min(
        days, key=lambda i: i.due)
    same_day = [o for o in others if o.due == line.due]  # its twins: answered with the line
    twins = tuple(t for o in same_day for t in o.twins or ((o.kind, o.period),))
    open_ = sorted(open_days(line) if open_days else {i.due for i in days if i.due <= today})
    oldest = open_[0] if open_ else line.due
    members = tuple(dict.fromkeys([line.occurrence_id, *(i.occurrence_id for i in days),
                                   *(m for o in others for m in o.covered)]))
    return [replace(line, open_days=len(open_), due=oldest, days_overdue=max(0, (today - oldest).days),
                    working_days_left=min(line.working_days_left, 0) if oldest <= today else line.working_days_left,
                    twins=((line.kind, line.period), *twins) if twins else (),
                    also=tuple(o for o in others if o.due != line.due), members=members, **_shared(group))]
