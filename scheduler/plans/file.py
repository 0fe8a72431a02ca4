"""Plan files (plan-format.md): the pydantic shape of a file and its validation into a PlanData.

`read_plan` either returns a fully resolved plan or raises SourceError with every problem,
each naming the file, the line and the key. Nothing here touches the database.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, field
from datetime import date, time
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)

from scheduler.bounds import ChatId, Day, check_year
from scheduler.calendar.schedules import Schedule
from scheduler.plans.phrases import parse_schedule
from scheduler.plans.source import Path_, Problem, SourceError, YamlSource, parse_yaml, read_yaml

SLUG = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Slug = Annotated[str, Field(pattern=SLUG, max_length=64)]


def _as_str(v: Any) -> Any:
    """YAML reads `id: 7` as a number; ids are text."""
    return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


def _as_list(v: Any) -> Any:
    """`lead: epb` is accepted for `lead: [epb]`."""
    return [v] if isinstance(v, str) else v


Key = Annotated[str, BeforeValidator(_as_str), Field(min_length=1, max_length=64)]
Names = Annotated[list[str], BeforeValidator(_as_list)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RemindPolicy(Strict):
    """When reminders go out: working days before a due date, at a local time, then overdue."""

    before: list[Annotated[int, Field(ge=0, le=60)]] = Field(default_factory=lambda: [7, 3, 1, 0])
    at: time = time(9, 0)
    overdue_every: int = Field(1, ge=0, le=60)
    escalate_after: int = Field(3, ge=0, le=60)

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, v: Any) -> Any:
        # YAML 1.1 reads an unquoted 9:00 as the sexagesimal number 540 (minutes).
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 24 * 60:
            return time(v // 60, v % 60)
        return v

    @field_validator("before")
    @classmethod
    def _before(cls, v: list[int]) -> list[int]:
        return sorted(set(v), reverse=True)


class RemindOverride(Strict):
    """A duty's changes to the plan's reminder policy: any key may be given."""

    before: list[Annotated[int, Field(ge=0, le=60)]] | None = None
    at: time | None = None
    overdue_every: int | None = Field(None, ge=0, le=60)
    escalate_after: int | None = Field(None, ge=0, le=60)

    _at = field_validator("at", mode="before")(RemindPolicy._at.__func__)


class PlanHeader(Strict):
    id: Slug
    title: str = Field(min_length=1)
    issuer: str | None = None
    issued: Day | None = None
    year: int | Literal["current"] | None = Field(None, description="year of 7月底, 年底")
    until: Day | None = None
    timezone: str = "Asia/Shanghai"
    workdays: Literal["CN", "mon-fri"] = "CN"
    coordinator: Key | None = None
    remind: RemindPolicy = Field(default_factory=RemindPolicy)

    @field_validator("year")
    @classmethod
    def _year(cls, v: int | str | None) -> int | str | None:
        if isinstance(v, int):
            try:
                check_year(v)
            except ValueError as exc:
                raise ValueError(f"{exc}, or 'current'") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}: expected an IANA name such as Asia/Shanghai") from None
        return v


class DepartmentIn(Strict):
    id: Slug
    name: str = Field(min_length=1, max_length=200)
    aliases: Names = Field(default_factory=list)
    tags: list[Slug] = Field(default_factory=list)
    supervisor: str | None = None


class ContactIn(Strict):
    department: Key
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    telegram: ChatId | None = None
    lang: Literal["zh", "en"] = "zh"
    role: Literal["primary", "backup", "supervisor"] = "primary"

    @property
    def addresses(self) -> dict[str, str | None]:
        """The contact's addresses by address kind, as the addresses table keeps them (text)."""
        return {"email": self.email, "telegram": None if self.telegram is None else str(self.telegram)}


class DutyIn(Strict):
    id: Key
    title: str = Field(min_length=1)
    requirement: str | None = None
    outlet: str | None = None
    lead: Names = Field(min_length=1)
    support: Names = Field(default_factory=list)
    # A phrase or the structured form; the tag keeps pydantic from reporting both branches' errors.
    schedule: Annotated[Annotated[str, Tag("phrase")] | Annotated[Schedule, Tag("structured")],
                        Discriminator(lambda v: "phrase" if isinstance(v, str) else "structured")] | None = None
    remind: RemindOverride | None = None
    # Open review items the importer wrote (牵头单位未找到); a person deletes each once checked.
    review: Names = Field(default_factory=list)
    source: str | None = Field(None, max_length=200, description="where in the notice: 第65-68行")


class PlanFileIn(Strict):
    version: Literal[1]
    plan: PlanHeader
    departments: list[DepartmentIn] = Field(min_length=1)
    contacts: list[ContactIn] = Field(default_factory=list)
    duties: list[DutyIn] = Field(default_factory=list)


@dataclass
class DutyPlan:
    """A duty after validation: lead/support as department keys, the schedule parsed."""

    key: str
    title: str
    requirement: str | None
    outlet: str | None
    lead: list[str]
    support: list[str]
    schedule: Schedule
    remind: RemindPolicy
    review: list[str]
    source: str | None = None
    read_in_part: Schedule | None = None  # what a half-read phrase said: shown, never scheduled


