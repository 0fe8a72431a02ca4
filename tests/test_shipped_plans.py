"""The plans shipped in plans/ check clean and load twice without changing anything."""

from __future__ import annotations

from collections import Counter

import pytest

PLANS = {"plans/example.yaml": [], "plans/yingkou-2016.yaml": ["2-14"]}  # file: duties needing review


@pytest.mark.parametrize("path", PLANS)
def test_shipped_plans_check_clean(cli, path):
    result = cli.json("plan", "check", path)
    assert [r["duty"] for r in result["review"]] == PLANS[path]


@pytest.mark.parametrize("path", PLANS)
def test_shipped_plans_load_idempotently(cli, path):
    assert cli("db", "upgrade").exit_code == 0
    accept = ["--accept-review"] if PLANS[path] else []  # a plan with duties to review loads only so
    first = cli.json("plan", "load", *accept, path)
    assert first["occurrences_added"] > 0
    assert cli.json("plan", "load", *accept, path) == {"plan": first["plan"]}


def test_the_example_plan_has_every_kind_of_duty(cli):
    shown = cli.json("plan", "show", "plans/example.yaml")
    schedules = [d["schedule"] for d in shown["duties"]]
    assert {s["every"] for s in schedules} >= {"week", "month", "quarter", "half-year"}
    assert any(s["after_event"] for s in schedules) and any(s["quota"] for s in schedules)
    assert any(s["due"] and not s["every"] for s in schedules)  # a one-off
    kinds = Counter(o["kind"] for d in shown["duties"] for o in d["occurrences"])
    assert kinds["recurring"] and kinds["due"] and kinds["start"]
