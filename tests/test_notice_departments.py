"""Department names in notices: splitting, the clauses that name who leads, and the plan's list."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from notices.departments import (
    Directory,
    find_responsibilities,
    fold,
    looks_like_department,
    responsibility,
    slug,
    split_departments,
)
from notices.importer import KnownDepartment
from scheduler.plans.file import SLUG, read_plan_text
from tests.conftest import SEEDS

# --- splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "names"), [
    ("市环保局、市卫计委、市公用事业局按职责分别牵头落实", ["市环保局", "市卫计委", "市公用事业局"]),
    ("市发展改革委(物价局)、各县(市)区政府负责落实", ["市发展改革委(物价局)", "各县(市)区政府"]),
    ("市科技局(市知识产权局)牵头", ["市科技局(市知识产权局)"]),
    ("各县(市、区)政府，市财政局；市审计局", ["各县(市、区)政府", "市财政局", "市审计局"]),
    ("省委宣传部和省政府新闻办配合", ["省委宣传部", "省政府新闻办"]),
    ("市人力资源和社会保障局", ["市人力资源和社会保障局"]),  # 和 inside one name
    ("各级政府及部门", ["各级政府及部门"]),  # 部门 alone is not a name: no split
    ("省財政廳、省扶貧辦等", ["省財政廳", "省扶貧辦"]),
    ("由市审计局负责", ["市审计局"]),
    ("(牽頭單位:省政府辦公廳、各市政府;配合單位:省政府各部門)",
     ["省政府辦公廳", "各市政府", "省政府各部門"]),
])
def test_split_gives_the_names_as_written(text: str, names: list[str]) -> None:
    assert split_departments(text) == names


# --- clauses --------------------------------------------------------------------------------


def test_bracketed_clause_in_the_middle_of_a_paragraph_has_its_span() -> None:
    text = "进一步加大公开力度。(各县区、各部门负责落实)加大审计结果公开力度。(市审计局牵头落实)"
    first, second = find_responsibilities(text)
    assert (first.lead, first.support) == (["各县区", "各部门"], [])
    assert text[first.span[0]:first.span[1]] == "(各县区、各部门负责落实)"
    assert second.lead == ["市审计局"]
    assert text[second.span[0]:second.span[1]] == "(市审计局牵头落实)"


def test_labelled_clause_in_traditional_characters_returns_the_notices_characters() -> None:
    text = ("推行行政執法公示制度。(牽頭單位:省政府辦公廳、省政府法制辦、各市政府;配合單位:省政府各部門)")
    found = responsibility(text)
    assert found is not None
    assert found.lead == ["省政府辦公廳", "省政府法制辦", "各市政府"]
    assert found.support == ["省政府各部門"]
    assert text[found.span[0]:found.span[1]].startswith("(牽頭單位")
    assert found.span[1] == len(text)


def test_full_width_brackets_and_colons_are_read_like_ascii() -> None:
    found = responsibility("做好公开。（责任单位：市审计局、市财政局）")
    assert found is not None and found.lead == ["市审计局", "市财政局"]


def test_clause_after_the_last_full_stop_without_brackets() -> None:
    text = "进一步推进审计结果及整改情况的公开,及时发布可公开的审计公告、报告等,并做好相关解读。市审计局牵头落实"
    found = responsibility(text)
    assert found is not None and found.lead == ["市审计局"]
    assert text[found.span[0]:] == "市审计局牵头落实"


@pytest.mark.parametrize(("text", "lead", "support"), [
    ("(市环保局、市卫计委按职责分别牵头落实)", ["市环保局", "市卫计委"], []),
    ("做好宣传。市XX局牵头，市YY局配合", ["市XX局"], ["市YY局"]),
    ("做好宣传。市XX局牵头,市YY局、市ZZ局等配合", ["市XX局"], ["市YY局", "市ZZ局"]),
    ("(市政府有关部门分别牵头落实)", ["市政府有关部门"], []),
    ("由发改局牵头,有关部门在县政府信息网公开审批信息。", ["发改局"], ["有关部门"]),
    ("相关栏目由市政府办公室负责维护。", ["市政府办公室"], []),
])
def test_clause_forms(text: str, lead: list[str], support: list[str]) -> None:
    found = responsibility(text)
    assert found is not None
    assert (found.lead, found.support) == (lead, support)


def test_by_form_stays_in_its_sentence() -> None:
    found = responsibility("相关栏目由市政府办公室负责维护。")
    assert found is not None and found.inline
    assert not responsibility("(市审计局牵头落实)").inline


@pytest.mark.parametrize("text", [
    "各级政府政务服务中心(或行政审批局)要集中公开行政审批事项的办事指南等。",
    "(一)准备阶段(2016年6月底前)。",
    "县政府信息网要向各相关牵头部门开放专栏后台,由牵头部门负责相关栏目的保障和发布。",
    "县政府办公室负责对全县政府信息公开工作进行监督检查。",
    "公开本地区空气质量指数(AQI)值。",
])
def test_text_that_names_no_lead_has_no_clause(text: str) -> None:
    assert responsibility(text) is None


def test_folding_keeps_the_length_of_the_real_traditional_notice() -> None:
    text = (SEEDS / "004_497f5386385ee3c0.txt").read_text(encoding="utf-8")
    folded = fold(text)
    assert len(folded) == len(text)
    assert "牵头单位" in folded and "牽頭單位" in text


# --- what looks like a department -----------------------------------------------------------


@pytest.mark.parametrize("text", [
    "市审计局", "编办", "财政局", "城建局", "公管办", "市场监管局", "行政服务中心", "省政府辦公廳",
    "各县(市)区政府", "市政府各部门", "各科室", "各乡镇", "市住房公积金管理中心", "省委宣传部",
    "和平区政府", "本溪市财政局", "如皋市人民政府",  # place names that start like a verb or 本
])
def test_department_names(text: str) -> None:
    assert looks_like_department(text)


@pytest.mark.parametrize("text", [
    "做好公共资源交易中心建设", "做好公共资源交易中心", "县政府信息网", "领导干部", "部门",
    "牵头部门", "具有行政审批职能的省政府部门", "推进政务公开工作。", "市审计局、市财政局",
    "本部门", "其他部门",
])
def test_phrases_that_only_look_like_departments(text: str) -> None:
    assert not looks_like_department(text)


# --- the directory --------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    ("市环保局", "市环境保护局"), ("市卫计委", "市卫生计生委"), ("市发展改革委", "市发改委"),
    ("市人社局", "市人力资源社会保障局"), ("省政府办公厅", "省政府辦公廳"),
])
def test_abbreviations_and_full_names_are_one_department(first: str, second: str) -> None:
    directory = Directory()
    assert directory.add(first) == directory.add(second)
    [entry] = directory.entries()
    assert entry["name"] == first and entry["aliases"] == [second]


def test_same_body_at_another_level_is_another_department() -> None:
    directory = Directory()
    assert directory.add("县财政局") == "caizhengju"
    assert directory.add("市财政局") == "caizhengju-2"


def test_names_that_differ_by_more_than_the_table_stay_apart() -> None:
    directory = Directory()
    assert directory.add("市环保局") != directory.add("市环境局")


def test_a_second_name_in_brackets_is_an_alias() -> None:
    directory = Directory()
    ndrc = directory.add("市发展改革委(物价局)")
    assert directory.add("市物价局") == ndrc and directory.add("市发改委") == ndrc
    [entry] = directory.entries()
    assert entry["name"] == "市发展改革委"
    assert entry["aliases"] == ["市发展改革委(物价局)", "市物价局", "市发改委"]


def test_brackets_that_belong_to_a_name_are_kept() -> None:
    directory = Directory()
    directory.add("各县(市)区政府")
    assert directory.entries() == [
        {"id": "gexianshiquzhengfu", "name": "各县(市)区政府", "tags": ["group"]}]


def test_a_departments_group_is_a_tag_its_members_carry() -> None:
    directory = Directory()
    audit = directory.add("市审计局")
    assert directory.add("市政府各部门") == "tag:city-dept"
    directory.add("各县(市)区政府")
    directory.add("省教育厅")
    entries = {e["name"]: e for e in directory.entries()}
    assert entries["市审计局"] == {"id": audit, "name": "市审计局", "tags": ["city-dept"]}
    assert entries["市政府各部门"]["tags"] == ["group", "city-dept"]  # its contact is told too
    assert entries["各县(市)区政府"]["tags"] == ["group"]
    assert "tags" not in entries["省教育厅"]


def test_province_and_unprefixed_groups_have_their_own_tags() -> None:
    directory = Directory()
    assert directory.add("省政府各部門") == "tag:province-dept"
    assert directory.add("各部门") == "tag:dept"
    directory.add("编办")
    tags = {e["name"]: e.get("tags") for e in directory.entries()}
    assert tags["编办"] == ["dept"]


def test_slugs_are_readable_pinyin_and_valid_ids() -> None:
    assert slug("市审计局") == "shenjiju"
    assert slug("省政府辦公廳") == "zhengfubangongting"
    long_name = "具有行政审批职能的省政府部门和中介服务机构管理办公室"
    assert re.match(SLUG, slug(long_name)) and len(slug(long_name)) <= 64
    assert slug("(　)") == "dept"


def test_known_departments_keep_their_id_and_gain_spellings() -> None:
    known = [KnownDepartment("epb", "市环保局", ("市环境保护局",)),
             KnownDepartment("shenjiju", "市统计局")]
    directory = Directory(known=known)
    assert directory.add("市環境保護局") == "epb"
    assert directory.add("市环保局") == "epb"
    assert directory.add("市审计局") == "shenjiju-2"  # the known id is taken by another department
    assert directory.entries()[0] == {"id": "epb", "name": "市环保局",
                                      "aliases": ["市环境保护局", "市環境保護局"]}
    assert len(directory.entries()) == 2


def test_entries_make_a_plan_the_loader_accepts() -> None:
    directory = Directory(known=[KnownDepartment("office", "省政府办公厅")])
    duties = []
    for i, clause in enumerate(["(牽頭單位:省政府辦公廳、各市政府;配合單位:省政府各部門)",
                                "(牽頭單位:省發展改革委、省工商局;配合單位:省政府有關部門)"], start=1):
        found = responsibility(clause)
        assert found is not None
        duties.append({"id": str(i), "title": "做好公开", "lead": directory.add_all(found.lead),
                       "support": directory.add_all(found.support)})
    plan = {"version": 1, "plan": {"id": "liaoning-2016", "title": "实施方案", "issued": "2016-05-18"},
            "departments": directory.entries(), "duties": duties}
    loaded = read_plan_text("plan.yaml", yaml.safe_dump(plan, allow_unicode=True), date(2016, 6, 1))
    first, second = loaded.duties
    assert first.lead == ["office", "geshizhengfu"]
    assert sorted(first.support) == sorted(["zhengfugebumen", "fazhangaigewei", "gongshangju"])
    assert second.lead == ["fazhangaigewei", "gongshangju"]
