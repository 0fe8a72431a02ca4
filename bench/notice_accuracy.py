"""How well an imported plan reads its notice: duty by duty and field by field, against a hand reading.

`python -m bench.notice_accuracy PLAN.yaml EXPECTED.yaml [-v]` prints a table. EXPECTED is one of
tests/data/notices/*.expected.yaml: the duties a careful clerk put into a plan (its comments say
which items are duties and why). PLAN is read the way the loader reads it (`validate_plan`), so a
schedule phrase is judged by what it becomes, not by its words.

Matching: each expected duty takes at most one imported duty, greedily, best pair first. A pair
counts only if the titles agree: difflib ratio >= 0.6 on the normalised text (an expected duty with
a `group`, a table's merged 工作任务 cell, may be titled by either), or, for the same item number,
a shared run of 8 characters (or the whole of the shorter title), or else the same leads and the
same (non-empty) schedule: a split item's parts titled by their own clauses. Pairs with the same
number come first, then those of the same item split another way (63a ~ 63-1 ~ 63, 一.(四) ~
一.(四).1), then by title likeness, then by how many fields agree (so the parts of a split duty find
their own halves).

Fields, for each matched pair:
- title: equal after normalising, or difflib ratio >= 0.9 (to the title or the group).
- lead, support: the same departments. An expected name matches an imported department by its
  name or any alias; "A(B)" also answers to A and to B. A tag lead "tag:X" answers to the group
  name the expected file records for X under `tag_names` (000: city-dept -> 市政府各部门), else to "X".
  An expected lead [] (the notice shows none) accepts any: a plan must name one.
- start_by, due, dates, within, quota: equal. `every` compares every, interval, due_on (period-end
  = unset) and months. ongoing: equal. after_event: both unset, or both set and the names alike
  (equal, one inside the other, or ratio >= 0.5).
- 每年不少于N次 may be written as `every: year, quota: N` or `due: 31 Dec, quota: N` (plan-format.md):
  both sides are brought to the second form before comparing.
Normalising: NFKC, traditional to simplified (OpenCC), no spaces or punctuation, lower case.

Score: per field, the duties with the field right / max(expected, imported), so a missing or an
extra duty counts as wrong in every field; "all fields right" likewise.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from notices.text import simplified
from scheduler.calendar.schedules import Schedule
from scheduler.plans.file import PlanData, validate_plan
from scheduler.plans.source import SourceError, YamlSource, read_yaml

FIELDS = ("title", "lead", "support", "start_by", "due", "dates", "every", "ongoing",
          "after_event", "within", "quota")
MATCH_AT = 0.6  # titles this alike may be the same duty
TITLE_AT = 0.9  # titles this alike are the same title
EVENT_AT = 0.5  # event names this alike name the same event
_PUNCT = re.compile(r"[\W_]+")


def simple(text: str | None) -> str:
    """Text for comparing: NFKC, simplified characters, no spaces or punctuation, lower case."""
    return _PUNCT.sub("", simplified(unicodedata.normalize("NFKC", text or ""))).lower()


def likeness(a: str | None, b: str | None) -> float:
    a, b = simple(a), simple(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def name_forms(name: str) -> set[str]:
    """A department name and, for "市科技局(市知识产权局)", each of its two names."""
    flat = simplified(unicodedata.normalize("NFKC", name)).replace(" ", "")
    forms = {simple(flat)}
    if m := re.fullmatch(r"(.+?)\((.+)\)", flat):
        forms |= {simple(m[1]), simple(m[2])}
    return forms - {""}


def number_key(number: str | None) -> str:
    """三.(一).1, 三(一)1 and 三、(一)1 alike; 1-5 and 1.5 alike."""
    flat = simplified(unicodedata.normalize("NFKC", number or "")).lower()
    return re.sub(r"[\s.\-、()]+", ".", flat).strip(".")


def base_number(number: str) -> list[str]:
    """The number's parts without a split suffix: 三.一.2a -> [三, 一, 2], 63b -> [63]."""
    return re.sub(r"(?<=\d)[a-z]$", "", number).split(".")


