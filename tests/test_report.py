"""The monthly assessment report: numbers per department from a constructed month, ranked by
on-time rate; the workbook an office hands on (title row, Chinese headers, ranking, number
formats, print setup, frozen header, a chart sheet) from `duban report --xlsx` and from
/reports/YYYY-MM.xlsx; the same report as a printable page on the board."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.chart import BarChart
from sqlmodel import Session

from db.models import Occurrence
from scheduler.reports.bulletin import plan_subject, title
from scheduler.reports.monthly import DepartmentRow, Month, month_report, rank_departments
from tests.web_world import app_for, coordinator_token, load_demo, occurrence

AFTER = datetime(2016, 10, 10, 2, 0, tzinfo=UTC)
TITLE = "2016年9月演示工作任务完成情况通报"  # the demo plan is 演示计划
SUMMARY_HEADERS = ["部门", "应办", "按时完成", "逾期完成", "免办", "未到期", "逾期未完成", "按时完成率", "排名", "公开链接"]
DETAIL_HEADERS = ["部门", "计划", "编号", "事项", "类型", "期次", "期限", "状态", "完成时间", "完成人", "公开链接", "备注"]
LATIN = re.compile(r"[A-Za-z]")
SECOND_PLAN = """\
version: 1
plan:
  id: yingkou-2016
  title: 落实《2016年政务公开工作要点》主要任务明细表
  issued: 2016-07-28
  year: 2016
  coordinator: office
departments:
  - {id: office, name: 市政府办公室}
  - {id: edu, name: 市教育局}
duties:
  - id: "1-5"
    title: 政府信息公开年度报告
    lead: [edu]
    schedule: {due: 2016-09-20}
"""


def mark(engine, occ_id: int, status: str, done_at: datetime | None = None, evidence: str | None = None) -> None:
    with Session(engine) as session:
        occ = session.get(Occurrence, occ_id)
        occ.status, occ.done_at, occ.evidence_url = status, done_at, evidence
        session.add(occ)
        session.commit()


@pytest.fixture
def september(engine, tmp_path):
    """市环保局 (epb): three duties due in September 2016 — one done on time with a link, one done
    at 01:00 Beijing time the day after its deadline (late), one never done; 市教育局 (edu): one,
    waived. August's occurrence is done too but belongs to another month."""
    load_demo(engine, tmp_path)
    decisions = occurrence(engine, "1-1", "epb", date(2016, 9, 28))
    water_due = occurrence(engine, "2-17", "epb", date(2016, 9, 30))
    mark(engine, decisions.id, "done", datetime(2016, 9, 28, 15, 0, tzinfo=UTC), "https://epb.example.gov.cn/d9")
    mark(engine, water_due.id, "done", datetime(2016, 9, 30, 17, 0, tzinfo=UTC))
    mark(engine, occurrence(engine, "1-1", "edu", date(2016, 9, 28)).id, "waived", AFTER)
    mark(engine, occurrence(engine, "1-1", "epb", date(2016, 8, 28)).id, "done", AFTER)
    return engine


@pytest.fixture
def ranked(september):
    """As `september`, but 市教育局's duty was never done: 0 % on time, below 市环保局's 1/3,
    though its name sorts first."""
    mark(september, occurrence(september, "1-1", "edu", date(2016, 9, 28)).id, "open")
    return september


def test_the_month_is_tallied_per_department(september):
    with Session(september) as session:
        report = month_report(session, Month(2016, 9), AFTER)
    epb, edu = (next(d for d in report.departments if d.department == name) for name in ("市环保局", "市教育局"))
    assert (epb.due, epb.counts) == (3, {"on_time": 1, "late": 1, "waived": 0, "open": 0, "overdue": 1})
    assert epb.on_time_rate == pytest.approx(1 / 3) and epb.evidence == ["https://epb.example.gov.cn/d9"]
    assert (edu.due, edu.counts["waived"], edu.on_time_rate) == (1, 1, None)
    assert len(report.lines) == 4 and all(x.due.month == 9 for x in report.lines)


def test_before_the_deadline_an_undone_duty_is_open_not_overdue(september):
    with Session(september) as session:
        report = month_report(session, Month(2016, 9), datetime(2016, 9, 29, 2, 0, tzinfo=UTC))
    epb = next(d for d in report.departments if d.department == "市环保局")
    assert (epb.counts["open"], epb.counts["overdue"]) == (1, 0)


