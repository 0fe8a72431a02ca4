"""The board in a real browser (Chromium, headless) against a real uvicorn: log in, see the board,
open an overdue occurrence, answer it on behalf of the department, see the board change, log out;
the Content-Security-Policy refuses nothing the pages use."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.board_world import PASSWORD, USER, load
from tests.web_world import NOW, settings

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_answer_an_overdue_duty_on_behalf(engine, tmp_path, web_server):
    load(engine, tmp_path)
    base = web_server(engine, settings(), lambda: NOW)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a Chinese phone
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(base + "/")
        expect(page).to_have_url(base + "/login")
        page.get_by_label("用户名").fill(USER)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(base + "/board")
        overdue = page.locator("#overdue")
        expect(overdue.get_by_role("heading")).to_contain_text("逾期未办（5）")
        expect(page.locator("svg[aria-label^='各部门完成情况']")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)

        overdue.get_by_role("link", name="饮用水水质信息公开").click()
        expect(page.locator("#outcome")).to_contain_text("57")
        page.get_by_label("操作").select_option("done")
        page.get_by_label("说明").fill("电话确认已公开 confirmed by phone")
        page.get_by_role("button", name="提交").click()
        expect(page.locator("#outcome")).to_contain_text("逾期完成")
        expect(page.locator("#history")).to_contain_text("电话确认已公开")

        page.get_by_role("link", name="← 返回看板").click()
        expect(overdue.get_by_role("heading")).to_contain_text("逾期未办（4）")
        expect(overdue).not_to_contain_text("饮用水水质信息公开")
        page.screenshot(path=str(ARTIFACTS / "board-after.png"), full_page=True)
        page.get_by_role("button", name="退出").click()
        expect(page).to_have_url(base + "/login")
        browser.close()
    assert not [line for line in console if "Content Security Policy" in line], console
