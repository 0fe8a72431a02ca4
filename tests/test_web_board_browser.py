"""The board in a real browser (Debian's Chromium driven by Playwright, headless) against a real
uvicorn. The demo plan: log in, see the board, open an overdue occurrence, answer it on behalf of
the department, see the board change, log out; the Content-Security-Policy refuses nothing the
pages use. A city (1,000 departments, a year of occurrences): filters, paging, the help panel, the
390 px layout (no horizontal scrolling, department names whole), the page under 200 KB.
Screenshots are kept in tests/artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.board_world import PASSWORD, USER, city, load
from tests.web_world import NOW, settings

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
LONG_NAME = "市人力资源社会保障局"


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login")
    page.get_by_label("用户名").fill(USER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/board")


def no_page_scrolls_sideways(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


def names_are_whole(page: Page) -> list[str]:
    """Every department name on the page is shown whole: nothing cut by its box or the screen."""
    found = page.eval_on_selector_all(".dept-name", """(names) => names.map((el) => {
        const box = el.getBoundingClientRect();
        return {text: el.textContent.trim(), cut: el.scrollWidth > el.clientWidth + 1,
                left: box.left, right: box.right};
    })""")
    width = page.viewport_size["width"]
    assert found and all(not n["cut"] and n["left"] >= 0 and n["right"] <= width for n in found), found
    return [n["text"] for n in found]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_answer_an_overdue_duty_on_behalf(engine, tmp_path, web_server):
    load(engine, tmp_path)
    base = web_server(engine, settings(), lambda: NOW)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport=PHONE, locale="zh-CN")  # a Chinese phone
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        log_in(page, base)
        expect(page.locator(".tabs [aria-current]")).to_have_text("逾期未办 5")
        expect(page.locator("#list")).to_contain_text("逾期 57 天")
        no_page_scrolls_sideways(page)
        page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)

        page.locator("#list").get_by_role("link", name="饮用水水质信息公开").click()
        expect(page.locator("#outcome")).to_contain_text("57")
        page.get_by_label("操作").select_option("done")
        page.get_by_label("说明").fill("电话确认已公开 confirmed by phone")
        page.get_by_role("button", name="提交").click()
        expect(page.locator("#outcome")).to_contain_text("逾期完成")
        expect(page.locator("#history")).to_contain_text("电话确认已公开")

        page.get_by_role("link", name="← 返回看板").click()
        expect(page.locator(".tabs [aria-current]")).to_have_text("逾期未办 4")
        expect(page.locator("#list")).not_to_contain_text("饮用水水质信息公开")
        page.screenshot(path=str(ARTIFACTS / "board-after.png"), full_page=True)
        page.get_by_role("button", name="退出").click()
        expect(page).to_have_url(base + "/login")
        browser.close()
    assert not [line for line in console if "Content Security Policy" in line], console


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_city_of_a_thousand_departments_on_a_phone(engine, web_server):
    world = city(engine)
    assert world.departments == 1000 and world.occurrences > 150_000
    base = web_server(engine, settings(), lambda: NOW)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        log_in(page, base)
        size = len(page.request.get(base + "/board").body())
        assert size < 200_000, f"the board is {size} bytes"
        expect(page.locator("#list h2")).to_contain_text("个部门")
        expect(page.locator(".group")).to_have_count(20)
        no_page_scrolls_sideways(page)
        names_are_whole(page)
        page.screenshot(path=str(ARTIFACTS / "board-city-390.png"), full_page=True)

        # a department by name, from the filter form: its long name whole on the phone
        page.get_by_role("textbox", name="部门").fill(LONG_NAME)
        page.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"/board\?.*dept=" + re.escape("%E5%B8%82%E4%BA%BA")))
        assert names_are_whole(page) == [LONG_NAME]
        no_page_scrolls_sideways(page)
        page.get_by_role("link", name=re.compile("查看该部门全部")).click()
        expect(page.locator("#list .item:not(.head)").first).to_be_visible()
        departments = page.locator("#list .dept").all_text_contents()
        assert departments and set(departments) == {LONG_NAME}
        page.screenshot(path=str(ARTIFACTS / "board-city-department.png"), full_page=True)

        # search, one list of duties, the next page: the filters stay in the URL
        page.get_by_role("link", name="清除筛选").click()
        page.get_by_role("textbox", name="搜索").fill("饮用水")
        page.locator("#filters select[name=view]").select_option("rows")  # 按事项列出
        page.get_by_role("button", name="筛选").click()
        titles = page.locator("#list a.duty").all_text_contents()
        assert len(titles) == 50 and set(titles) == {"饮用水水质信息公开"}
        expect(page.locator("#list .page-of").first).to_have_text(re.compile(r"第 1 / \d+ 页"))
        page.locator("#list").get_by_role("link", name="下一页 ›").first.click()
        expect(page).to_have_url(re.compile(r"q=%E9%A5%AE%E7%94%A8%E6%B0%B4.*view=rows.*page=2"))
        expect(page.locator("#list .page-of").first).to_have_text(re.compile(r"第 2 / \d+ 页"))
        assert set(page.locator("#list a.duty").all_text_contents()) == {"饮用水水质信息公开"}
        no_page_scrolls_sideways(page)

        # the help panel: reply, then resolve
        page.goto(base + "/board")
        help_panel = page.locator("#help")
        expect(help_panel.get_by_role("heading")).to_have_text("需要协助（30）")
        first = help_panel.locator("article").first
        asker = re.search(r"提问人：([^，]+)，", first.locator(".who").text_content())[1]
        first.locator("summary").click()
        first.get_by_label("回复内容（发送给提问人）").fill("请按去年口径填报，模板已发邮箱")
        first.get_by_role("button", name="发送回复").click()
        expect(page.locator("#notice")).to_have_text(f"回复已记录，并已发送给{asker}。")
        first = page.locator("#help article").first
        expect(first.locator(".reply")).to_contain_text("请按去年口径填报，模板已发邮箱")
        no_page_scrolls_sideways(page)
        page.screenshot(path=str(ARTIFACTS / "board-city-help.png"), full_page=False)
        request_id = first.get_attribute("id")
        first.get_by_role("button", name="标记为已解决").click()
        expect(page.locator("#notice")).to_have_text("协助请求已标记为已解决。")
        expect(page.locator("#help").get_by_role("heading")).to_have_text("需要协助（29）")
        expect(page.locator(f"#{request_id}")).to_have_count(0)

        # the calendar: weekdays, holidays and the make-up working days, with its legend
        calendar = page.locator("#calendar")
        expect(calendar.locator("caption").nth(9)).to_have_text("10月")
        expect(calendar.locator("td.holiday[title^='10月1日 周六 · 国庆节']")).to_have_count(1)
        expect(calendar.locator("td.makeup[title^='10月8日 周六 · 国庆节 · 调休上班日']")).to_have_count(1)
        expect(page.locator("#calendar-legend")).to_contain_text("调休上班日")
        expect(page.locator("#bar-legend")).to_contain_text("完成 0% · 按时 0%")

        # the same board on a wide screen, in English
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("link", name="英文").click()
        expect(page.locator("h1")).to_contain_text("Duty board")
        expect(page.locator(".tabs [aria-current]")).to_contain_text("Overdue")
        no_page_scrolls_sideways(page)
        names_are_whole(page)
        page.screenshot(path=str(ARTIFACTS / "board-city-wide-en.png"), full_page=False)
        browser.close()
    assert not [line for line in console if "Content Security Policy" in line], console
