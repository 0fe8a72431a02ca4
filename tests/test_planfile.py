"""Plan files: valid ones resolve; each kind of bad file gets one clear message with file, line, key."""

from __future__ import annotations

import copy
from datetime import date, time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.plans.file import read_plan
from scheduler.plans.source import SourceError

TODAY = date(2026, 11, 24)

VALID = """\
version: 1
plan:
  id: demo
  title: 演示计划
  issued: 2016-07-28
  year: 2016
  coordinator: office
  remind:
    before: [3, 1, 0]
    at: "09:30"
departments:
  - id: office
    name: 市政府办公室
  - id: epb
    name: 市环保局
    aliases: [市环境保护局]
    tags: [city-dept]
  - id: edu
    name: 市教育局
    tags: [city-dept]
contacts:
  - department: 市环境保护局
    name: 张三
    email: zhang@example.org
duties:
  - id: "2-17"
    title: 饮用水水质信息公开
    requirement: 每季度向社会公开饮用水水源水质。
    lead: [epb]
    schedule: 7月底前启动 9月底前完成 长期推进
  - id: "1-1"
    title: 重大行政决策预公开
    lead: tag:city-dept
    support: [office]
    schedule:
      every: month
      due_on: day 28
    remind:
      before: [1]
"""


def write(tmp_path: Path, content: str | bytes, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def problems(tmp_path: Path, content: str | bytes) -> list:
    with pytest.raises(SourceError) as info:
        read_plan(write(tmp_path, content), TODAY)
    return info.value.problems


def test_a_valid_plan_resolves_names_tags_and_policies(tmp_path):
    data = read_plan(write(tmp_path, VALID), TODAY)
    assert (data.key, data.year, data.issued, data.until) == ("demo", 2016, date(2016, 7, 28), date(2016, 12, 31))
    assert data.coordinator == "office"
    assert [c.department for c in data.contacts] == ["epb"]  # the alias resolved to the id
    water, decisions = data.duties
    assert water.lead == ["epb"] and water.schedule.start_by == date(2016, 7, 31)
    assert water.schedule.due == date(2016, 9, 30) and water.schedule.every == "quarter"
    assert decisions.lead == ["epb", "edu"] and decisions.support == ["office"]
    assert decisions.schedule.due_on == "day 28"
    assert decisions.remind.before == [1] and decisions.remind.at == time(9, 30)
    assert water.remind.before == [3, 1, 0]
    assert data.review == []


def test_year_current_rebases_the_plan_on_the_current_year(tmp_path):
    text = VALID.replace("year: 2016", "year: current")
    data = read_plan(write(tmp_path, text), TODAY)
    assert data.year == 2026 and data.issued == date(2026, 7, 28) and data.until == date(2026, 12, 31)
    assert data.duties[0].schedule.due == date(2026, 9, 30)


def test_the_same_bytes_hash_the_same_and_an_edit_changes_the_hash(tmp_path):
    a = read_plan(write(tmp_path, VALID, "a.yaml"), TODAY)
    b = read_plan(write(tmp_path, VALID, "b.yaml"), TODAY)
    c = read_plan(write(tmp_path, VALID.replace("演示计划", "演示计划二"), "c.yaml"), TODAY)
    assert a.source_hash == b.source_hash != c.source_hash


def line_of(text: str, needle: str) -> int:
    """The last line holding `needle` (a duplicate is reported where it repeats)."""
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][-1]


