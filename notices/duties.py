"""From a Record (one item of the notice) to the plan's duties: usually one; two or more when the
item names two frequencies for two things, or numbers its requirements each with its own deadline."""

from __future__ import annotations

import re
from typing import Any

from notices.departments import Directory
from notices.records import Record
from notices.schedules import Found, frequencies, rules_in, schedule_for
from scheduler.calendar.schedules import Schedule
from scheduler.plans.phrases import parse_schedule

UNASSIGNED = "待定牵头单位"
_NUMBERED = re.compile(r"(?:^|(?<=[\n;；。 ]))\s*(\d{1,2})[、.．]\s*")
_CLAUSE = re.compile(r"(?<=[;；。，,])")


def _parts(requirement: str) -> list[str]:
    """1、… 2、… 3、…: the numbered parts of a requirement ([] when it is not numbered)."""
    marks = list(_NUMBERED.finditer(requirement))
    if len(marks) < 2 or marks[0].start() != 0:
        return []
    ends = [m.start() for m in marks[1:]] + [len(requirement)]
    return [requirement[m.end():end].strip(" \n;；") for m, end in zip(marks, ends, strict=True)]


def _split(record: Record, year: int) -> list[tuple[str, str, str]]:
    """(suffix, requirement, deadline) for each duty of the record."""
    parts, deadlines = _parts(record.requirement), _parts(record.deadline)
    if parts and len(parts) == len(deadlines):
        return [(f".{i}", p, d) for i, (p, d) in enumerate(zip(parts, deadlines, strict=True), start=1)]
    if parts and not record.deadline and _own_deadlines(parts):
        return [(f".{i}", p, "") for i, p in enumerate(parts, start=1)]
    if not _has_frequency(record.deadline) and len(frequencies(record.requirement)) > 1:
        return [(f".{i}", text, record.deadline) for i, text in enumerate(_by_frequency(record.requirement), 1)]
    return [("", record.requirement, record.deadline)]


def _own_deadlines(parts: list[str]) -> bool:
    """Each numbered part names a time rule, and not all the same one."""
    readings = [" ".join(rules_in(p, every_word=True)) for p in parts]
    return all(readings) and len(set(readings)) == len(readings)


def _has_frequency(deadline: str) -> bool:
    return bool(deadline) and parse_schedule(deadline, year=2000).schedule.every is not None


def _by_frequency(requirement: str) -> list[str]:
    """做好抽检信息公开，每周公开食品抽检信息，每季度公开药品抽检信息 -> one text per frequency; a clause
    naming none stays with the one before it, and words before the first frequency go with every part."""
    clauses = _CLAUSE.split(requirement)
    if sum(1 for c in clauses if frequencies(c)) < 2:
        clauses = re.split(r"(?<=[、])", requirement)  # 通气会(每月一次)、发布会(每季度一次)
    lead_in, groups = "", []
    for clause in clauses:
        if frequencies(clause):
            groups.append(clause)
        elif groups:
            groups[-1] += clause
        else:
            lead_in += clause
    return [(lead_in + g).strip(" ，,;；、") for g in groups]


def _title(record: Record, text: str, suffix: str) -> str:
    """The record's title; a numbered part's own first sentence when the record was split by parts."""
    if not suffix or record.title and not _parts(record.requirement):
        return record.title or text[:80]
    first = re.split(r"[。;；]", text, maxsplit=1)[0]
    return first[:120] or record.title


def _departments(names: list[str], directory: Directory) -> list[str]:
    return directory.add_all(n for n in names if n.strip())


def duties_of(record: Record, year: int, directory: Directory) -> list[dict[str, Any]]:
    duties = []
    for suffix, requirement, deadline in _split(record, year):
        found = _schedule(record, suffix, requirement, deadline, year)
        duties.append(_duty(record, suffix, requirement, found, directory, year))
    return duties


def _schedule(record: Record, suffix: str, requirement: str, deadline: str, year: int) -> Found:
    found = schedule_for(deadline, requirement if suffix else _with_title(record, requirement), year)
    if requirement or not record.title or not isinstance(found.value, str):
        return found
    # A row with only a task (全年不少于4次 in the 工作任务 cell): the loader reads a requirement's
    # frequency and quota words, and there is no requirement, so they go into the structured form.
    told = parse_schedule(found.value, year=year, requirement=record.title).schedule
    if told == parse_schedule(found.value, year=year).schedule:
        return found
    return Found(told.model_dump(mode="json", by_alias=True, exclude_defaults=True), found.problems)


def _with_title(record: Record, requirement: str) -> str:
    """Prose has no deadline column: a title such as 准备阶段(2016年6月底前) says when, too."""
    if record.deadline or not record.title or requirement.startswith(record.title):
        return requirement
    return f"{record.title}。{requirement}"


def _duty(record: Record, suffix: str, requirement: str, found: Found, directory: Directory,
          year: int) -> dict[str, Any]:
    review = list(record.notes)
    lead = _departments(record.lead, directory)
    if not lead:
        lead = [directory.add(UNASSIGNED)]
        review.append("未写明牵头单位，请指定 / no lead department named: choose one")
    duty: dict[str, Any] = {"id": f"{record.number}{suffix}", "title": _title(record, requirement, suffix)}
    if requirement:
        duty["requirement"] = requirement
    if record.outlet:
        duty["outlet"] = record.outlet
    duty["lead"] = lead
    support = [s for s in _departments(record.support, directory) if s not in lead]
    if support:
        duty["support"] = support
    if found.value is not None:
        duty["schedule"] = found.value  # none stated: `plan check` reports it, no need to say it twice
    if record.source:
        duty["source"] = _span(record.source)
    if review:
        duty["review"] = list(dict.fromkeys(review))
    duty["_read"] = _reading(found, requirement, year)
    duty["_problems"] = found.problems
    return duty


def _reading(found: Found, requirement: str, year: int) -> Schedule | None:
    if isinstance(found.value, dict):
        return Schedule.model_validate(found.value)
    if isinstance(found.value, str):
        return parse_schedule(found.value, year=year, requirement=requirement).schedule
    return None


def _span(where: list[str]) -> str:
    return where[0] if len(where) == 1 else f"{where[0]} – {where[-1]}"
