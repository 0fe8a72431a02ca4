"""Importing a notice on the board (/plans/import): upload, see each duty beside its notice lines with
those needing review first, correct one as `plan check` checks it, download the YAML, load the plan as
`plan load` does. In a real browser (Chromium at phone width) and over HTTP: login, CSRF, someone
else's or an expired draft, files too large or unreadable, one language per reader."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, col, func, select

from db.models import Department, Duty, KeyValue, Plan
from notices.document import NoticeError
from notices.importer import import_notice
from scheduler.access.users import add_user
from scheduler.plans.file import read_plan_text
from tests.board_world import PASSWORD, USER, XSS, client, csrf_of, load, log_in, logged_in
from tests.test_i18n import CJK, english_words, visible
from tests.web_world import NOW, settings
from web import plan_drafts
from web.plan_import import FORM_OVERHEAD, MAX_UPLOAD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# A task table as a text export flattens it: the header cells, then each row's cells, one per line.
NOTICE = """营口市人民政府办公室关于印发2016年政务公开工作要点任务分解表的通知
各县（市）区人民政府，市政府各部门：
现将任务分解表印发给你们，请认真贯彻落实。
序号
工作任务
工作要求
完成时限
牵头单位
1
推进饮用水水源水质信息公开
向社会公开饮用水水源水质状况
9月底前完成
市环保局
2
做好重大政策解读
围绕重大政策做好解读回应工作
每季度第二周
市教育局
抄送：市委办公室
营口市人民政府办公室2016年7月28日印发
"""
READABLE, UNREADABLE = "推进饮用水水源水质信息公开", "做好重大政策解读"
NAME = "2016年政务公开任务分解表.txt"
OTHER, OTHER_PASSWORD = "deputy", "another long passphrase"
FORMATS = {"YAML", "MB", "Word", "Excel", "PDF"}  # format names a Chinese page may say


def upload(c, csrf: str, name: str = NAME, data: bytes = NOTICE.encode(), year: str = "2016"):
    return c.post("/plans/import", data={"csrf": csrf, "year": year},
                  files={"notice": (name, data, "application/octet-stream")})


def uploaded(c, csrf: str) -> str:
    """The new draft's page path."""
    r = upload(c, csrf)
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/plans/import/[A-Za-z0-9_-]{16,40}", r.headers["location"])
    return r.headers["location"]


def drafts(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(KeyValue)
                            .where(col(KeyValue.key).startswith(plan_drafts.PREFIX))).one()


def imported_plans(engine) -> list[Plan]:
    with Session(engine) as session:
        return list(session.exec(select(Plan).where(Plan.key != "demo")).all())


def position_of(draft: plan_drafts.Draft, title: str) -> int:
    return next(i for i, d in enumerate(draft.duties) if d["title"] == title)


def the_draft(engine, path: str, username: str = USER) -> plan_drafts.Draft:
    with Session(engine) as session:
        from db.models import User
        user = session.exec(select(User).where(User.username == username)).one()
        return plan_drafts.find(session, user.id, path.rsplit("/", 1)[1], NOW)


def correct(c, path: str, csrf: str, duty: dict, **changes: str):
    form = {"csrf": csrf, "duty": str(duty["id"]), "title": duty["title"],
            "lead": "、".join(duty.get("lead_names", [])), "schedule": plan_drafts.phrase_of(duty), **changes}
    return c.post(path + "/duty", data=form)


def with_names(draft: plan_drafts.Draft, duty: dict) -> dict:
    return {**duty, "lead_names": plan_drafts.names_of(draft.plan, duty["lead"]).split("、")}


def second_coordinator(engine):
    with Session(engine) as session:
        add_user(session, OTHER, OTHER_PASSWORD, "副科长")
        session.commit()
    c = client(engine)
    assert log_in(c, OTHER, OTHER_PASSWORD).status_code == 303
    return c, csrf_of(c.get("/plans/import").text)


