"""Notices written as numbered paragraphs read into Records (number, title, lead, support, source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from notices.document import Document, Paragraph, Table
from notices.prose import NO_LEAD, SUBJECT_LEAD, records_from_prose
from notices.records import Record
from tests.conftest import SEEDS


def seed(name: str) -> Document:
    """A seed as the plain-text reader gives it: every non-empty line a paragraph "第N行"."""
    path = next(SEEDS.glob(f"{name}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    return Document(path.name, [Paragraph(line.strip(), f"第{n}行")
                                for n, line in enumerate(lines, start=1) if line.strip()])


def notice(*lines: str) -> Document:
    return Document("notice.txt", [Paragraph(line, f"第{n}行") for n, line in enumerate(lines, 1)])


def by_number(records: list[Record]) -> dict[str, Record]:
    numbers = [r.number for r in records]
    assert len(set(numbers)) == len(numbers), "numbers are unique"
    return {r.number: r for r in records}


def line_of(record: Record) -> int:
    return int(record.source[0].strip("第行"))


# --- seed 001: 大庆, clauses in brackets, some inside a paragraph ----------------------------


@pytest.fixture(scope="module")
def daqing() -> list[Record]:
    return records_from_prose(seed("001"))


def test_daqing_duties_are_the_numbered_items_and_the_parts_their_clauses_close(daqing) -> None:
    assert len(daqing) == 33  # 三: 9 parts of (一), 15 + 3 + 3; 四: 3 stages
    assert [r.number for r in daqing[:4]] == ["三.(一).1", "三.(一).2", "三.(一).2-2", "三.(一).3"]
    assert not [r for r in daqing if r.number[0] in "一二五"]  # 指导思想, 基本原则, 有关要求
    assert [r.number for r in daqing[-3:]] == ["四.(一)", "四.(二)", "四.(三)"]  # a stage is one duty


def test_daqing_item_with_heading_and_clause(daqing) -> None:
    first = by_number(daqing)["三.(一).1"]
    assert (first.title, first.lead, first.support) == ("推进决策公开", ["各县区", "各部门"], [])
    assert first.requirement.startswith("探索推行重大决策预公开")
    assert first.requirement.endswith("民意调查制度。")
    assert first.source == ["第25行"] and first.notes == [] and first.deadline == ""


def test_daqing_text_after_a_clause_is_the_next_duty(daqing) -> None:
    audit = by_number(daqing)["三.(一).2-2"]
    assert audit.title == ("加大审计结果及整改情况的公开力度,除涉及国家秘密、商业秘密及其他不宜对外公开的内容外,"
                           "应将审计发现的问题、整改情况等有关信息向社会公开,以公开促整改、促执行")
    assert audit.lead == ["市审计局"]
    assert audit.requirement.startswith("加大审计结果及整改情况的公开力度")
    assert "落实" not in audit.requirement[-10:]


def test_daqing_several_leads_and_vague_ones(daqing) -> None:
    records = by_number(daqing)
    assert records["三.(二).10"].lead == ["市房产局", "市城乡建设局", "市住房公积金管理中心"]
    assert records["三.(一).3-3"].lead == ["各县区", "市农委"]
    vague = records["三.(一).3-2"]
    assert vague.lead == ["市政府有关部门"]
    assert any("未具体指明" in note for note in vague.notes)


def test_daqing_stages_are_titled_by_their_headings_and_name_their_subjects(daqing) -> None:
    records = by_number(daqing)
    assert [records[f"四.({n})"].title for n in "一二三"] == [
        "准备阶段(2016年6月底前)", "实施阶段(2016年7月至12月)", "总结阶段(2016年12月)"]
    summary = records["四.(三)"]  # the heading's only paragraph is its duty
    assert summary.lead == ["各县区", "各部门"]
    assert summary.requirement.startswith("各县区、各部门要把全年落实情况于2016年12月20日前报市政府办公室。")
    assert summary.source == ["第93行"]
    assert summary.notes == [SUBJECT_LEAD]


# --- seed 002: a county's 工作方案, the department is the sentence's subject -----------------


@pytest.fixture(scope="module")
def county() -> list[Record]:
    return records_from_prose(seed("002"))


def test_county_plan_duties(county) -> None:
    assert len(county) == 22
    assert not [r for r in county if r.number.startswith("四")]  # 加强组织领导 names no clause
    assert not [r for r in county if "小编" in r.requirement or "推荐访问" in r.requirement]


@pytest.mark.parametrize(("number", "title", "lead", "support"), [
    ("一.(一).1", "公开行政审批信息", ["编办", "各部门", "行政服务中心"], []),
    ("一.(一).2", "公开行政权力清单", ["各部门"], []),
    ("一.(二).2", "公开公共资源交易信息", ["公管办"], []),
    ("一.(四)", "推进重大建设项目信息公开", ["发改局"], ["有关部门"]),  # 由发改局牵头,有关部门…
    ("一.(五).2", "公开医疗卫生领域信息", ["卫生局", "人计局"], []),
    ("一.(十).1", "继续做好其他重点领域信息公开",
     ["发改局", "安监局", "人社局", "审计局", "科技局", "物价局"], []),
    ("三.1", "规范依申请公开政府信息办理流程", ["各部门"], []),  # a lone paragraph with its own title
])
def test_county_records(county, number, title, lead, support) -> None:
    record = by_number(county)[number]
    assert (record.title, record.lead, record.support) == (title, lead, support)


def test_county_requirement_keeps_the_schedule_words(county) -> None:
    record = by_number(county)["一.(一).2"]
    assert record.requirement.startswith("各部门要在9月底前在县政府信息网上依法集中公开")
    assert record.deadline == ""
    assert "每季度" in by_number(county)["一.(五).1"].requirement


# --- seed 004: 辽宁, traditional characters, the whole notice twice, an ad -------------------


@pytest.fixture(scope="module")
def liaoning() -> list[Record]:
    return records_from_prose(seed("004"))


def test_liaoning_duties_once_each(liaoning) -> None:
    assert len(liaoning) == 43
    assert max(map(line_of, liaoning)) <= 172  # the copy from line 176 on is skipped
    assert not [r for r in liaoning if r.number.startswith("一")]  # 總體要求


def test_liaoning_records_in_the_notices_characters(liaoning) -> None:
    records = by_number(liaoning)
    first = records["二.(一).1"]
    assert first.title == "實行重大決策預公開制度"
    assert first.lead == ["省政府辦公廳", "省政府法制辦", "各市政府"]
    assert first.support == ["省政府各部門"]
    assert first.source == ["第42行"]
    assert "牽頭單位" not in first.requirement and first.requirement.endswith("列席政府有關會議制度。")
    assert records["二.(三).3"].title == ("具有市場監管職責的部門和單位,要通過全省企業信用信息平臺統一匯集和"
                                         "公示涉企行政許可、行政處罰、執法檢查等監管信息,并通過政府網站、新聞媒體向社會公開")
    assert records["五.(二).2"].title == "取消縣級政府部門、鄉鎮政府、街道辦事處網站,將其功能整合到縣級政府門戶網站"
    assert records["二.(四).1"].title == (  # a first sentence of 149 characters, whole
        "各行業主管部門要制定具體實施辦法,推進財政預決算、公共資源配置、重大建設項目批準和實施、政府購買公共服務、"
        "政府和社會資本合作(PPP)提供公共服務、社會公益事業建設、行政事業性收費、環境保護、扶貧開發、社會救助、"
        "減稅降費、創業就業等領域的政府信息公開,明確公開范圍、內容、時限、載體、展現形式等要件")
    policy = records["四.(二)"]  # 強化政策解讀: one paragraph, one duty
    assert (policy.title, policy.lead, policy.support) == ("強化政策解讀", ["省政府辦公廳", "各市政府"],
                                                           ["省政府各部門"])
    assert records["六.(四).1"].lead == ["省人力資源社會保障廳"]
    assert records["六.(五).3"].lead == ["省教育廳"]
    assert records["二.(四).1"].lead[-1] == "省扶貧辦"  # "…、省扶貧辦等"


def test_liaoning_safeguard_section_keeps_only_clauses(liaoning) -> None:
    safeguards = [r for r in liaoning if r.number.startswith("六")]
    assert len(safeguards) == 11
    assert all(r.lead for r in safeguards)  # 各地區、各部門要根據本方案要求… (no clause) is not one


# --- seed 000's first part: 营口, the clause ends the paragraph without brackets -------------


def test_yingkou_prose_part() -> None:
    records = by_number(records_from_prose(seed("000")))
    assert len(records) == 33
    assert max(map(line_of, records.values())) <= 48  # the 附件 table is not prose
    audit = records["一.(二)-2"]
    assert audit.title == "进一步推进审计结果及整改情况的公开,及时发布可公开的审计公告、报告等,并做好相关解读"
    assert audit.lead == ["市审计局"]
    assert audit.requirement.endswith("并做好相关解读。")
    assert records["一.(九)"].lead == ["市环保局", "市卫计委", "市公用事业局"]
    assert records["一.(一)"].lead == ["市政府办公室", "各县(市)区政府", "市政府各部门"]
    assert records["二.(十)-3"].lead == ["市食品药品监管局"]


# --- the rules, on small notices ------------------------------------------------------------


def test_paragraph_without_clause_takes_the_clause_that_follows() -> None:
    records = records_from_prose(notice(
        "一、重点工作",
        "（一）推进公开",
        "实行重大决策预公开制度。在决策前公开草案。",
        "实行合法性审查制度。审查合格后加盖专用章。（牵头单位：市法制办；配合单位：市政府各部门）",
    ))
    first, second = records
    assert (first.number, first.title) == ("一.(一).1", "实行重大决策预公开制度")
    assert (first.lead, first.support) == (["市法制办"], ["市政府各部门"])
    assert first.notes == [("牵头单位取自其后的落实要求（第4行） / lead taken from the clause "
                            "that follows (第4行)")]
    assert second.number == "一.(一).2" and second.notes == []


def test_a_line_that_is_only_a_clause_closes_the_paragraph_before_it() -> None:
    records = records_from_prose(notice(
        "一、工作任务",
        "1.推进公开。做好公开。",
        "(市审计局牵头落实)",
        "2.推进解读。做好解读。",
        "(市审计局牵头落实)",
        "3.各部门要公开清单。",
        "3.各部门要公开清单。",
        "4.推进预算公开。做好预算公开。",
        "（牵头单位：市财政局；配合单位：市审计局）",
    ))
    assert [(r.number, r.lead, r.support, r.notes) for r in records] == [
        ("一.1", ["市审计局"], [], []), ("一.2", ["市审计局"], [], []),
        ("一.3", ["各部门"], [], [SUBJECT_LEAD]), ("一.4", ["市财政局"], ["市审计局"], [])]
    assert records[3].requirement == "做好预算公开。"


def test_numbered_item_without_anyone_named_is_kept_for_review() -> None:
    [record] = records_from_prose(notice("一、工作任务", "1.推进决策公开。探索推行重大决策预公开。"))
    assert (record.number, record.title, record.lead) == ("一.1", "推进决策公开", [])
    assert record.requirement == "探索推行重大决策预公开。"
    assert record.notes == [NO_LEAD]


def test_a_heading_with_one_untitled_paragraph_is_that_paragraphs_duty() -> None:
    records = records_from_prose(notice(
        "一、工作任务",
        "（一）推进公开",
        "市财政局要在政府网站公开本级预算、决算和部门预算、决算,细化到功能分类项级科目。",
        "（二）推进解读",
        "做好政策解读。市政府办公室要在文件公开后3个工作日内发布解读材料。",
        "（三）推进回应",
        "市政府办公室要做好回应；各部门要配合。",
        "各部门要在政府网站发布回应材料。",
    ))
    assert [(r.number, r.title, r.lead) for r in records] == [
        ("一.(一)", "推进公开", ["市财政局"]),  # one paragraph, no short title of its own
        ("一.(二).1", "做好政策解读", ["市政府办公室"]),  # one paragraph with its own title keeps it
        ("一.(三).1", "市政府办公室要做好回应", ["市政府办公室", "各部门"]),  # first sentence, to ；
        ("一.(三).2", "各部门要在政府网站发布回应材料", ["各部门"])]
    assert records[0].requirement == "市财政局要在政府网站公开本级预算、决算和部门预算、决算,细化到功能分类项级科目。"
    assert records[1].requirement == "市政府办公室要在文件公开后3个工作日内发布解读材料。"


def test_a_short_head_before_a_colon_is_the_title() -> None:
    records = records_from_prose(notice(
        "一、实施步骤",
        "准备阶段(2016年6月底前)：各县区要制定实施方案。",
        "实施阶段(2016年7月至12月)：各部门要落实各项任务。",
        "关于做好二〇一六年度政务公开工作的补充说明：做好公开。（市财政局牵头落实）",  # 21 before ：
    ))
    assert [(r.number, r.title, r.lead, r.requirement) for r in records] == [
        ("一.1", "准备阶段(2016年6月底前)", ["各县区"], "各县区要制定实施方案。"),
        ("一.2", "实施阶段(2016年7月至12月)", ["各部门"], "各部门要落实各项任务。"),
        ("一.3", "关于做好二〇一六年度政务公开工作的补充说明：做好公开", ["市财政局"],
         "关于做好二〇一六年度政务公开工作的补充说明：做好公开。")]


def test_a_lone_paragraph_titled_before_a_colon_keeps_its_title() -> None:
    [record] = records_from_prose(notice("一、实施步骤", "准备阶段(2016年6月底前)：各县区要制定实施方案。"))
    assert (record.number, record.title, record.lead) == ("一.1", "准备阶段(2016年6月底前)", ["各县区"])
    assert record.requirement == "各县区要制定实施方案。"  # the deadline is in the title, which stays


def test_unnumbered_paragraph_naming_nobody_is_not_a_duty() -> None:
    assert records_from_prose(notice("一、工作任务", "要高度重视,认真组织实施。")) == []


def test_numbering_styles_nest_as_the_notice_nests_them() -> None:
    records = records_from_prose(notice(
        "1.主要任务",
        "（1）信息公开",
        "各部门要在9月底前公开权力清单。",
        "①市财政局每季度要公开预算执行情况。",
        "2.其他任务",
        "(1)市审计局要公开审计结果。(市审计局负责落实)",
    ))
    assert [(r.number, r.lead) for r in records] == [
        ("1.(1).1", ["各部门"]), ("1.(1).①", ["市财政局"]), ("2.(1)", ["市审计局"])]
    assert records[1].title == "市财政局每季度要公开预算执行情况"


def test_noise_closing_and_preamble_are_skipped() -> None:
    records = records_from_prose(notice(
        "各县区人民政府:",
        "现将有关事项通知如下。(各县区负责落实)",
        "{蜜色影院}-精品国产",
        "一、工作任务",
        "信息来源:市政府网站 发布时间:2016-05-18 浏览次数: 【打印内容】 【关闭窗口】",
        "市审计局要公开审计结果。",
        "下面是小编为大家整理的工作方案,供大家参考。",
        "附件:任务分解表",
        "一、市政府各部门负责落实的任务",
        "市财政局要公开预算。",
    ))
    assert [(r.number, r.title, r.lead, r.source) for r in records] == [
        ("一.1", "市审计局要公开审计结果", ["市审计局"], ["第6行"])]


def test_repeated_copy_of_the_notice_is_read_once() -> None:
    body = ["一、工作任务", "1.推进公开。做好公开。(市审计局牵头落实)"]
    records = records_from_prose(notice(*body, "二、其他", *body))
    assert [r.number for r in records] == ["一.1"]


def test_safeguard_section_gives_duties_only_where_a_clause_names_departments() -> None:
    records = records_from_prose(notice(
        "三、保障措施",
        "（一）加强组织领导",
        "各部门要高度重视政务公开工作。",
        "加强经费保障,提升专业化水平。(牵头单位:市财政局)",
    ))
    assert [(r.number, r.lead) for r in records] == [("三.(一).2", ["市财政局"])]


def test_sections_without_duties_are_skipped_even_with_subjects() -> None:
    records = records_from_prose(notice("一、指导思想", "各部门要深入贯彻落实。(各部门负责落实)",
                                        "二、工作任务", "各部门要公开清单。"))
    assert [r.number for r in records] == ["二.1"]


def test_tables_are_left_to_the_table_reader() -> None:
    doc = notice("一、工作任务", "1.推进公开。做好公开。(市审计局牵头落实)")
    doc.blocks.insert(1, Table((("序号", "任务", "牵头单位"), ("1", "做好公开", "市财政局")),
                               ("表1 第1行", "表1 第2行")))
    assert [r.lead for r in records_from_prose(doc)] == [["市审计局"]]


def test_seed_files_are_there() -> None:
    assert all(Path(p).exists() for p in SEEDS.glob("00[0124]_*.txt"))


def test_full_width_numbering_reads_like_ascii() -> None:
    records = records_from_prose(notice(
        "一、主要任务",
        "（一）推进决策公开",
        "１．推进决策公开。探索推行重大决策预公开。（市政府办公室牵头，市法制办配合）",
        "２．市政府各部门要在９月底前公开权力清单。",
    ))
    assert [(r.number, r.title, r.lead, r.support) for r in records] == [
        ("一.(一).1", "推进决策公开", ["市政府办公室"], ["市法制办"]),
        ("一.(一).2", "市政府各部门要在９月底前公开权力清单", ["市政府各部门"], [])]
    assert records[1].requirement == "市政府各部门要在９月底前公开权力清单。"