def row(name: str, on_time: int = 0, late: int = 0, waived: int = 0, overdue: int = 0) -> DepartmentRow:
    return DepartmentRow(name, {"on_time": on_time, "late": late, "waived": waived, "open": 0, "overdue": overdue})


def test_departments_rank_by_on_time_rate_then_by_work_done_on_time_then_by_fewer_overdue():
    given = [row("甲", on_time=1, overdue=1), row("乙", on_time=4), row("丙", on_time=2, late=2),
             row("丁", on_time=2, overdue=2), row("戊", on_time=1), row("己", waived=3), row("庚", on_time=2, late=2)]
    ranked = rank_departments(given)
    assert [(d.department, d.rank) for d in ranked] == [
        ("乙", 1), ("戊", 2),  # 100 %: four done on time before one
        ("丙", 3), ("庚", 3),  # 50 %, two on time, none overdue: equal in all three, one rank, by name
        ("丁", 5), ("甲", 6),  # 50 %: two on time before one
        ("己", None)]  # all waived: no rate, not ranked, last


def test_a_report_is_titled_by_its_month_and_what_its_plan_is_about():
    assert plan_subject("落实《2016年政务公开工作要点》主要任务明细表") == "政务公开"
    assert plan_subject("政务公开年度工作安排(示例)") == "政务公开"
    assert plan_subject("关于做好2016年政务公开工作的通知") == "政务公开"
    assert plan_subject("演示计划") == "演示"


def test_one_plan_titles_the_report_and_several_give_the_month_alone(september, tmp_path):
    load_demo(september, tmp_path, SECOND_PLAN)
    with Session(september) as session:
        yingkou = month_report(session, Month(2016, 9), AFTER, "yingkou-2016")
        both = month_report(session, Month(2016, 9), AFTER)
    assert title(yingkou, "zh") == "2016年9月政务公开工作任务完成情况通报"
    assert title(yingkou, "en") == "Completion of duties in September 2016: 落实《2016年政务公开工作要点》主要任务明细表"
    assert [x.duty for x in yingkou.lines] == ["政府信息公开年度报告"]
    assert title(both, "zh") == "2016年9月工作任务完成情况通报" and len(both.lines) == 5


def check_print_setup(ws) -> None:
    """A4 landscape, one page wide, the header row on every page, frozen under it."""
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$2:$2" and ws.freeze_panes == "A3"
    assert ws.page_margins.left == 0.5 and ws.page_margins.top == 0.75
    assert ws.oddFooter.left.text.startswith("统计截至") and "按时完成率 = 按时完成 ÷（应办 − 免办）" in ws.oddFooter.left.text
    assert ws.oddFooter.right.text == "第 &P 页，共 &N 页"


def check_summary(ws, title_text: str = TITLE) -> list[tuple]:
    """The summary sheet: title over the table, Chinese headers, numbers with their formats; its rows."""
    assert ws["A1"].value == title_text and ws["A1"].font.b and ws["A1"].font.sz >= 14
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:J1"]
    assert [c.value for c in ws[2]] == SUMMARY_HEADERS
    assert not any(LATIN.search(h) for h in SUMMARY_HEADERS)
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    for cells in ws.iter_rows(min_row=3):
        assert [c.number_format for c in cells[1:9]] == ["0"] * 6 + ["0.0%", "0"]
    assert ws.column_dimensions["A"].width >= 2 * len("市环保局") + 2  # Chinese characters print two wide
    check_print_setup(ws)
    return rows


def check_workbook(data: bytes) -> None:
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["汇总", "明细", "图表"]
    summary, detail = wb.worksheets
    rows = {r[0]: r for r in check_summary(summary)}
    assert rows["市环保局"][1:9] == (3, 1, 1, 0, 0, 1, pytest.approx(1 / 3), 1)
    assert rows["市环保局"][9] == "https://epb.example.gov.cn/d9"
    assert rows["市教育局"][1:9] == (1, 0, 0, 1, 0, 0, None, None)  # all waived: no rate, no rank
    assert list(rows) == ["市环保局", "市教育局"]
    assert detail["A1"].value == f"{TITLE}（明细）" and [c.value for c in detail[2]] == DETAIL_HEADERS
    lines = list(detail.iter_rows(min_row=3, values_only=True))
    assert len(lines) == 4
    assert {(x[4], x[5], x[7]) for x in lines} >= {("定期", "2016年9月", "按时完成"), ("完成期限", None, "逾期完成"),
                                                   ("定期", "2016年第3季度", "逾期未完成"), ("定期", "2016年9月", "免办")}
    linked = next(x for x in lines if x[10])
    assert linked[0] == "市环保局" and linked[7] == "按时完成" and linked[8] == datetime(2016, 9, 28, 23, 0)
    at = lines.index(linked) + 3
    assert detail.cell(at, 11).hyperlink.target == linked[10]
    assert (detail.cell(at, 7).number_format, detail.cell(at, 9).number_format) == ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")
    check_print_setup(detail)
    check_chart(wb, departments=2)