# -- the page in a real browser --------------------------------------------------------------------
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_coordinator_imports_a_notice_corrects_the_unreadable_duty_and_loads_it(engine, tmp_path, web_server):
    load(engine, tmp_path)
    notice = tmp_path / NAME
    notice.write_text(NOTICE, encoding="utf-8")
    base = web_server(engine, settings(), lambda: NOW)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", accept_downloads=True)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(base + "/plans/import")
        page.get_by_label("用户名").fill(USER)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(base + "/plans/import")

        page.get_by_label("通知文件").set_input_files(str(notice))
        page.get_by_label("年份").fill("2016")
        page.get_by_role("button", name="读取通知").click()
        expect(page).to_have_url(re.compile(r"/plans/import/[A-Za-z0-9_-]+$"))
        first = page.locator("section.duty").first
        expect(first).to_contain_text(UNREADABLE)  # the one needing review comes first
        expect(first).to_contain_text("第17行: 每季度第二周")  # beside the notice's own line
        expect(first).to_contain_text("需要核对")
        expect(page.locator("#summary")).to_contain_text("共 2 项任务")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # cards, no sideways scroll
        page.screenshot(path=str(ARTIFACTS / "plan-import.png"), full_page=True)

        with page.expect_download() as download:
            page.get_by_role("link", name="下载 YAML").click()
        assert download.value.suggested_filename.endswith(".yaml")
        assert UNREADABLE in Path(download.value.path()).read_text(encoding="utf-8")

        first.get_by_label("标题").fill("做好重大政策解读回应")
        first.get_by_label("完成时限").fill("12月20日前")
        first.get_by_label("已核对").check()
        first.get_by_role("button", name="保存").click()
        expect(page.locator("#summary")).to_contain_text("需要核对 0 项")
        expect(page.locator("section.duty.review")).to_have_count(0)

        page.get_by_role("button", name="导入", exact=True).click()
        expect(page).to_have_url(base + "/board")
        expect(page.locator("#notice")).to_contain_text("已导入")
        page.screenshot(path=str(ARTIFACTS / "plan-import-loaded.png"), full_page=True)
        browser.close()
    assert not [line for line in console if "Content Security Policy" in line], console

    [plan] = imported_plans(engine)
    with Session(engine) as session:
        duty = session.exec(select(Duty).where(Duty.plan_id == plan.id, Duty.title == "做好重大政策解读回应")).one()
    assert duty.schedule["due"] == "2016-12-20" and duty.schedule["text"] == "12月20日前"
    assert duty.review == [] and duty.lead == ["edu"]  # 市教育局, known from the demo plan


# -- over HTTP --------------------------------------------------------------------------------------
def test_a_visitor_who_is_not_logged_in_is_sent_to_login_and_can_import_nothing(engine, tmp_path):
    load(engine, tmp_path)
    c = client(engine)
    r = c.get("/plans/import")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/plans/import"
    r = upload(c, csrf_of(c.get("/login").text))
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert drafts(engine) == 0