def related_numbers(a: str, b: str) -> bool:
    """63a ~ 63-1, 三.(一).2b ~ 三.(一).2-2, 一.(四) ~ 一.(四).1: the same item, split or not."""
    pa, pb = base_number(a), base_number(b)
    n = min(len(pa), len(pb))
    return pa[:n] == pb[:n]


@dataclass(frozen=True)
class When:
    """The compared part of a schedule."""

    start_by: date | None = None
    due: date | None = None
    dates: tuple[date, ...] = ()
    every: tuple[Any, ...] = (None, 1, None, None)  # every, interval, due_on, months
    ongoing: bool = False
    after_event: str | None = None
    within: str | None = None
    quota: int | None = None


def when_of(s: Schedule, year: int) -> When:
    """A Schedule as compared; a yearly quota becomes a quota due on 31 Dec (the same duty)."""
    due_on = None if s.due_on in (None, "period-end") else s.due_on
    every = (s.every, s.interval, due_on, tuple(s.months) if s.months else None)
    due = s.due
    if every == ("year", 1, None, None) and s.quota and not s.due and not s.dates:
        every, due = (None, 1, None, None), date(year, 12, 31)
    return When(s.start_by, due, tuple(sorted(s.dates)), every, s.ongoing, s.after_event,
                " ".join((s.within or "").split()) or None, s.quota)


@dataclass(frozen=True)
class Duty:
    """One duty, expected or imported, in the form the scorer compares."""

    number: str
    title: str
    when: When
    lead: tuple[frozenset[str], ...]  # per department: every name it answers to
    support: tuple[frozenset[str], ...]
    group: str | None = None
    label: str = ""  # how the report names it


@dataclass
class Expected:
    year: int
    tag_names: dict[str, str]
    duties: list[Duty]


def _expected_when(d: dict, year: int) -> When:
    keys = ("start_by", "due", "dates", "every", "interval", "due_on", "months", "ongoing",
            "after_event", "within", "quota")
    return when_of(Schedule.model_validate({k: d[k] for k in keys if d.get(k) is not None}), year)


def read_expected(path: Path | str) -> Expected:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    year = int(data["year"])
    duties = [Duty(str(d["number"]), d["title"], _expected_when(d, year),
                   tuple(frozenset(name_forms(n)) for n in d.get("lead") or []),
                   tuple(frozenset(name_forms(n)) for n in d.get("support") or []),
                   d.get("group"), f"{d['number']} {d['title'][:20]}")
              for d in data["duties"]]
    return Expected(year, data.get("tag_names") or {}, duties)


def _ref_names(plan: PlanData, tag_names: dict[str, str]) -> dict[str, frozenset[str]]:
    """How a plan's duty may name a department (id, name, alias) or a group (tag:X) -> the names
    it answers to."""
    refs: dict[str, frozenset[str]] = {}
    groups: dict[str, set[str]] = {}  # tag -> names of the group departments that carry it
    for d in plan.departments:
        forms = frozenset(set().union(*(name_forms(n) for n in (d.name, *d.aliases))))
        refs.update(dict.fromkeys((d.id, d.name, *d.aliases), forms))
        for tag in d.tags:
            if "group" in d.tags and tag != "group":
                groups.setdefault(tag, set()).update(forms)
    for d in plan.departments:
        for tag in d.tags:
            # A tag answers to the group the notice named (the importer's group department carrying
            # it: 市政府各部门 for city-dept), else to the expected file's name for it.
            refs[f"tag:{tag}"] = frozenset(groups.get(tag, set()) | name_forms(tag_names.get(tag, tag)))
    return refs


