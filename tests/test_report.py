"""The monthly assessment report: numbers per department from a constructed month, the same
numbers in the workbook from `duban report --xlsx` and from /reports/YYYY-MM.xlsx."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from db.models import Occurrence
from scheduler.reports.monthly import Month, month_report
from tests.web_world import app_for, coordinator_token, load_demo, occurrence

AFTER = datetime(2016, 10, 10, 2, 0, tzinfo=UTC)


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


def check_workbook(data: bytes) -> None:
    wb = load_workbook(BytesIO(data))
    summary, detail = wb.worksheets
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["市环保局"][1:7] == (3, 1, 1, 0, 0, 1)
    assert rows["市环保局"][7] == pytest.approx(1 / 3, abs=1e-4)
    assert rows["市环保局"][8] == "https://epb.example.gov.cn/d9"
    assert rows["市教育局"][1:7] == (1, 0, 0, 1, 0, 0)
    lines = list(detail.iter_rows(min_row=2, values_only=True))
    assert len(lines) == 4
    linked = next(x for x in lines if x[10])
    assert linked[0] == "市环保局" and linked[7].startswith("按时完成") and linked[8] == datetime(2016, 9, 28, 23, 0)
    assert detail.cell(row=lines.index(linked) + 2, column=11).hyperlink.target == linked[10]


def test_duban_report_writes_the_workbook(september, cli, tmp_path):
    target = tmp_path / "2016-09.xlsx"
    result = cli("report", "--month", "2016-09", "--xlsx", str(target))
    assert result.exit_code == 0, result.output
    assert "市环保局" in result.stdout and "wrote" in result.stdout
    check_workbook(target.read_bytes())


def test_duban_report_refuses_a_bad_month(cli):
    result = cli("report", "--month", "2016-13")
    assert result.exit_code != 0 and "YYYY-MM" in result.stderr


def test_the_workbook_downloads_for_a_coordinator_only(september):
    token = coordinator_token(september)
    client = TestClient(app_for(september, AFTER))
    page = client.get("/reports/2016-09.xlsx", headers={"authorization": f"Bearer {token}"})
    assert page.status_code == 200 and "duban-2016-09.xlsx" in page.headers["content-disposition"]
    check_workbook(page.content)
    assert client.get("/reports/2016-09.xlsx").status_code == 401
    assert client.get("/reports/2016-09.xlsx", headers={"authorization": "Bearer wrong"}).status_code == 401
    bad = client.get("/reports/2016-9x.xlsx", headers={"authorization": f"Bearer {token}"})
    assert bad.status_code == 404 and "YYYY-MM" in bad.json()["detail"]


def test_text_that_looks_like_a_formula_stays_text(september):
    with Session(september) as session:
        occ = session.get(Occurrence, occurrence(september, "1-1", "edu", date(2016, 9, 28)).id)
        occ.note = "=HYPERLINK(\"http://evil\")"
        session.add(occ)
        session.commit()
        from scheduler.reports.xlsx import xlsx_bytes

        data = xlsx_bytes(month_report(session, Month(2016, 9), AFTER))
    detail = load_workbook(BytesIO(data)).worksheets[1]
    cell = next(c for row in detail.iter_rows(min_row=2) for c in row if c.value == occ.note)
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