def test_every_form_needs_the_sessions_csrf_token(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    assert upload(c, "").status_code == 403 and upload(c, "forged").status_code == 403
    assert drafts(engine) == 0
    path = uploaded(c, csrf)
    draft = the_draft(engine, path)
    duty = with_names(draft, draft.duties[0])
    assert correct(c, path, "forged", duty, title="篡改的标题").status_code == 403
    assert the_draft(engine, path).duties[0]["title"] == duty["title"]
    assert c.post(path + "/load", data={"accept_review": "yes"}).status_code == 403
    assert imported_plans(engine) == []


def test_a_guessed_expired_or_other_coordinators_draft_is_not_found(engine, tmp_path):
    load(engine, tmp_path)
    mine, csrf = logged_in(engine)
    path = uploaded(mine, csrf)
    draft = the_draft(engine, path)
    duty = with_names(draft, draft.duties[0])
    theirs, their_csrf = second_coordinator(engine)
    for c, token, target in ((theirs, their_csrf, path), (mine, csrf, "/plans/import/" + "A" * 22),
                             (mine, csrf, "/plans/import/..%2F..%2Fboard")):
        assert c.get(target).status_code == 404
        assert c.get(target + "/plan.yaml").status_code == 404
        assert correct(c, target, token, duty, title="别人的").status_code == 404
        assert c.post(target + "/load", data={"csrf": token, "accept_review": "yes"}).status_code == 404
    assert mine.get(path).status_code == 200 and imported_plans(engine) == []

    a_day_later = client(engine, NOW + timedelta(days=1, seconds=1))
    assert log_in(a_day_later).status_code == 303
    assert a_day_later.get(path).status_code == 404


def test_a_file_over_20_mb_is_refused_with_a_clear_message(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    r = upload(c, csrf, data=b"x" * (MAX_UPLOAD + 1))
    assert r.status_code == 413 and "文件超过 20 MB" in r.text and 'name="notice"' in r.text
    r = upload(c, csrf, data=b"x" * (MAX_UPLOAD + FORM_OVERHEAD))  # refused before the body is read
    assert r.status_code == 413 and "文件超过 20 MB" in r.text
    assert drafts(engine) == 0


def test_a_file_that_cannot_be_read_is_told_what_is_wrong(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    for name, data in (("通知.pdf", b"%PDF-1.4 cut off"), ("通知.exe", b"MZ\x90\x00")):
        with pytest.raises(NoticeError) as told:
            import_notice(Path(name), data)
        r = upload(c, csrf, name=name, data=data)
        assert r.status_code == 400
        error = re.search(r'id="error">(.*?)</p>', r.text, re.DOTALL).group(1)
        assert error.strip() and html.unescape(error.strip()) == str(told.value)
    r = upload(c, csrf, name="便函.txt", data="关于做好政务公开工作的函\n请各单位认真落实。\n".encode())
    assert r.status_code == 400 and "便函.txt 中没有找到任务" in r.text
    r = upload(c, csrf, year="二〇一六")
    assert r.status_code == 400 and "年份应为" in r.text
    r = c.post("/plans/import", data={"csrf": csrf, "year": ""})
    assert r.status_code == 400 and "请选择要上传的通知文件" in r.text
    assert drafts(engine) == 0


def test_a_correction_is_checked_as_plan_check_checks_the_file(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    path = uploaded(c, csrf)
    draft = the_draft(engine, path)
    late, early = position_of(draft, UNREADABLE), position_of(draft, READABLE)
    page = c.get(path).text
    assert page.index(f'id="duty-{late}"') < page.index(f'id="duty-{early}"')  # review first
    assert f'class="card duty review" id="duty-{late}"' in page
    assert f'class="card duty" id="duty-{early}"' in page
    duty = with_names(draft, draft.duties[late])

    r = correct(c, path, csrf, duty, lead="市卫生局、市教育局", title="新标题")
    assert r.status_code == 422 and "未知部门" in r.text and "市卫生局" in r.text
    assert 'value="新标题"' in r.text  # what was typed stays in the form
    assert the_draft(engine, path).duties[late]["title"] == UNREADABLE  # nothing saved

    r = correct(c, path, csrf, duty, checked="yes")  # ticking cannot hide a schedule nobody can read
    assert r.status_code == 303
    assert "需要核对 1 项" in c.get(path).text

    r = correct(c, path, csrf, duty, schedule="年底前完成", lead="市教育局，市环保局", checked="yes")
    assert r.status_code == 303 and r.headers["location"].endswith(f"#duty-{late}")
    corrected = the_draft(engine, path).duties[late]
    assert "review" not in corrected and corrected["lead"] == ["edu", "epb"]
    assert "需要核对 0 项" in c.get(path).text
    assert correct(c, path, csrf, with_names(draft, draft.duties[early]), title=XSS).status_code == 303
    assert XSS not in c.get(path).text and "&lt;script&gt;" in c.get(path).text  # the notice's words are text

    download = c.get(path + "/plan.yaml")
    plan_id = the_draft(engine, path).plan["plan"]["id"]
    assert download.headers["content-disposition"] == f'attachment; filename="{plan_id}.yaml"'
    data = read_plan_text(NAME, download.text, NOW.date())  # the file `duban plan check` accepts
    [checked] = [d for d in data.duties if d.title == UNREADABLE]
    assert checked.schedule.due == date(2016, 12, 31) and checked.lead == ["edu", "epb"]


def test_a_lead_in_another_spelling_or_from_an_earlier_plan_keeps_its_id_and_tags(engine, tmp_path):
    load(engine, tmp_path)  # 市环保局 (also 市环境保护局) and 市教育局, both tagged city-dept
    c, csrf = logged_in(engine)
    r = upload(c, csrf, data=NOTICE.replace("市教育局", "市环保局").encode())
    path = r.headers["location"]
    draft = the_draft(engine, path)
    assert "edu" not in {d["id"] for d in draft.plan["departments"]}
    late = position_of(draft, UNREADABLE)
    r = correct(c, path, csrf, with_names(draft, draft.duties[late]), lead="市環境保護局、市教育局",
                schedule="年底前完成", checked="yes")
    assert r.status_code == 303, r.text
    assert the_draft(engine, path).duties[late]["lead"] == ["epb", "edu"]
    assert c.post(path + "/load", data={"csrf": csrf}).status_code == 303
    with Session(engine) as session:
        tags = {d.key: d.tags for d in session.exec(select(Department)).all()}
    assert tags["edu"] == ["city-dept"] and tags["epb"] == ["city-dept"]  # loading stripped nothing


def test_loading_waits_for_review_unless_the_coordinator_accepts_it(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    path = uploaded(c, csrf)
    r = c.post(path + "/load", data={"csrf": csrf})
    assert r.status_code == 409 and "项任务需要核对" in r.text and imported_plans(engine) == []

    r = c.post(path + "/load", data={"csrf": csrf, "accept_review": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/board"
    [plan] = imported_plans(engine)
    notice = c.get("/board")
    assert f"计划“{plan.title}”已导入：新增计划 1 个；新增任务 2 项" in notice.text
    assert "已导入" not in c.get("/board").text  # said once
    assert c.get(path).status_code == 404 and drafts(engine) == 0
    with Session(engine) as session:
        duties = session.exec(select(Duty).where(Duty.plan_id == plan.id)).all()
    assert {d.title for d in duties} == {READABLE, UNREADABLE}
    assert next(d.review for d in duties if d.title == UNREADABLE)  # loaded with its review, as accepted


def _page_data(draft: plan_drafts.Draft) -> tuple[str, ...]:
    """The notice's own words on the page (titles, lines, names) and `plan check`'s review reasons
    (the core's bilingual problems, as the CLI prints them): a reader's data, not the page's words."""
    plan = draft.plan
    words = [draft.name, *(str(v) for v in plan["plan"].values())]
    words += [why for reasons in draft.check(NOW.date()).review.values() for why in reasons]
    words += [str(d.get("name")) for d in plan["departments"]]
    for duty in draft.duties:
        words += [str(duty.get(k) or "") for k in ("id", "title", "requirement", "outlet", "source")]
        words += list(duty.get("review") or []) + draft.sources.get(str(duty["id"]), [])
        words += [plan_drafts.names_of(plan, duty.get(k) or []) for k in ("lead", "support")]
        words.append(plan_drafts.phrase_of(duty))
    return tuple(sorted(set(words) - {""}, key=len, reverse=True))


def test_the_pages_speak_the_readers_language(engine, tmp_path):
    load(engine, tmp_path)
    zh, csrf = logged_in(engine)
    path = uploaded(zh, csrf)
    data = _page_data(the_draft(engine, path))
    en = client(engine)
    en.headers["accept-language"] = "en-US,en;q=0.9"
    assert log_in(en).status_code == 303
    for page_path in ("/plans/import", path):
        zh_page = visible(zh.get(page_path).text, *data, USER, "督办科")
        en_page = visible(en.get(page_path).text, *data, USER, "督办科")
        assert english_words(zh_page) - FORMATS == set(), (page_path, english_words(zh_page))
        assert not CJK.search(en_page), (page_path, CJK.findall(en_page))
    assert "Needs review" in en.get(path).text or "need review" in en.get(path).text
    assert "导入通知" in zh.get("/plans/import").text and "Import a notice" in en.get("/plans/import").text


def test_what_plan_check_warns_of_is_shown_before_loading(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    path = uploaded(c, csrf)
    draft = the_draft(engine, path)
    duty = with_names(draft, draft.duties[position_of(draft, UNREADABLE)])
    assert "导入前请留意" not in c.get(path).text
    assert correct(c, path, csrf, duty, schedule="2015年12月底前", checked="yes").status_code == 303
    page = c.get(path).text
    assert "导入前请留意" in page and "2015-12-31" in page  # a deadline before the notice, said, not hidden