def imported_duties(plan: PlanData, raw: dict, tag_names: dict[str, str]) -> list[Duty]:
    """The plan's duties with their leads as written in the file (a tag stays one group)."""
    refs = _ref_names(plan, tag_names)

    def names(written: list[Any] | None) -> tuple[frozenset[str], ...]:
        return tuple(refs.get(str(x), frozenset(name_forms(str(x)))) for x in written or [])
    return [Duty(d.key, d.title, when_of(d.schedule, plan.year), names(r.get("lead")),
                 names(r.get("support")), None, f"{d.key} {d.title[:20]}")
            for d, r in zip(plan.duties, raw.get("duties") or [], strict=True)]


def load_plan(plan: Path | str | dict, expected: Expected) -> tuple[PlanData, dict]:
    """The plan as the loader reads it (as of the expected plan year, for `year: current`)."""
    src = read_yaml(Path(plan)) if not isinstance(plan, dict) else YamlSource("<plan>", plan)
    return validate_plan(src, date(expected.year, 1, 1)), src.data


# ---- matching ------------------------------------------------------------------------------

def title_likeness(e: Duty, i: Duty) -> float:
    return max(likeness(e.title, i.title), likeness(e.group, i.title) if e.group else 0.0)


def number_rank(e: Duty, i: Duty) -> int:
    a, b = number_key(e.number), number_key(i.number)
    if not a or not b:
        return 0
    return 2 if a == b else 1 if related_numbers(a, b) else 0


def common_run(a: str, b: str) -> int:
    """The longest run of characters two normalised titles share."""
    a, b = simple(a), simple(b)
    return difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match().size


def same_duty(e: Duty, i: Duty, rank: int, alike: float) -> bool:
    """Alike titles; or, for the same item number, titles sharing a run of 8 characters (or all of
    the shorter one: 推進執行和結果公開：對重點改革任務… is still that paragraph), or the same leads
    and the same schedule (the parts of a split item, titled by their own clauses: 每日…, 每月…)."""
    if alike >= MATCH_AT:
        return True
    if not rank:
        return False
    titles = [t for t in (e.title, e.group) if t]
    if any(common_run(t, i.title) >= min(8, len(simple(t)), len(simple(i.title))) for t in titles):
        return True
    return e.when == i.when != When() and field_right("lead", e, i)


def match(expected: list[Duty], imported: list[Duty]) -> list[tuple[Duty, Duty]]:
    """Greedy best-first: same number, then title likeness, then agreeing fields."""
    pairs = []
    for e in expected:
        for i in imported:
            alike, rank = title_likeness(e, i), number_rank(e, i)
            if same_duty(e, i, rank, alike):
                agree = sum(field_right(f, e, i) for f in FIELDS)
                pairs.append(((rank, alike, agree), id(e), id(i), e, i))
    pairs.sort(key=lambda p: p[0], reverse=True)
    taken_e: set[int] = set()
    taken_i: set[int] = set()
    out = []
    for _, ke, ki, e, i in pairs:
        if ke not in taken_e and ki not in taken_i:
            taken_e.add(ke)
            taken_i.add(ki)
            out.append((e, i))
    return out


# ---- fields --------------------------------------------------------------------------------

def same_departments(want: tuple[frozenset[str], ...], got: tuple[frozenset[str], ...]) -> bool:
    """True when each wanted department is a different one of those given, and none is left over.
    Nothing wanted (the notice shows no lead: 003's row 8) accepts whatever a plan had to name."""
    if not want:
        return True
    if len(want) != len(got):
        return False
    owner: dict[int, int] = {}  # index in got -> index in want

    def place(w: int, seen: set[int]) -> bool:
        for g, names in enumerate(got):
            if g not in seen and want[w] & names:
                seen.add(g)
                if g not in owner or place(owner[g], seen):
                    owner[g] = w
                    return True
        return False
    return all(place(w, set()) for w in range(len(want)))