def check_chart(wb, departments: int) -> None:
    """A chart sheet of its own: bars of the summary's on-time rate (column H), one per department."""
    [sheet] = wb.chartsheets
    [chart] = sheet._charts
    assert isinstance(chart, BarChart) and chart.type == "bar"
    series = chart.series[0]
    assert series.val.numRef.f == f"'汇总'!$H$3:$H${2 + departments}"
    assert series.cat.strRef.f == f"'汇总'!$A$3:$A${2 + departments}"
    assert sheet.pageSetup.orientation == "landscape" and sheet.pageSetup.paperSize == 9


def test_duban_report_writes_the_workbook(september, cli, tmp_path):
    target = tmp_path / "2016-09.xlsx"
    result = cli("report", "--month", "2016-09", "--xlsx", str(target))
    assert result.exit_code == 0, result.output
    assert "市环保局" in result.stdout and "wrote" in result.stdout and "33.3%" in result.stdout
    check_workbook(target.read_bytes())


def test_the_workbook_ranks_departments_by_on_time_rate_not_by_name(ranked, cli, tmp_path):
    target = tmp_path / "2016-09.xlsx"
    assert cli("report", "--month", "2016-09", "--xlsx", str(target)).exit_code == 0
    wb = load_workbook(target)
    rows = check_summary(wb.worksheets[0])
    assert [(r[0], r[7], r[8]) for r in rows] == [("市环保局", pytest.approx(1 / 3), 1), ("市教育局", 0, 2)]
    check_chart(wb, departments=2)
    assert [d["department"] for d in cli.json("report", "--month", "2016-09")] == ["市环保局", "市教育局"]


def test_an_english_workbook_says_everything_in_english(ranked, cli, tmp_path):
    target = tmp_path / "2016-09-en.xlsx"
    assert cli("report", "--month", "2016-09", "--xlsx", str(target), "--lang", "en").exit_code == 0
    wb = load_workbook(target)
    summary, detail = wb.worksheets
    assert wb.sheetnames == ["Summary", "Details", "Chart"]
    assert summary["A1"].value == "Completion of duties in September 2016: 演示计划"
    assert [c.value for c in summary[2]] == ["Department", "Duties due", "Done on time", "Done late", "Waived",
                                             "Not yet due", "Overdue, not done", "On-time completion rate", "Rank",
                                             "Evidence links"]
    words = [c.value for c in detail[2]] + [v for r in detail.iter_rows(min_row=3, values_only=True) for v in r[4:8]]
    assert not any(re.search(r"[\u3400-\u9fff]", str(w)) for w in words if not isinstance(w, datetime))


def test_duban_report_refuses_a_bad_month_and_an_unknown_plan(september, cli):
    result = cli("report", "--month", "2016-13")
    assert result.exit_code != 0 and "YYYY-MM" in result.stderr
    result = cli("report", "--month", "2016-09", "--plan", "nope")
    assert result.exit_code != 0 and "nope" in result.stderr and "demo" in result.stderr


