"""The machinery the unseen notice sets (tests/data/notices/<set>) share: each case's notice file written from
its .json model (or taken as it is), imported with notices.importer.import_notice into a plan file, and the
generic checks every set runs on those plans (score against a hand reading, supporters, the plan's header)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.notice_accuracy import imported_duties, load_plan, match, read_expected, score, table
from notices.importer import import_notice

NOTICES = Path(__file__).resolve().parent / "data" / "notices"
TARGET = 0.95  # issue 15: all fields right for 95% of the duties of every notice

Case = tuple[str, str]  # (notice, file kind)
Writer = Callable[[dict, Path], Path]  # a model's data and the path to write it to -> the file written


def case_ids(cases: list[Case]) -> list[str]:
    return [f"{name}.{kind}" for name, kind in cases]


@dataclass(frozen=True)
class NoticeSet:
    """One folder of notices: its cases, a writer per file kind for the cases that are .json models, and the
    notices held below TARGET (each with its reason, where the set is declared)."""

    folder: Path
    cases: list[Case]
    writers: dict[str, Writer] = field(default_factory=dict)
    below_target: dict[str, float] = field(default_factory=dict)

    def expected(self, name: str) -> dict:
        """The hand reading, as the YAML says it."""
        import yaml
        return yaml.safe_load(self.expected_path(name).read_text(encoding="utf-8"))

    def expected_path(self, name: str) -> Path:
        return self.folder / f"{name}.expected.yaml"

    def model(self, name: str) -> dict:
        import json
        return json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))

    def write_notices(self, out: Path) -> dict[Case, Path]:
        """Every case's notice file: the file itself, or the model written as the case's kind."""
        notices = {}
        for name, kind in self.cases:
            if (self.folder / f"{name}.json").exists():
                notices[name, kind] = self.writers[kind](self.model(name), out / f"{name}.{kind}")
            else:
                notices[name, kind] = self.folder / f"{name}.{kind}"
        return notices

    def fixtures(self) -> tuple[Callable, Callable]:
        """The module-scoped `notices` and `plans` fixtures of a test file: `notices, plans = SET.fixtures()`."""
        @pytest.fixture(scope="module", name="notices")
        def notices_fixture(tmp_path_factory) -> dict[Case, Path]:
            return self.write_notices(tmp_path_factory.mktemp(self.folder.name))

        @pytest.fixture(scope="module", name="plans")
        def plans_fixture(notices, tmp_path_factory) -> dict[Case, Path]:
            return import_plans(notices, tmp_path_factory.mktemp(f"{self.folder.name}-plans"))

        return notices_fixture, plans_fixture

    def target(self, name: str) -> float:
        return self.below_target.get(name, TARGET)

    def assert_reads_duty_by_duty(self, plan: Path, name: str, kind: str) -> None:
        """The plan scored duty by duty against the hand reading: all fields right for TARGET of the duties
        (or the notice's own mark below it). The report is printed, for -s."""
        graded = score(plan, self.expected_path(name))
        report = f"{name}.{kind}\n{table(graded, verbose=True)}"
        print(report)
        assert graded.all_right_rate >= self.target(name), report

    def plan_and_expected(self, plan: Path, name: str) -> tuple[dict, dict]:
        """The imported plan's `plan:` header and the hand reading, to compare year and signature date."""
        import yaml
        return yaml.safe_load(plan.read_text(encoding="utf-8"))["plan"], self.expected(name)

    def supporters_not_in_the_notice(self, plan: Path, name: str) -> list[str]:
        """The duties given supporters where the hand reading has none. The scorer lets an expected empty
        `support` accept anything (as it must for a lead the notice does not show): this is checked apart."""
        expected = read_expected(self.expected_path(name))
        data, raw = load_plan(plan, expected)
        pairs = match(expected.duties, imported_duties(data, raw, expected.tag_names))
        return [f"{e.label}: {sorted(min(n) for n in i.support)}"
                for e, i in pairs if not e.support and i.support]

    def check_expected_readings(self, most_duties: int) -> None:
        """Every hand reading names a notice that exists, has 10 to `most_duties` duties, numbered once each."""
        for name in {name for name, _ in self.cases}:
            expected = self.expected(name)
            assert (self.folder / expected["notice"]).exists()
            assert 10 <= len(expected["duties"]) <= most_duties
            assert len({d["number"] for d in expected["duties"]}) == len(expected["duties"])


def import_plans(notices: dict[Case, Path], out: Path) -> dict[Case, Path]:
    """Every case imported (notices.importer.import_notice) and written as a plan file."""
    plans = {}
    for (name, kind), notice in notices.items():
        plans[name, kind] = out / f"{name}.{kind}.yaml"
        plans[name, kind].write_text(import_notice(notice).yaml(), encoding="utf-8")
    return plans


def assert_passes_plan_check(cli, plan: Path) -> None:
    result = cli("plan", "check", str(plan))
    assert result.exit_code == 0, result.output + result.stderr


class ReadsItsNotices:
    """The checks every set runs on its imported plans. A set's test file declares
    `class TestTheImporter(ReadsItsNotices): notice_set = NOTICE_SET`; each test then runs once per case
    (tests/conftest.py's pytest_generate_tests parametrizes `case` from the set)."""

    notice_set: NoticeSet
    dateless_kinds: tuple[str, ...] = ()  # files that are the attachment alone and carry no date: year only

    def test_the_imported_plan_passes_plan_check(self, cli, plans, case):
        assert_passes_plan_check(cli, plans[case])

    def test_the_imported_plan_reads_the_notice_duty_by_duty(self, plans, case):
        self.notice_set.assert_reads_duty_by_duty(plans[case], *case)

    def test_no_supporters_where_the_notice_names_none(self, plans, case):
        """An empty 配合单位 (or none named) gives no supporters. The scorer lets an expected empty `support`
        accept anything, so it is checked here: a supporter carried down from the row above, a 牵头领导 read
        as a department, or a lead list read as one lead and supporters would be told of work not theirs."""
        wrong = self.notice_set.supporters_not_in_the_notice(plans[case], case[0])
        assert not wrong, "\n".join(wrong)

    def test_the_plan_has_the_notices_year_and_signature_date(self, plans, case):
        """`year` from the title; `issued` is the date under the issuer's name (a 台账's at the foot of its 说明
        sheet), not a site's 发布时间/生成日期 or the 版记's 印发 date."""
        plan, expected = self.notice_set.plan_and_expected(plans[case], case[0])
        assert plan["year"] == expected["year"]
        if case[1] not in self.dateless_kinds:
            assert str(plan.get("issued")) == str(expected["issued"])
