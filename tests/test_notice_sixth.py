"""A sixth set of notices the importer was not tuned on (tests/data/notices/sixth), read by hand and scored: a
city's 任务分工表 copied out of a spreadsheet as plain text with TABS between the cells (序号\t工作任务\t牵头单位\t
配合单位\t完成时限, an empty cell as two tabs); a county's prose 工作要点 whose items （一）… end with a bracket
（责任单位：…，完成时限：…） or are followed by a line of their own 牵头单位：…。, with 每年4月底前 / 每半年一次 /
自收到申请之日起N个工作日内; and a city's .html page whose table puts the lead BEFORE the task (序号|责任单位|工作任务|
完成时限), each lead cell merged down (rowspan) over its group. Each is imported, checked by `plan check` and scored
duty by duty, field by field (bench.notice_accuracy); the target is every field right for 95% of the duties."""

from __future__ import annotations

import re
from pathlib import Path

from tests import notice_files
from tests.notice_files import Merge, TableSpec
from tests.notice_sets import NOTICES, NoticeSet, ReadsItsNotices

SIXTH = NOTICES / "sixth"

# (notice, file kind): a .json is a model the test writes as that kind of file.
CASES = [
    ("a_xiangyang_2023", "txt"),  # city 任务分工表 as tab-separated lines, empty 配合单位 cells, two dates in a cell
    ("b_pingjiang_2023", "txt"),  # county prose 工作要点: （责任单位：…） brackets and 牵头单位：… lines
    ("c_suqian_2024", "html"),  # city page: 序号|责任单位|工作任务|完成时限, lead cells merged down over groups
]


def lead_first_table(data: dict) -> TableSpec:
    """The model's rows with each group's lead cell (column 1) merged down over the group's rows."""
    return TableSpec(data["rows"], [Merge(top, 1, bottom, 1) for top, bottom in data["lead_spans"] if bottom > top])


def write_city_html(data: dict, path: Path) -> Path:
    return notice_files.write_html_blocks(path, [*data["before"], lead_first_table(data), *data["after"]])


NOTICE_SET = NoticeSet(SIXTH, CASES, {"html": write_city_html})
notices, plans = NOTICE_SET.fixtures()


# ---- the notices are what they claim to be ------------------------------------------------------

def test_every_expected_reading_names_its_notice_and_has_10_to_15_duties():
    NOTICE_SET.check_expected_readings(most_duties=15)


def test_the_city_table_is_tab_separated_lines_with_empty_cells():
    lines = (SIXTH / "a_xiangyang_2023.txt").read_text(encoding="utf-8").splitlines()
    header = lines.index("序号\t工作任务\t牵头单位\t配合单位\t完成时限")
    rows = [line.split("\t") for line in lines[header + 1:]]
    assert all(len(row) == 5 for row in rows)
    assert [row[0] for row in rows] == [str(n) for n in range(1, 13)]
    assert [row[0] for row in rows if row[3] == ""] == ["4", "11"]
    assert rows[7][4] == "2023年6月底前、2023年12月底前"


def test_the_county_items_name_their_doers_in_brackets_or_on_a_line_of_their_own():
    lines = (SIXTH / "b_pingjiang_2023.txt").read_text(encoding="utf-8").splitlines()
    items = [n for n, line in enumerate(lines) if re.match(r"（[一二三四五六七八九十]+）", line)]
    assert len(items) == 12
    brackets = [n for n in items if re.search(r"（责任单位：[^）]+）$", lines[n])]
    own_lines = [n for n in items if re.fullmatch(r"牵头单位：[^。]+。", lines[n + 1])]
    assert len(brackets) == 9 and len(own_lines) == 3
    text = "\n".join(lines)
    for phrase in ("完成时限：每年4月底前", "每半年一次", "自收到申请之日起10个工作日内", "自收到申请之日起5个工作日内"):
        assert phrase in text
    assert "2023年3月15日" in lines


def test_the_city_page_puts_the_lead_first_and_merges_it_down(notices):
    from bs4 import BeautifulSoup
    page = BeautifulSoup(notices["c_suqian_2024", "html"].read_bytes(), "lxml")
    rows = page.find("table").find_all("tr")
    assert [td.get_text() for td in rows[0].find_all("td")] == ["序号", "责任单位", "工作任务", "完成时限"]
    spans = [(td.get_text(), td.get("rowspan")) for row in rows[1:] for td in row.find_all("td")[1:2]
             if td.get("rowspan") or len(row.find_all("td")) == 4]
    assert spans == [("市政务办", "3"), ("市发改委", "2"), ("市生态环境局", "2"), ("市司法局", None),
                     ("市财政局、市审计局", "2"), ("各县区人民政府、市各有关部门", "3")]
    assert sum(len(row.find_all("td")) == 3 for row in rows) == 7
    assert "发布时间：2024-04-12" in page.get_text() and "2024年4月8日" in page.get_text()


# ---- the importer reads them -------------------------------------------------------------------


class TestTheImporter(ReadsItsNotices):
    notice_set = NOTICE_SET