def test_the_workbook_downloads_for_a_coordinator_only(september):
    token = coordinator_token(september)
    client = TestClient(app_for(september, AFTER))
    page = client.get("/reports/2016-09.xlsx", headers={"authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "duban-2016-09.xlsx" in page.headers["content-disposition"]
    check_workbook(page.content)
    english = client.get("/reports/2016-09.xlsx?lang=en", headers={"authorization": f"Bearer {token}"})
    assert load_workbook(BytesIO(english.content)).worksheets[0]["A2"].value == "Department"
    assert client.get("/reports/2016-09.xlsx").status_code == 401
    assert client.get("/reports/2016-09.xlsx", headers={"authorization": "Bearer wrong"}).status_code == 401
    bad = client.get("/reports/2016-9x.xlsx", headers={"authorization": f"Bearer {token}"})
    assert bad.status_code == 404 and "YYYY-MM" in bad.json()["detail"]
    unknown = client.get("/reports/2016-09.xlsx?plan=nope", headers={"authorization": f"Bearer {token}"})
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]


def test_text_that_looks_like_a_formula_stays_text(september):
    with Session(september) as session:
        occ = session.get(Occurrence, occurrence(september, "1-1", "edu", date(2016, 9, 28)).id)
        occ.note = "=HYPERLINK(\"http://evil\")"
        session.add(occ)
        session.commit()
        from scheduler.reports.xlsx import xlsx_bytes

        data = xlsx_bytes(month_report(session, Month(2016, 9), AFTER))
    detail = load_workbook(BytesIO(data)).worksheets[1]
    cell = next(c for row in detail.iter_rows(min_row=3) for c in row if c.value == occ.note)
    assert cell.data_type == "s"


def test_a_logged_in_coordinator_downloads_it_from_the_board_and_a_browser_is_sent_to_log_in(september):
    from scheduler.access.users import add_user
    from tests.board_world import PASSWORD, USER, client, log_in

    stranger = client(september, AFTER)
    r = stranger.get("/reports/2016-09.xlsx", headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/reports/2016-09.xlsx"
    with Session(september) as session:
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    c = client(september, AFTER)
    assert log_in(c).status_code == 303
    page = c.get("/reports/2016-09.xlsx")
    assert page.status_code == 200
    check_workbook(page.content)


def test_a_browser_asking_for_a_month_that_is_not_one_gets_a_page_in_its_language(september):
    """A person sees one language (the login page, or the bad month said in theirs); a script gets zh + en JSON."""
    from scheduler.access.users import add_user
    from tests.board_world import PASSWORD, USER, client, log_in
    from tests.test_i18n import CJK, english_words, visible

    anonymous = client(september, AFTER).get("/reports/2016-13.xlsx", follow_redirects=True,
                                              headers={"accept": "text/html", "accept-language": "en"})
    assert "Coordinator login" in anonymous.text and not CJK.search(visible(anonymous.text))
    with Session(september) as session:
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    c = client(september, AFTER)
    assert log_in(c).status_code == 303
    zh = c.get("/reports/2016-13.xlsx?lang=zh", headers={"accept": "text/html"})
    en = c.get("/reports/2016-13.xlsx?lang=en", headers={"accept": "text/html"})
    assert zh.status_code == en.status_code == 404
    assert "月份格式错误" in zh.text and english_words(visible(zh.text, "2016-13", "YYYY-MM")) == set()
    assert "Bad month" in en.text and not CJK.search(visible(en.text))
    script = client(september, AFTER).get("/reports/2016-13.xlsx", headers={"authorization": "Bearer wrong"})
    assert script.status_code == 401 and "API token" in script.json()["detail"] and CJK.search(script.json()["detail"])


def coordinator_client(engine, **settings):
    """A browser logged in to the board as a coordinator, on an app with these extra settings."""
    from scheduler.access.users import add_user
    from tests.board_world import PASSWORD, USER, client, log_in

    with Session(engine) as session:
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    c = client(engine, AFTER, **settings)
    assert log_in(c).status_code == 303
    return c


def cells(html: str, section: str) -> list[list[str]]:
    """The body rows of a section's table, as the texts of their cells."""
    part = html.split(f'id="{section}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.DOTALL)]
            for tr in re.findall(r"<tr>(.*?)</tr>", part, re.DOTALL)]


def test_the_report_page_shows_the_title_the_ranking_and_every_duty_for_a_coordinator(ranked):
    from tests.test_i18n import english_words, visible

    c = coordinator_client(ranked)
    page = c.get("/reports/2016-09")
    assert page.status_code == 200
    assert f"<h1>{TITLE}</h1>" in page.text and "统计截至2016年10月10日 10:00" in page.text
    assert re.findall(r'<th scope="col">(.*?)</th>', page.text) == SUMMARY_HEADERS + DETAIL_HEADERS
    assert [r[0:9] for r in cells(page.text, "summary")] == [
        ["市环保局", "3", "1", "1", "0", "0", "1", "33.3%", "1"], ["市教育局", "1", "0", "0", "0", "0", "1", "0.0%", "2"]]
    details = cells(page.text, "details")
    assert len(details) == 4 and ["市环保局", "演示计划", "1-1", "重大行政决策预公开", "定期", "2016年9月",
                                  "2016年9月28日", "按时完成", "2016年9月28日 23:00", "",
                                  "https://epb.example.gov.cn/d9", ""] in details
    assert 'href="/reports/2016-09.xlsx"' in page.text and '<a href="/reports/2016-08">« 2016年8月</a>' in page.text
    data = ("演示计划", "重大行政决策预公开", "饮用水水质信息公开", "epb.example.gov.cn", "demo")
    assert english_words(visible(page.text, *data)) == set()


def test_the_report_page_prints_a4_landscape_with_its_header_on_every_page_and_no_navigation(ranked):
    c = coordinator_client(ranked)
    html = c.get("/reports/2016-09").text
    style = re.sub(r"\s+", " ", html.split("<style>")[-1].split("</style>")[0])
    assert "@page { size: A4 landscape;" in style
    printed = style.split("@media print {", 1)[1]
    assert "header, .no-print { display: none !important; }" in printed
    assert "thead { display: table-header-group; }" in printed
    assert '<nav class="tools no-print"' in html and "<thead><tr>" in html


def test_the_report_page_for_one_plan_and_in_english(september, tmp_path):
    from tests.test_i18n import CJK, visible

    load_demo(september, tmp_path, SECOND_PLAN)
    c = coordinator_client(september)
    one = c.get("/reports/2016-09?plan=yingkou-2016")
    assert "<h1>2016年9月政务公开工作任务完成情况通报</h1>" in one.text
    assert 'href="/reports/2016-09.xlsx?plan=yingkou-2016"' in one.text
    assert [r[0] for r in cells(one.text, "summary")] == ["市教育局"]
    english = c.get("/reports/2016-09?lang=en")
    assert "<h1>Completion of duties in September 2016</h1>" in english.text
    data = [cell for r in cells(english.text, "details") for cell in r[:4]]
    assert not CJK.search(visible(english.text, "督办科", "中文", "市环保局", "市教育局", *data))  # the language switch says 中文
    bad = c.get("/reports/2016-09?plan=nope", headers={"accept": "text/html"})
    assert bad.status_code == 404 and "nope" in bad.text


def test_the_report_page_is_refused_without_login(september):
    from tests.board_world import client

    r = client(september, AFTER).get("/reports/2016-09", headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/reports/2016-09"
    assert "市环保局" not in r.text


def test_the_report_reads_its_times_in_the_deployment_time_zone(ranked):
    """DUBAN_TIMEZONE=UTC: the time the numbers were taken and a duty's done time are UTC's wall
    clock; whether it was on time is still the plan's reckoning (Beijing's 28 September)."""
    c = coordinator_client(ranked, timezone="UTC")
    page = c.get("/reports/2016-09").text
    assert "统计截至2016年10月10日 02:00" in page
    assert ["市环保局", "演示计划", "1-1", "重大行政决策预公开", "定期", "2016年9月", "2016年9月28日", "按时完成",
            "2016年9月28日 15:00", "", "https://epb.example.gov.cn/d9", ""] in cells(page, "details")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_report_page_prints_on_a4_landscape_in_chromium(ranked, web_server):
    """Printed from Chromium: A4 landscape pages (842 x 595 points), the board's navigation and
    the page's tools hidden, each table's header row repeated on every page."""
    from playwright.sync_api import sync_playwright

    from scheduler.access.users import add_user
    from tests.board_world import PASSWORD, USER
    from tests.test_web_board_browser import ARTIFACTS, CHROMIUM
    from tests.web_world import settings

    with Session(ranked) as session:
        add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    base = web_server(ranked, settings(), lambda: AFTER)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(locale="zh-CN")
        page.goto(base + "/reports/2016-09")
        page.get_by_label("用户名").fill(USER)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base + "/reports/2016-09")
        assert page.locator("h1").inner_text() == TITLE and page.locator("#download").is_visible()
        page.emulate_media(media="print")
        assert not page.locator("header").is_visible() and not page.locator("#download").is_visible()
        assert page.eval_on_selector_all("thead", "xs => xs.map(x => getComputedStyle(x).display)") == [
            "table-header-group"] * 2
        page.screenshot(path=str(ARTIFACTS / "report-print.png"), full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (ARTIFACTS / "report.pdf").write_bytes(pdf)
        browser.close()
    sizes = {tuple(round(float(x)) for x in m) for m in re.findall(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert sizes == {(842, 595)}
