"""Plan files are bounded: size, nesting, aliases, expanded values and the years of every date.
A file over a limit, or with a value out of range, gets one clear problem (file, line, what limit)
at once; and no plan file, however mutated, makes `duban plan check` crash or hang (property test).
"""

from __future__ import annotations

import copy
import time
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scheduler.plans.file import read_plan
from scheduler.plans.source import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_NODES, SourceError
from tests.conftest import ROOT
from tests.test_planfile import TODAY, VALID, problems, write


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb: each line repeats the previous list `width` times (9**9 values)."""
    names = "abcdefghijklmnopqrstuvwxyz"[:levels]
    lines = [f"a: &a [{','.join(['lol'] * width)}]"]
    lines += [f"{n}: &{n} [{','.join([f'*{p}'] * width)}]" for p, n in pairwise(names)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_naming_the_limit_and_line(tmp_path):
    text = billion_laughs()
    assert len(text.encode()) < 400
    started = time.monotonic()
    [problem] = problems(tmp_path, text)
    assert time.monotonic() - started < 1
    assert str(MAX_NODES) in problem.message and "aliases" in problem.message
    assert problem.file.endswith("plan.yaml") and problem.line is not None


def test_deeply_nested_lists_are_refused_not_a_recursion_error(tmp_path):
    [problem] = problems(tmp_path, "[" * 1000 + "]" * 1000 + "\n")
    assert f"nested more than {MAX_DEPTH} levels" in problem.message and problem.line == 1


def test_aliases_cannot_nest_deeper_than_the_limit_either(tmp_path):
    text = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, MAX_DEPTH + 2))
    [problem] = problems(tmp_path, text)
    assert f"more than {MAX_DEPTH} levels" in problem.message


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    [problem] = problems(tmp_path, "version: 1\nplan: &loop\n  title: [*loop]\n")
    assert "refers to a list or mapping that contains it" in problem.message


def test_too_many_aliases_are_refused_at_the_first_one_over(tmp_path):
    text = "a: &a x\nb:\n" + "".join("  - *a\n" for _ in range(MAX_ALIASES + 1))
    [problem] = problems(tmp_path, text)
    assert f"more than {MAX_ALIASES} aliases" in problem.message
    assert problem.line == 3 + MAX_ALIASES


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    [problem] = problems(tmp_path, "# " + "x" * MAX_BYTES + "\n")
    assert f"over {MAX_BYTES} bytes" in problem.message


def test_a_few_anchors_and_aliases_still_load(tmp_path):
    """Sharing one reminder policy between duties is what aliases are for."""
    text = VALID.replace("    remind:\n      before: [1]\n", "    remind: &quick\n      before: [1]\n")
    text += "  - {id: '9-9', title: 另一项, lead: [edu], schedule: 每月, remind: *quick}\n"
    data = read_plan(write(tmp_path, text), TODAY)
    assert data.duties[-1].remind.before == [1]


@pytest.mark.parametrize("content, expected, line", [
    ("version: " + "9" * 5000 + "\n", "cannot read this value", 1),
    ("version: 1\nplan: !!timestamp 2016-13-01\n", "cannot read this value", 2),
])
def test_a_value_yaml_cannot_build_is_a_located_problem(tmp_path, content, expected, line):
    [problem] = problems(tmp_path, content)
    assert expected in problem.message and problem.line == line


@pytest.mark.parametrize("old, new, key", [
    ("issued: 2016-07-28", "issued: 9999-12-31", "plan.issued"),
    ("year: 2016", "year: 2016\n  until: 0001-01-01", "plan.until"),
    ("year: 2016", "year: 1999", "plan.year"),
    ("due_on: day 28", "due_on: day 28\n      from: 9999-01-01", "duties[1].schedule.from"),
    ("email: zhang@example.org", "email: zhang@example.org\n    telegram: 99999999999999999999",
     "contacts[0].telegram"),
])
def test_dates_years_and_chat_ids_out_of_range_are_located_problems(tmp_path, old, new, key):
    [problem] = problems(tmp_path, VALID.replace(old, new))
    assert problem.key == key and "out of range" in problem.message


def test_a_phrase_naming_an_impossible_year_is_listed_for_review(tmp_path):
    data = read_plan(write(tmp_path, VALID.replace("7月底前启动 9月底前完成 长期推进", "9999年12月底前完成")), TODAY)
    [(duty, why)] = data.review
    assert duty == "2-17" and "year 9999 is out of range" in why


def test_a_reusable_plan_issued_on_29_february_rebases_on_the_28th(tmp_path):
    text = VALID.replace("issued: 2016-07-28", "issued: 2016-02-29").replace("year: 2016", "year: current")
    data = read_plan(write(tmp_path, text), TODAY)  # 2026 is a common year
    assert data.issued == date(2026, 2, 28) and data.until == date(2026, 12, 31)


# Property: whatever is done to a real plan file (values, types, keys, structure, raw YAML),
# `duban plan check FILE` answers with exit 0 or 1 and a message, never a traceback, quickly.

BASES = [yaml.safe_load((ROOT / "plans" / name).read_text(encoding="utf-8"))
         for name in ("example.yaml", "yingkou-2016.yaml")]
# Raw YAML put in place of a marker after dumping: what yaml.safe_dump cannot write itself.
RAW = ["9" * 5000, "!!timestamp 2016-13-01", "!!timestamp 0001-01-01", "!!binary AAAA", "*nowhere",
       "!!python/object:os.system {}", "&self [*self]", "[" * 900 + "]" * 900, "{a: " * 300 + "1" + "}" * 300,
       "0b" + "1" * 200, "1:2:3:4:5:6:7:8:9", ".inf", "-.nan", "!!set {a, b}", "0x" + "f" * 40, "~"]
DATES = ["0001-01-01", "9999-12-31", "2016-02-29", "2015-02-29", "1999-12-31", "2200-12-31", "2201-01-01",
         "2016-13-01", "2016-00-10"]
PHRASES = ["9999年12月底前", "0000年1月底", "每0个月", "每999个月", "每月0日前", "每月99日前", "年内至少0次",
           "年内至少99999999999999999999次", "0个工作日内", "9999个工作日内", "99999小时内", "季后999日内",
           "流行季节(13—0月)", "长期推进 每日 每周 每月"]
SCHEDULES = [{"every": "day", "from": "2000-01-01", "until": "2200-12-31"}, {"every": "week", "interval": 120},
             {"after_event": "x", "within": "9999 workdays"}, {"every": "month", "due_on": "+999 workdays"},
             {"every": "year", "months": [13]}, {"dates": ["2016-02-30"]}, {"quota": 0}]
scalars = st.one_of(
    st.integers(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.booleans(), st.none(),
    st.text(max_size=40), st.sampled_from(DATES), st.dates().map(str), st.sampled_from(PHRASES),
    st.sampled_from([f"@@RAW{i}@@" for i in range(len(RAW))]))
values = st.recursive(scalars | st.sampled_from(SCHEDULES), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)),
    max_leaves=12)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _mutate(doc, data) -> None:
    """Change one to four places: a value (any type, nested, raw YAML), a key, or drop a key."""
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        path = data.draw(st.sampled_from([p for p in _paths(doc) if p]), label="path")
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        how = data.draw(st.sampled_from(["value", "value", "value", "key", "drop"]), label="how")
        if isinstance(parent, dict) and how == "key":
            parent[data.draw(st.text(max_size=8) | st.integers() | st.none(), label="key")] = parent.pop(path[-1])
        elif isinstance(parent, dict) and how == "drop":
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(values, label="value"))  # SCHEDULES stay as they are


def _plan_check(file: Path):
    from duban.cli import app, common

    common.settings.cache_clear()
    return CliRunner().invoke(app, ["plan", "check", str(file)], catch_exceptions=False)


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(base=st.sampled_from(range(len(BASES))), data=st.data())
def test_no_mutated_plan_file_crashes_or_hangs_plan_check(tmp_path, monkeypatch, base, data):
    monkeypatch.chdir(ROOT)
    doc = copy.deepcopy(BASES[base])
    _mutate(doc, data)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    for i, raw in enumerate(RAW):
        text = text.replace(f"'@@RAW{i}@@'", raw).replace(f"@@RAW{i}@@", raw)
    file = write(tmp_path, text)
    started = time.monotonic()
    result = _plan_check(file)  # catch_exceptions=False: an exception fails the test
    output = result.output + result.stderr
    assert time.monotonic() - started < 10, "plan check took too long"
    assert "Traceback" not in output
    assert result.exit_code in (0, 1), output
    if result.exit_code == 1:
        assert f"{file}" in result.stderr and "nothing was loaded" in result.stderr


def test_reading_a_plan_never_raises_anything_but_source_error_for_the_shipped_edge_values(tmp_path):
    """Each raw value in the property test, alone as `plan:`, is a located problem."""
    for raw in RAW:
        file = write(tmp_path, f"version: 1\nplan: {raw}\n")
        try:
            read_plan(file, TODAY)
        except SourceError as exc:
            assert exc.problems and all(p.file == str(file) for p in exc.problems)