def same_event(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    sa, sb = simple(a), simple(b)
    return sa in sb or sb in sa or likeness(a, b) >= EVENT_AT


def field_right(name: str, e: Duty, i: Duty) -> bool:
    if name == "title":
        return any(simple(t) == simple(i.title) or likeness(t, i.title) >= TITLE_AT
                   for t in (e.title, e.group) if t)
    if name in ("lead", "support"):
        return same_departments(getattr(e, name), getattr(i, name))
    if name == "after_event":
        return same_event(e.when.after_event, i.when.after_event)
    return getattr(e.when, name) == getattr(i.when, name)


# ---- the score -----------------------------------------------------------------------------

@dataclass
class Score:
    expected: int
    imported: int
    matched: list[tuple[str, str]] = field(default_factory=list)  # (expected label, imported label)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    # (duty, field, expected value, imported value) for every field wrong
    wrong: list[tuple[str, str, str, str]] = field(default_factory=list)
    all_right: int = 0

    @property
    def slots(self) -> int:
        return max(self.expected, self.imported, 1)

    def accuracy(self, name: str) -> float:
        return self.right[name] / self.slots

    @property
    def all_right_rate(self) -> float:
        return self.all_right / self.slots


def _shown(name: str, d: Duty) -> str:
    if name == "title":
        return d.title
    if name in ("lead", "support"):
        return "、".join(sorted(min(n) for n in getattr(d, name) if n))
    return str(getattr(d.when, name))


def compare(expected: list[Duty], imported: list[Duty]) -> Score:
    pairs = match(expected, imported)
    score = Score(len(expected), len(imported))
    paired_e, paired_i = {id(e) for e, _ in pairs}, {id(i) for _, i in pairs}
    score.missing = [e.label for e in expected if id(e) not in paired_e]
    score.extra = [i.label for i in imported if id(i) not in paired_i]
    for e, i in pairs:
        score.matched.append((e.label, i.label))
        bad = [f for f in FIELDS if not field_right(f, e, i)]
        for f in FIELDS:
            score.right[f] += f not in bad
        score.wrong += [(e.label, f, _shown(f, e), _shown(f, i)) for f in bad]
        score.all_right += not bad
    return score


def score(plan: Path | str | dict, expected_path: Path | str) -> Score:
    """Score an imported plan (a file, or the parsed YAML as a dict) against an expected reading."""
    expected = read_expected(expected_path)
    data, raw = load_plan(plan, expected)
    return compare(expected.duties, imported_duties(data, raw, expected.tag_names))


def table(s: Score, verbose: bool = False) -> str:
    counts = (f"期望 expected {s.expected}   导入 imported {s.imported}   配对 matched {len(s.matched)}   "
              f"缺少 missing {len(s.missing)}   多余 extra {len(s.extra)}")
    lines = [counts, f"{'field':<12}{'right':>7}{'accuracy':>10}"]
    lines += [f"{f:<12}{s.right[f]:>7}{s.accuracy(f):>10.1%}" for f in FIELDS]
    lines.append(f"{'all fields':<12}{s.all_right:>7}{s.all_right_rate:>10.1%}")
    if verbose:
        lines += [f"缺少 missing: {m}" for m in s.missing] + [f"多余 extra: {x}" for x in s.extra]
        lines += [f"错 wrong {d} {f}: expected {want!r} got {got!r}" for d, f, want, got in s.wrong]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notice_accuracy",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("plan", help="导入的计划文件 the imported plan file (YAML)")
    parser.add_argument("expected", help="期望的职责 the expected duties "
                        "(tests/data/notices/*.expected.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="列出每个错处 list every miss")
    args = parser.parse_args(argv)
    try:
        result = score(args.plan, args.expected)
    except SourceError as exc:
        sys.exit(f"计划文件无效 the plan file is not valid:\n{exc}")
    print(table(result, args.verbose))


if __name__ == "__main__":
    main()