@dataclass
class PlanData:
    """A valid plan file, resolved for a given day (for `year: current`)."""

    file: str
    source_hash: str
    key: str
    title: str
    issuer: str | None
    issued: date
    year: int
    year_current: bool
    until: date
    timezone: str
    workdays: Literal["CN", "mon-fri"]
    coordinator: str | None
    remind: RemindPolicy
    departments: list[DepartmentIn]
    contacts: list[ContactIn]
    duties: list[DutyPlan]
    warnings: list[str] = field(default_factory=list)

    @property
    def review(self) -> list[tuple[str, str]]:
        """(duty key, why) for every duty a person must look at."""
        return [(d.key, "; ".join(d.review)) for d in self.duties if d.review]

    def review_json(self) -> list[dict]:
        """The review list as `plan check` and `plan show` print it: duty, why, where in the notice."""
        return [{"duty": d.key, "why": "; ".join(d.review), "source": d.source} for d in self.duties if d.review]

    def department(self, key: str) -> DepartmentIn:
        return next(d for d in self.departments if d.id == key)


# Short Chinese labels in front of pydantic's English messages: Chinese first.
_LABELS = {
    "missing": "缺少", "extra_forbidden": "未知的键", "literal_error": "取值无效",
    "string_pattern_mismatch": "格式不对", "date_from_datetime_parsing": "日期无效",
    "date_parsing": "日期无效", "date_type": "日期无效", "int_parsing": "应为整数", "int_type": "应为整数",
    "string_type": "应为文本", "list_type": "应为列表", "too_short": "太短", "dict_type": "应为映射",
    "model_type": "应为映射", "value_error": "取值无效", "greater_than_equal": "太小",
    "less_than_equal": "太大", "time_parsing": "时间无效", "time_type": "时间无效",
}


def _message(err: dict) -> str:
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key: check the spelling against plan-format.md"
    elif "input" in err and err["type"] != "missing" and not isinstance(err["input"], (dict, list)):
        msg += f" (got {err['input']!r})"
    return f"{_LABELS.get(err['type'], '无效')} {msg}"


def _validation_problems(src: YamlSource, exc: ValidationError) -> list[Problem]:
    """One problem per location: unions report one error per branch, a person needs one."""
    seen: dict[Path_, Problem] = {}
    for err in exc.errors():
        # Drop the union-branch markers pydantic adds (e.g. 'str', 'Schedule', 'function-after[...]').
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or not _is_branch(p))
        if loc in seen or any(loc[: len(k)] == k for k in seen if k):
            continue
        seen[loc] = src.problem(loc, _message(err))
    return list(seen.values())


def _is_branch(part: str) -> bool:
    return part in {"str", "int", "Schedule", "date", "list[str]", "phrase", "structured"} or "[" in part or part.startswith("literal")


class _Resolver:
    """Turns department references (id, name, alias or tag:NAME) into department keys."""

    def __init__(self, src: YamlSource, departments: list[DepartmentIn]):
        self.src = src
        self.by_ref: dict[str, str] = {}
        for d in departments:
            for ref in (d.id, d.name, *d.aliases):
                self.by_ref.setdefault(ref, d.id)
        self.tags: dict[str, list[str]] = {}
        for d in departments:
            for t in d.tags:
                self.tags.setdefault(t, []).append(d.id)

    def keys(self, refs: list[str], path: Path_, problems: list[Problem]) -> list[str]:
        out: list[str] = []
        for i, ref in enumerate(refs):
            for key in self.one(ref, path + (i,), problems):
                if key not in out:
                    out.append(key)
        return out

    def one(self, ref: str, path: Path_, problems: list[Problem]) -> list[str]:
        if ref.startswith("tag:"):
            tag = ref[4:].strip()
            if tag not in self.tags:
                problems.append(self.src.problem(path, f"未知标签 unknown tag {tag!r}: no department "
                                                 f"has it (known: {', '.join(sorted(self.tags)) or 'none'})"))
            return self.tags.get(tag, [])
        if ref in self.by_ref:
            return [self.by_ref[ref]]
        hint = get_close_matches(ref, list(self.by_ref), n=1)
        problems.append(self.src.problem(path, f"未知部门 unknown department {ref!r}: declare it under "
                                         f"`departments`{f' (did you mean {hint[0]!r}?)' if hint else ''}"))
        return []


