"""The notice-import scorer (bench/notice_accuracy.py) and the hand readings it scores against
(tests/data/notices/*.expected.yaml): small hand-made plans first, then the real notices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bench.notice_accuracy import FIELDS, score
from tests.conftest import ROOT, SEEDS

EXPECTED = ROOT / "tests" / "data" / "notices"

DEPARTMENTS = [
    {"id": "audit", "name": "市审计局"},
    {"id": "epb", "name": "市环保局", "aliases": ["市环境保护局"]},
    {"id": "counties", "name": "各县区"},
    {"id": "depts", "name": "各部门"},
    {"id": "sci", "name": "市科技局", "aliases": ["市知识产权局"], "tags": ["city-dept"]},
    {"id": "edu", "name": "市教育局", "tags": ["city-dept"]},
]


def expected_duty(number: str, title: str, lead: list[str], **fields: object) -> dict:
    blank = {"support": [], "start_by": None, "due": None, "dates": [], "every": None, "ongoing": False,
             "after_event": None, "within": None, "quota": None}
    return {"number": number, "title": title, "lead": lead, **blank, **fields}


def write_expected(tmp_path: Path, duties: list[dict], **header: object) -> Path:
    path = tmp_path / "x.expected.yaml"
    data = {"notice": "x.txt", "year": 2016, "issued": date(2016, 6, 27), **header, "duties": duties}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def plan(duties: list[dict], departments: list[dict] | None = None) -> dict:
    return {"version": 1, "plan": {"id": "t", "title": "测试计划", "issued": "2016-06-27", "year": 2016},
            "departments": departments or DEPARTMENTS, "duties": duties}


# A small notice read by hand, and the plan a perfect importer makes of it.
THREE = [
    expected_duty("三.(一).1", "推进决策公开", ["各县区", "各部门"]),
    expected_duty("三.(一).2b", "加大审计结果及整改情况的公开力度", ["市审计局"], due=date(2016, 9, 30)),
    expected_duty("三.(二).9", "推进环境保护领域信息公开", ["市环保局"], every="quarter", ongoing=True),
]
THREE_PLAN = [
    {"id": "三.(一).1", "title": "推进决策公开", "lead": ["counties", "depts"]},
    {"id": "三.(一).2b", "title": "加大审计结果及整改情况的公开力度", "lead": ["audit"], "schedule": "9月底前完成"},
    {"id": "三.(二).9", "title": "推进环境保护领域信息公开", "lead": ["epb"], "schedule": "每季度 长期推进"},
]


def accuracies(s) -> dict[str, float]:
    return {f: s.accuracy(f) for f in FIELDS}


def test_a_perfect_plan_scores_one_in_every_field(tmp_path):
    s = score(plan(THREE_PLAN), write_expected(tmp_path, THREE))
    assert accuracies(s) == dict.fromkeys(FIELDS, 1.0)
    assert s.all_right_rate == 1.0 and not s.missing and not s.extra and len(s.matched) == 3


def test_the_plan_may_be_a_file(tmp_path):
    file = tmp_path / "plan.yaml"
    file.write_text(yaml.safe_dump(plan(THREE_PLAN), allow_unicode=True), encoding="utf-8")
    assert score(file, write_expected(tmp_path, THREE)).all_right_rate == 1.0


def test_a_wrong_due_date_costs_exactly_that_field(tmp_path):
    duties = [dict(d) for d in THREE_PLAN]
    duties[1]["schedule"] = "10月底前完成"
    s = score(plan(duties), write_expected(tmp_path, THREE))
    assert s.accuracy("due") == pytest.approx(2 / 3)
    assert {f: a for f, a in accuracies(s).items() if f != "due"} == dict.fromkeys(set(FIELDS) - {"due"}, 1.0)
    assert s.all_right == 2
    assert s.wrong == [("三.(一).2b 加大审计结果及整改情况的公开力度", "due", "2016-09-30", "2016-10-31")]


def test_an_extra_duty_counts_as_wrong_in_every_field(tmp_path):
    duties = [*THREE_PLAN, {"id": "四", "title": "加强组织领导", "lead": ["depts"]}]
    s = score(plan(duties), write_expected(tmp_path, THREE))
    assert s.extra == ["四 加强组织领导"] and not s.missing
    assert accuracies(s) == dict.fromkeys(FIELDS, 0.75)
    assert s.all_right_rate == 0.75


def test_a_missing_duty_counts_as_wrong_in_every_field(tmp_path):
    s = score(plan(THREE_PLAN[:2]), write_expected(tmp_path, THREE))
    assert s.missing == ["三.(二).9 推进环境保护领域信息公开"] and not s.extra
    assert accuracies(s) == dict.fromkeys(FIELDS, pytest.approx(2 / 3))


def test_a_duty_with_another_title_is_missing_and_extra(tmp_path):
    duties = [*THREE_PLAN[:2], {**THREE_PLAN[2], "id": "三.(二).10", "title": "做好规范性文件清理结果公开工作"}]
    s = score(plan(duties), write_expected(tmp_path, THREE))
    assert len(s.missing) == 1 and len(s.extra) == 1 and s.all_right == 2


def test_lead_ids_are_read_as_department_names_and_aliases(tmp_path):
    expected = [expected_duty("12", "按时公布专利侵权纠纷行政处理决定", ["市科技局(市知识产权局)"],
                              support=["市环境保护局"]),
                expected_duty("13", "公开环评信息", ["市环保局", "市审计局"])]
    duties = [{"id": "12", "title": "按时公布专利侵权纠纷行政处理决定", "lead": ["sci"], "support": ["epb"]},
              {"id": "13", "title": "公开环评信息", "lead": ["市审计局", "市环境保护局"]}]
    s = score(plan(duties), write_expected(tmp_path, expected))
    assert s.accuracy("lead") == 1.0 and s.accuracy("support") == 1.0


def test_a_lead_short_of_one_department_is_wrong(tmp_path):
    duties = [dict(d) for d in THREE_PLAN]
    duties[0]["lead"] = ["counties"]
    s = score(plan(duties), write_expected(tmp_path, THREE))
    assert s.accuracy("lead") == pytest.approx(2 / 3) and s.accuracy("support") == 1.0


def test_any_lead_will_do_where_the_notice_shows_none(tmp_path):
    expected = [expected_duty("8", "公开对全市食品相关产品生产环节监督抽查事项清单", [])]
    duties = [{"id": "8", "title": "公开对全市食品相关产品生产环节监督抽查事项清单", "lead": ["audit"]}]
    assert score(plan(duties), write_expected(tmp_path, expected)).accuracy("lead") == 1.0


def test_a_tag_lead_answers_to_the_group_name_the_expected_file_records(tmp_path):
    expected = [expected_duty("1-1", "落实重大行政决策预公开制度", ["各县区", "市政府各部门"])]
    duties = [{"id": "1-1", "title": "落实重大行政决策预公开制度", "lead": ["counties", "tag:city-dept"]}]
    named = score(plan(duties), write_expected(tmp_path, expected, tag_names={"city-dept": "市政府各部门"}))
    unnamed = score(plan(duties), write_expected(tmp_path, expected))
    assert named.accuracy("lead") == 1.0 and unnamed.accuracy("lead") == 0.0


def test_traditional_and_simplified_titles_and_names_are_the_same(tmp_path):
    expected = [expected_duty("二.(一).1", "實行重大決策預公開制度", ["省政府辦公廳"], support=["省政府各部門"])]
    departments = [{"id": "gov", "name": "省政府办公厅"}, {"id": "all", "name": "省政府各部门"}]
    duties = [{"id": "二(一)1", "title": "实行重大决策预公开制度", "lead": ["gov"], "support": ["all"]}]
    assert score(plan(duties, departments), write_expected(tmp_path, expected)).all_right_rate == 1.0


def test_split_duties_find_their_own_halves(tmp_path):
    title = "做好抽检抽验信息公开工作,每周公开食品抽检信息,每季度公开药品抽检信息"
    expected = [expected_duty("63a", title, ["市环保局"], every="week"),
                expected_duty("63b", title, ["市环保局"], every="quarter")]
    duties = [{"id": "63-2", "title": title, "lead": ["epb"], "schedule": "每季度"},
              {"id": "63-1", "title": title, "lead": ["epb"], "schedule": "每周"}]
    assert score(plan(duties), write_expected(tmp_path, expected)).all_right_rate == 1.0


def test_a_paragraph_titled_another_way_is_still_matched_by_its_number(tmp_path):
    expected = [expected_duty("二.(二).1", "對重點改革任務、重要政策措施、重大工程項目,各相關部門要根據工作進展和任務節點,"
                              "通過政府網站、部門網站、新聞媒體等公布取得成效、后續舉措", ["市審計局"])]
    duties = [{"id": "二.(二).1", "title": "推進執行和結果公開：對重點改革任務、重要政策措施、重大工程項目",
               "lead": ["audit"]}]
    s = score(plan(duties), write_expected(tmp_path, expected))
    assert len(s.matched) == 1 and s.accuracy("title") == 0.0 and s.accuracy("lead") == 1.0


def test_the_parts_of_a_split_item_titled_by_their_own_clauses_are_matched_by_schedule(tmp_path):
    expected = [expected_duty(f"一.(七).1{p}", "公开各类环保信息", ["市环保局"], every=every)
                for p, every in (("a", "day"), ("b", "month"), ("c", "year"))]
    duties = [{"id": f"一.(七).1.{n}", "title": title, "lead": ["epb"], "schedule": phrase}
              for n, title, phrase in ((1, "每年公布本地区主要污染物排放总量", "每年"),
                                       (2, "环保局要每日在县政府信息网公开本地区空气质量指数", "每日"),
                                       (3, "每月公开水环境质量、污染源", "每月"))]
    s = score(plan(duties), write_expected(tmp_path, expected))
    assert sorted((e.split()[0], i.split()[0]) for e, i in s.matched) == [
        ("一.(七).1a", "一.(七).1.2"), ("一.(七).1b", "一.(七).1.3"), ("一.(七).1c", "一.(七).1.1")]
    assert s.accuracy("every") == 1.0 and s.accuracy("title") == 0.0


def test_a_table_row_may_be_titled_by_its_merged_task_cell(tmp_path):
    expected = [expected_duty("38", "公开国有资本整体运营情况、企业国有资产保值增值及经营业绩考核有关情况", ["市审计局"],
                              group="推进国有企业运营监管信息公开"),
                expected_duty("39", "公开市国资委派驻市属企业监事会对市属企业年度监督检查情况", ["市审计局"],
                              group="推进国有企业运营监管信息公开")]
    duties = [{"id": str(n), "title": "推进国有企业运营监管信息公开", "lead": ["audit"]} for n in (39, 38)]
    s = score(plan(duties), write_expected(tmp_path, expected))
    assert sorted((e.split()[0], i.split()[0]) for e, i in s.matched) == [("38", "38"), ("39", "39")]
    assert s.all_right_rate == 1.0


def test_a_yearly_quota_is_the_same_as_a_quota_due_at_the_year_end(tmp_path):
    expected = [expected_duty("77", "每年解读重要政策措施不少于1次", ["市审计局"], every="year", quota=1)]
    duties = [{"id": "77", "title": "每年解读重要政策措施不少于1次", "lead": ["audit"],
               "schedule": {"due": "2016-12-31", "quota": 1}}]
    assert score(plan(duties), write_expected(tmp_path, expected)).all_right_rate == 1.0


def test_events_are_compared_by_name_and_time_allowed(tmp_path):
    expected = [expected_duty("1", "积极做好政策解读", ["各部门"], after_event="文件公开", within="3 workdays"),
                expected_duty("2", "公开财政预决算信息", ["各部门"], after_event="财政局批准或批复", within="20 days")]
    duties = [{"id": "1", "title": "积极做好政策解读", "lead": ["depts"], "schedule": "文件公开后3个工作日内"},
              {"id": "2", "title": "公开财政预决算信息", "lead": ["depts"],
               "schedule": {"after_event": "经财政局批准或批复", "within": "20 workdays"}}]
    s = score(plan(duties), write_expected(tmp_path, expected))
    assert s.accuracy("after_event") == 1.0 and s.accuracy("within") == 0.5


# ---- the hand readings of the real notices --------------------------------------------------

def test_the_yingkou_plan_scores_full_marks_against_its_expected_reading():
    s = score(ROOT / "plans" / "yingkou-2016.yaml", EXPECTED / "000.expected.yaml")
    assert s.expected == s.imported == 40 and s.all_right_rate == 1.0


def plan_from_expected(path: Path) -> dict:
    """The plan a perfect importer would write from an expected reading (names become departments;
    003's row 8, whose lead the notice does not show, gets any department: a plan needs one)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = sorted({n for d in data["duties"] for n in d["lead"] + d["support"]})
    ids = {n: f"d{i}" for i, n in enumerate(names)}
    keys = ("start_by", "due", "dates", "every", "interval", "due_on", "months", "ongoing", "after_event",
            "within", "quota")
    duties = [{"id": d["number"], "title": d["title"], "lead": [ids[n] for n in d["lead"]] or ["d0"],
               "support": [ids[n] for n in d["support"]],
               "schedule": {k: d[k] for k in keys if d.get(k) not in (None, [], False)} or None}
              for d in data["duties"]]
    header = {"id": "t", "title": "t", "year": data["year"], "issued": data["issued"]}
    return {"version": 1, "plan": header, "departments": [{"id": i, "name": n} for n, i in ids.items()],
            "duties": duties}


@pytest.mark.parametrize(("seed", "duties"), [("001", 32), ("002", 24), ("003", 91), ("004", 43)])
def test_each_reading_is_a_plan_the_loader_accepts_and_scores_itself_whole(seed, duties):
    path = EXPECTED / f"{seed}.expected.yaml"
    built = plan_from_expected(path)
    s = score(built, path)
    assert s.expected == duties
    assert s.all_right_rate == 1.0, s.wrong


@pytest.mark.parametrize("seed", ["001", "002", "003", "004"])
def test_each_reading_quotes_its_notice(seed):
    data = yaml.safe_load((EXPECTED / f"{seed}.expected.yaml").read_text(encoding="utf-8"))
    text = (SEEDS / data["notice"]).read_text(encoding="utf-8").replace("\n", "")
    for d in data["duties"]:
        for words in (d["title"], d.get("group"), *d["lead"], *d["support"], d["after_event"]):
            assert words is None or words in text, (d["number"], words)