BAD = {
    "wrong type": (VALID.replace("before: [3, 1, 0]", "before: soon"), "before: soon", "plan.remind.before"),
    "unknown department": (VALID.replace("lead: [epb]", "lead: [epd]"), "lead: [epd]", "duties[0].lead[0]"),
    "unknown tag": (VALID.replace("lead: tag:city-dept", "lead: tag:county"), "lead: tag:county",
                    "duties[1].lead[0]"),
    "bad date": (VALID.replace("issued: 2016-07-28", "issued: 2016-13-01"), "issued:", "plan.issued"),
    "duplicate id": (VALID.replace('id: "1-1"', 'id: "2-17"'), 'id: "2-17"', "duties[1].id"),
    "unknown key": (VALID.replace("outlet", "outlet").replace("    lead: [epb]", "    leader: x\n    lead: [epb]"),
                    "leader: x", "duties[0].leader"),
    "bad structured schedule": (VALID.replace("due_on: day 28", "due_on: day 32"), "due_on: day 32",
                                "duties[1].schedule.due_on"),
    "bad time zone": (VALID.replace("  year: 2016\n", "  year: 2016\n  timezone: Mars/Olympus\n"),
                      "timezone: Mars", "plan.timezone"),
    "missing title": (VALID.replace("    title: 饮用水水质信息公开\n", ""), 'id: "2-17"', "duties[0].title"),
    "duplicate key": (VALID.replace("  year: 2016\n", "  year: 2016\n  year: 2017\n"), "year: 2017",
                      "plan.year"),
    "unknown coordinator": (VALID.replace("coordinator: office", "coordinator: nobody"),
                            "coordinator: nobody", "plan.coordinator"),
    "bad email": (VALID.replace("zhang@example.org", "zhang-at-example"), "email:", "contacts[0].email"),
}


@pytest.mark.parametrize("kind", BAD)
def test_each_kind_of_bad_plan_gets_one_message_naming_file_line_and_key(tmp_path, kind):
    text, needle, key = BAD[kind]
    found = problems(tmp_path, text)
    assert len(found) == 1, [str(p) for p in found]
    problem = found[0]
    assert problem.file.endswith("plan.yaml") and problem.key == key
    assert problem.line == line_of(text, needle)
    assert f"plan.yaml:{problem.line}: {key}: " in str(problem)


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"\xff\xfe\xfd not utf8", "UTF-8"),
    ("version: 1\nplan: [unclosed\n", "syntax"),
    ("just a string", "expected a mapping"),
    ("- a\n- b\n", "expected a mapping"),
])
def test_unreadable_files_get_one_clear_message(tmp_path, content, expected):
    found = problems(tmp_path, content)
    assert len(found) == 1 and expected in found[0].message


def test_a_missing_file_is_reported_not_raised(tmp_path):
    with pytest.raises(SourceError) as info:
        read_plan(tmp_path / "nope.yaml", TODAY)
    assert "cannot read" in str(info.value)


def test_an_unreadable_phrase_is_kept_and_listed_for_review(tmp_path):
    data = read_plan(write(tmp_path, VALID.replace("7月底前启动 9月底前完成 长期推进", "视情况而定")), TODAY)
    water = data.duties[0]
    assert water.schedule.text == "视情况而定" and water.schedule.due is None
    assert [key for key, _ in data.review] == ["2-17"]


def test_several_problems_are_all_reported_at_once(tmp_path):
    text = VALID.replace("lead: [epb]", "lead: [epd]").replace("lead: tag:city-dept", "lead: tag:nope")
    assert {p.key for p in problems(tmp_path, text)} == {"duties[0].lead[0]", "duties[1].lead[0]"}


# Property: whatever a person types into any value, loading either succeeds or raises SourceError
# whose every problem names the file and a line inside it; nothing else escapes.
BASE = yaml.safe_load(VALID)
LEAVES = []


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _leaves(v, path + (i,))
    else:
        LEAVES.append(path)


_leaves(BASE)
junk = st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                 st.dates(), st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                       st.integers(), max_size=2))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(path=st.sampled_from(LEAVES), value=junk)
def test_any_value_anywhere_loads_or_fails_with_located_problems(tmp_path, path, value):
    doc = copy.deepcopy(BASE)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    text = yaml.safe_dump(doc, allow_unicode=True)
    file = write(tmp_path, text)
    try:
        read_plan(file, TODAY)
    except SourceError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file == str(file) and p.message
            assert p.line is None or 1 <= p.line <= len(text.splitlines())


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda s: s.encode()))
def test_arbitrary_bytes_never_crash_the_loader(tmp_path, raw):
    try:
        read_plan(write(tmp_path, raw), TODAY)
    except SourceError as exc:
        assert len(exc.problems) >= 1