def _duplicates(src: YamlSource, items: list[Any], attr: str, section: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            problems.append(src.problem((section, i, attr), f"重复的 id duplicate {attr} {value!r}: "
                                        "each must be unique in the file"))
        seen.add(value)
    return problems


def _in_year(day: date, year: int) -> date:
    """The same day in another year; 29 February becomes the 28th in a common year."""
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def _dates(header: PlanHeader, today: date) -> tuple[int, date, date]:
    """The plan's year, issue date and end, re-based on `today`'s year for `year: current`."""
    if header.year == "current":
        year = today.year
        issued = _in_year(header.issued, year) if header.issued else date(year, 1, 1)
    else:
        issued = header.issued or date(header.year or today.year, 1, 1)
        year = header.year or issued.year
    until = header.until or date(year, 12, 31)
    if header.year == "current" and header.until:
        until = _in_year(header.until, year + header.until.year - (header.issued or header.until).year)
    return year, issued, until


def _merge(policy: RemindPolicy, override: RemindOverride | None) -> RemindPolicy:
    if override is None:
        return policy
    return policy.model_copy(update=override.model_dump(exclude_none=True))


def _duty(src: YamlSource, i: int, d: DutyIn, year: int, policy: RemindPolicy,
          resolver: _Resolver, problems: list[Problem]) -> DutyPlan:
    path: Path_ = ("duties", i)
    lead = resolver.keys(d.lead, path + ("lead",), problems)
    support = [k for k in resolver.keys(d.support, path + ("support",), problems) if k not in lead]
    schedule, review, read_in_part = _schedule(d, year)
    return DutyPlan(d.id, d.title, d.requirement, d.outlet, lead, support, schedule,
                    _merge(policy, d.remind), list(dict.fromkeys(d.review + review)), d.source, read_in_part)


def _schedule(d: DutyIn, year: int) -> tuple[Schedule, list[str], Schedule | None]:
    """(schedule, problems, what was read of a half-read phrase). A phrase read only in part
    schedules nothing: its deadlines would be guesses (每季度第二周 is not every quarter's end)."""
    if isinstance(d.schedule, Schedule):
        return d.schedule, ([] if not d.schedule.is_empty() else ["no schedule given"]), None
    parsed = parse_schedule(d.schedule, year=year, requirement=d.requirement)
    if not parsed.whole and not parsed.schedule.is_empty():
        return Schedule(text=parsed.schedule.text), list(parsed.problems), parsed.schedule
    return parsed.schedule, list(parsed.problems), None


def _early_deadlines(duties: list[DutyPlan], issued: date) -> list[str]:
    """Deadlines before the plan was issued: a one-off already missed, or a recurrence that
    `from` starts before the notice existed. Listed, never hidden."""
    warnings = []
    for d in duties:
        s = d.schedule
        for day in sorted({*filter(None, (s.start_by, s.due, s.from_)), *s.dates}):
            if day < issued:
                warnings.append(f"注意 warning: 任务 {d.key} 的日期 {day} 早于通知印发日期 {issued} / duty {d.key}: "
                                f"{day} is before the plan's issue date {issued}: check the date or `issued`")
    return warnings


def validate_plan(src: YamlSource, today: date) -> PlanData:
    """Validate a parsed plan file; raise SourceError listing every problem found."""
    if not isinstance(src.data, dict):
        raise SourceError([src.problem((), "应为映射 expected a mapping with the keys version, plan, "
                                       "departments, duties (see plan-format.md)")])
    try:
        model = PlanFileIn.model_validate(src.data)
    except ValidationError as exc:
        raise SourceError(_validation_problems(src, exc)) from None
    problems = _duplicates(src, model.departments, "id", "departments")
    problems += _duplicates(src, model.duties, "id", "duties")
    resolver = _Resolver(src, model.departments)
    year, issued, until = _dates(model.plan, today)
    if until < issued:
        problems.append(src.problem(("plan", "until"), f"日期无效 `until` {until} is before the plan's "
                                    f"issue date {issued}"))
    coordinator = None
    if model.plan.coordinator:
        found = resolver.one(model.plan.coordinator, ("plan", "coordinator"), problems)
        coordinator = found[0] if found else None
    contacts = []
    for i, c in enumerate(model.contacts):
        found = resolver.one(c.department, ("contacts", i, "department"), problems)
        if found:
            contacts.append(c.model_copy(update={"department": found[0]}))
    duties = [_duty(src, i, d, year, model.plan.remind, resolver, problems)
              for i, d in enumerate(model.duties)]
    if problems:
        raise SourceError(problems)
    return PlanData(
        file=src.file, source_hash=hashlib.sha256(src.raw).hexdigest(), key=model.plan.id,
        title=model.plan.title, issuer=model.plan.issuer, issued=issued, year=year,
        year_current=model.plan.year == "current", until=until, timezone=model.plan.timezone,
        workdays=model.plan.workdays, coordinator=coordinator, remind=model.plan.remind,
        departments=model.departments, contacts=contacts, duties=duties,
        warnings=_early_deadlines(duties, issued))


def read_plan(path: Path | str, today: date) -> PlanData:
    """Read and validate a plan file as of `today` (which fixes `year: current`)."""
    return validate_plan(read_yaml(Path(path)), today)


def read_plan_text(file: str, text: str, today: date) -> PlanData:
    """Validate a plan file's text (named `file` in problems) exactly as `read_plan` validates a file."""
    return validate_plan(parse_yaml(file, text.encode()), today)
