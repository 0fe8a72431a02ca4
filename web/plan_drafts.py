"""Notice imports in progress on the board: the importer's plan kept for a day, corrected duty by
duty, checked as `duban plan check` checks the file it becomes (its `data` is what `plan load` stores).

A draft is a KeyValue row `plan-import:<user id>:<random id>`, so a guessed id or another
coordinator's finds nothing. Its `updated_at` is when it was made: a day later it is gone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import yaml
from sqlmodel import Session, col, delete, select

from db.models import KeyValue
from notices.departments import Directory
from notices.importer import NoticeImport, Summary
from notices.records import KnownDepartment
from scheduler.plans.file import PlanData, read_plan_text
from scheduler.plans.source import SourceError
from scheduler.plans.store import known_departments as stored_departments

PREFIX = "plan-import:"
LIFETIME = timedelta(days=1)
KEEP = 10  # drafts per coordinator: the next upload drops the oldest
DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
NAME_SEPARATORS = re.compile(r"[,，、;；\s]+")
DUTY_PROBLEM = re.compile(r"^duties\[(\d+)\]")


@dataclass
class Check:
    """The draft as `plan check` sees it: the valid plan, or the problems by duty position and the
    rest; and what needs review, by duty position (the importer's doubts and unread phrases)."""

    data: PlanData | None
    by_duty: dict[int, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    review: dict[int, list[str]] = field(default_factory=dict)
    general_notes: list[str] = field(default_factory=list)  # what `plan check` warns of (dates before issue)


@dataclass
class Edit:
    """A coordinator's correction of one duty, as typed in its card."""

    title: str
    lead: str  # department names, comma or 、 separated
    schedule: str  # the phrase
    checked: bool


@dataclass
class Draft:
    id: str
    name: str  # the uploaded file's name: problems and the loaded plan's source name it
    plan: dict[str, Any]
    sources: dict[str, list[str]]
    imported: Summary

    @property
    def duties(self) -> list[dict[str, Any]]:
        return self.plan.get("duties") or []

    def position(self, duty_id: str) -> int | None:
        return next((i for i, d in enumerate(self.duties) if str(d.get("id")) == duty_id), None)

    def in_review_order(self, check: Check) -> list[tuple[int, dict[str, Any]]]:
        """(position, duty): those needing review first, each group in the notice's order."""
        return sorted(enumerate(self.duties), key=lambda pair: pair[0] not in check.review)

    def yaml(self) -> str:
        """The plan file, as `duban plan import` writes it (one importer for both doors)."""
        return NoticeImport(self.plan, self.sources, self.imported).yaml()

    def check(self, today: date) -> Check:
        """`plan check` of the YAML offered for download. Its review lists (the file's own and the
        phrases it cannot read) once the plan is valid; until then the importer's."""
        check = check_plan(self.name, self.yaml(), today)
        if check.data is not None:
            check.review = {i: list(d.review) for i, d in enumerate(check.data.duties) if d.review}
        else:
            check.review = {i: list(d["review"]) for i, d in enumerate(self.duties) if d.get("review")}
        return check

    def summary(self, check: Check) -> Summary:
        """The importer's counts, recounted from the checked plan once corrections make it valid."""
        counted = recounted(check.data) if check.data else replace(self.imported)
        counted.needing_review = len(check.review)
        return counted


def check_plan(name: str, text: str, today: date) -> Check:
    try:
        data = read_plan_text(name, text, today)
        return Check(data, general_notes=list(data.warnings))
    except SourceError as exc:
        check = Check(None)
        for p in exc.problems:
            said = f"{p.key}: {p.message}" if p.key else p.message
            if match := DUTY_PROBLEM.match(p.key):
                check.by_duty.setdefault(int(match.group(1)), []).append(said)
            else:
                check.general.append(said)
        return check


def recounted(data: PlanData) -> Summary:
    schedules = [d.schedule for d in data.duties]
    return Summary(duties=len(data.duties), departments=len(data.departments),
                   recurring=sum(s.every is not None for s in schedules),
                   event_triggered=sum(s.after_event is not None for s in schedules),
                   quotas=sum(s.quota is not None for s in schedules),
                   ongoing=sum(bool(s.ongoing) for s in schedules))


# -- keeping drafts -----------------------------------------------------------------------------
def _key(user_id: int, draft_id: str) -> str:
    return f"{PREFIX}{user_id}:{draft_id}"


def _plain(value: Any) -> Any:
    """Tuples as lists, so the YAML kept is plain (safe_dump writes no Python types)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _value(draft: Draft) -> str:
    # YAML rather than JSON: the plan's dates come back as dates
    return yaml.safe_dump({"name": draft.name, "plan": _plain(draft.plan), "sources": _plain(draft.sources),
                           "summary": asdict(draft.imported)}, allow_unicode=True, sort_keys=False)


def create(session: Session, user_id: int, name: str, result: NoticeImport, now: datetime) -> Draft:
    """Keep the importer's result as a new draft of `user_id`'s (and forget expired drafts)."""
    session.execute(delete(KeyValue).where(col(KeyValue.key).startswith(PREFIX),
                                           col(KeyValue.updated_at) <= now - LIFETIME))
    mine = session.exec(select(KeyValue).where(col(KeyValue.key).startswith(f"{PREFIX}{user_id}:"))
                        .order_by(col(KeyValue.updated_at).desc())).all()
    for old in mine[KEEP - 1:]:
        session.delete(old)
    draft = Draft(secrets.token_urlsafe(16), name, result.plan, result.sources, result.summary)
    session.add(KeyValue(key=_key(user_id, draft.id), value=_value(draft), updated_at=now))
    return draft


def find(session: Session, user_id: int, draft_id: str, now: datetime) -> Draft | None:
    """`user_id`'s draft; None when there is no such id, it is someone else's or it has expired."""
    if not DRAFT_ID.match(draft_id):
        return None
    row = session.get(KeyValue, _key(user_id, draft_id))
    if row is None or row.updated_at <= now - LIFETIME:
        return None
    kept = yaml.safe_load(row.value)
    return Draft(draft_id, kept["name"], kept["plan"], kept["sources"], Summary(**kept["summary"]))


def save(session: Session, user_id: int, draft: Draft) -> None:
    row = session.get(KeyValue, _key(user_id, draft.id))
    row.value = _value(draft)  # updated_at stays: the draft expires a day after the upload
    session.add(row)


def discard(session: Session, user_id: int, draft: Draft) -> None:
    row = session.get(KeyValue, _key(user_id, draft.id))
    if row is not None:
        session.delete(row)


def known_departments(session: Session) -> list[KnownDepartment]:
    """The departments already in the database, for the importer and for typed lead names."""
    return [KnownDepartment(*row) for row in stored_departments(session)]


# -- correcting a duty --------------------------------------------------------------------------
def phrase_of(duty: dict[str, Any]) -> str:
    schedule = duty.get("schedule")
    if isinstance(schedule, dict):
        return str(schedule.get("text") or "")
    return "" if schedule is None else str(schedule)


def names_of(plan: dict[str, Any], refs: Iterable[str]) -> str:
    """Lead references as a person reads them: department names joined by 、."""
    names = {d.get("id"): d.get("name") for d in plan.get("departments") or []}
    return "、".join(str(names.get(ref) or ref) for ref in refs)


def _as_known(department: dict[str, Any]) -> KnownDepartment:
    return KnownDepartment(str(department["id"]), str(department["name"]),
                           tuple(department.get("aliases") or ()), tuple(department.get("tags") or ()),
                           department.get("supervisor"))


def _resolve(plan: dict[str, Any], name: str, known: Iterable[KnownDepartment]) -> str | None:
    """A typed id or name as a department reference of the plan, names matched as the importer
    matches the notice's (notices.departments: 市環境保護局 is 市环保局). A department known to the
    database but not in the plan yet is added as the importer writes it (its id, aliases, tags).
    None when nobody has that name."""
    if name.startswith("tag:"):
        return name
    departments = plan.setdefault("departments", [])
    in_plan = [_as_known(d) for d in departments]
    by_id = {k.id: k for k in [*known, *in_plan]}  # the plan's own spelling wins
    directory = Directory(known=[*in_plan, *known])
    ref = directory.add(by_id[name].name if name in by_id else name)
    if ref.startswith("tag:") or ref in {k.id for k in in_plan}:
        return ref
    if ref not in by_id:  # the directory made up a new department: nobody has that name
        return None
    departments.append(next(entry for entry in directory.entries() if entry["id"] == ref))
    return ref


def lead_ids(plan: dict[str, Any], typed: str, known: Iterable[KnownDepartment]) -> tuple[list[str], list[str]]:
    """(department ids, problems) for the lead departments a person typed."""
    names = [n for n in NAME_SEPARATORS.split(typed.strip()) if n]
    if not names:
        return [], ["牵头单位不能为空 name at least one lead department"]
    ids, problems = [], []
    for name in names:
        found = _resolve(plan, name, known)
        if found is None:
            problems.append(_unknown_department(name, plan))
        elif found not in ids:
            ids.append(found)
    return ids, problems


def _unknown_department(name: str, plan: dict[str, Any]) -> str:
    """Which names are accepted, and how to add a department the board cannot (in the file)."""
    choices = "、".join(str(d.get("name")) for d in plan.get("departments") or [])
    return (f"未知部门「{name}」：请填写计划中的部门（{choices}）或以前导入过的部门；新的部门请下载 YAML 文件，"
            f"在 departments 中添加后用 duban plan load 导入 / unknown department “{name}”: use one of the plan's "
            f"departments ({choices}) or one loaded before; for a new department, download the YAML, add it "
            f"under departments and load the file with `duban plan load`")


def correct(draft: Draft, position: int, edit: Edit, today: date, known: list[KnownDepartment]) -> list[str]:
    """Apply `edit` to the duty at `position` when the plan then passes `plan check` as far as this
    duty goes; return the problems (nothing changed when there are any). Ticking `checked` deletes
    the importer's review items, as a person does in the file; a schedule that still cannot be read
    stays under review, because `plan check` says so."""
    plan = _plain(draft.plan)
    duty = plan["duties"][position]
    problems = [] if edit.title.strip() else ["标题不能为空 the title cannot be empty"]
    duty["title"] = edit.title.strip()
    if edit.lead.strip() != names_of(plan, duty.get("lead") or []):
        duty["lead"], wrong = lead_ids(plan, edit.lead, known)
        problems += wrong
    if edit.schedule.strip() != phrase_of(duty):
        duty["schedule"] = edit.schedule.strip() or None
    if edit.checked:
        duty.pop("review", None)
    trial = Draft(draft.id, draft.name, plan, draft.sources, draft.imported)
    problems += trial.check(today).by_duty.get(position, [])
    if problems:
        return problems
    draft.plan = plan
    return []
