"""A notice in, a plan file out (plan-format.md): the one importer the CLI and the board share.

Document (readers/) -> Records (tables.py for task tables, prose.py for numbered paragraphs)
-> duties with departments (departments.py) and schedules (scheduler/plans/phrases.py)
-> a plan mapping that `plan check` validates, with every doubt written into the duty's `review`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from notices.departments import Directory
from notices.document import Document, Paragraph
from notices.duties import duties_of
from notices.meta import Meta, plan_slug, read_meta
from notices.noise import without_noise
from notices.prose import records_from_prose
from notices.records import KnownDepartment, Record, once
from notices.tables import records_from_tables

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Summary:
    duties: int = 0
    departments: int = 0
    recurring: int = 0
    event_triggered: int = 0
    quotas: int = 0
    ongoing: int = 0
    needing_review: int = 0


@dataclass
class NoticeImport:
    """The plan (a mapping in plan-file shape, ready for YAML) and what a reviewer needs beside it.

    `plan["duties"][i]` carries `source` (where in the notice) and `review` (reasons to look), and
    `sources[duty id]` the notice's own lines it came from, shown beside the duty on the board.
    """

    plan: dict[str, Any]
    sources: dict[str, list[str]] = field(default_factory=dict)
    summary: Summary = field(default_factory=Summary)
    warnings: list[str] = field(default_factory=list)  # about the whole notice (its year ...)

    def yaml(self) -> str:
        from notices.plan_yaml import dump_plan
        return dump_plan(self.plan, self.warnings)


def import_notice(path: Path, data: bytes | None = None, *, year: int | None = None,
                  known: Iterable[KnownDepartment] = (), progress: Progress | None = None,
                  today: date | None = None) -> NoticeImport:
    """Read the file (by its name's extension; `data` instead of reading `path`) and import it."""
    from notices.readers import read_notice
    return import_document(read_notice(path, data), year=year, known=known, progress=progress, today=today)


def import_document(doc: Document, *, year: int | None = None, known: Iterable[KnownDepartment] = (),
                    progress: Progress | None = None, today: date | None = None) -> NoticeImport:
    """The plan of one notice: task tables when it has them, else its numbered prose items.
    `today` gives the year when the notice names none (the caller's clock; the wall clock if not)."""
    say = progress or (lambda stage, done, total: None)
    meta = read_meta(doc, year, today or date.today())
    doc = without_noise(doc)
    say("read", 1, 3)
    records = once(records_from_tables(doc) or records_from_prose(doc))
    say("records", 2, 3)
    directory = Directory(known=list(known))
    coordinator = directory.issuer(meta.issuer) if meta.issuer else None
    duties: list[dict[str, Any]] = []
    sources: dict[str, list[str]] = {}
    lines = _lines_by_place(doc)
    for i, record in enumerate(records):
        for duty in duties_of(record, meta.year, directory):
            duty["id"] = _unique(duty["id"], duties)
            duties.append(duty)
            sources[duty["id"]] = _source_lines(lines, record)
        say("duties", i + 1, len(records))
    plan = _plan(meta, year, coordinator, directory, duties)
    return NoticeImport(plan=plan, sources=sources, summary=_summary(plan), warnings=_warnings(meta, duties))


def _warnings(meta: Meta, duties: list[dict[str, Any]]) -> list[str]:
    found = []
    if not meta.year_found:
        found.append(f"通知中没有写明年份，按{meta.year}年处理，请核对 plan.year / the notice names no year: "
                     f"{meta.year} is assumed, check plan.year (or import with --year)")
    if not duties:
        found.append("没有找到任务 / no duties found: is this a notice with a task table or numbered items?")
    return found


def _unique(duty_id: str, duties: list[dict[str, Any]]) -> str:
    taken = {d["id"] for d in duties}
    candidate, n = duty_id, 2
    while candidate in taken:
        candidate, n = f"{duty_id}-{n}", n + 1
    return candidate


def _plan(meta: Meta, year: int | None, coordinator: str | None, directory: Directory,
          duties: list[dict[str, Any]]) -> dict[str, Any]:
    header: dict[str, Any] = {"id": plan_slug(meta), "title": meta.title or "未命名通知"}
    if meta.issuer:
        header["issuer"] = meta.issuer
    if meta.issued:
        header["issued"] = meta.issued
    header["year"] = meta.year
    if coordinator and not coordinator.startswith("tag:"):
        header["coordinator"] = coordinator
    return {"version": 1, "plan": header, "departments": directory.entries(), "duties": duties}


def _lines_by_place(doc: Document) -> dict[str, str]:
    """Each place in the notice (第65行, 表1 第3行) and its text, to show beside the duties."""
    lines: dict[str, str] = {}
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            lines[block.where] = block.text
        else:
            lines.update((w, " | ".join(r)) for r, w in zip(block.rows, block.where, strict=False))
    return lines


def _source_lines(lines: dict[str, str], record: Record) -> list[str]:
    return [f"{where}: {lines[where]}" for where in dict.fromkeys(record.source) if where in lines]


def _summary(plan: dict[str, Any]) -> Summary:
    s = Summary(duties=len(plan["duties"]), departments=len(plan["departments"]))
    for duty in plan["duties"]:
        read = duty.get("_read")
        s.recurring += bool(read and read.every)
        s.event_triggered += bool(read and read.after_event)
        s.quotas += bool(read and read.quota)
        s.ongoing += bool(read and read.ongoing)
        s.needing_review += bool(duty.get("review") or duty.get("_problems"))
        duty.pop("_read", None)
        duty.pop("_problems", None)
    return s
