"""A person opens the answer link from an email in a real browser (chromium, headless) on a real
server (uvicorn on loopback), presses the button, sees the confirmation; the database agrees."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlmodel import Session, select

from db.models import Answer, Occurrence
from tests.web_world import NOW, PUBLIC, contact, load_demo, occurrence, settings, signer

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture
def world(engine, tmp_path):
    load_demo(engine, tmp_path)
    return engine


def test_pressing_done_in_a_browser_marks_the_occurrence_done(world, web_server):
    base = web_server(world, settings(), lambda: NOW)
    occ = occurrence(world, due=date(2016, 9, 30))
    url = signer().answer_url(occ.id, "done", contact(world).id, "777").replace(PUBLIC, base)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone, as from a mail app
            page.goto(url)
            assert "饮用水水质信息公开" in page.inner_text("main")
            page.fill("input[name=evidence_url]", "https://epb.example.gov.cn/water.html")
            page.click("button[type=submit]")
            page.wait_for_selector("#answered")
            assert "已记录" in page.inner_text("#answered")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "answer-link.png"), full_page=True)
            page.goto(url)  # the same link again
            assert "张三 已于" in page.inner_text("main")  # used: it says who answered and when
        finally:
            browser.close()
    with Session(world) as session:
        stored = session.get(Occurrence, occ.id)
        assert (stored.status, stored.evidence_url) == ("done", "https://epb.example.gov.cn/water.html")
        # the occurrence's own answer; its Q3 twin follows it (issue 17)
        assert [a.channel for a in session.exec(select(Answer).where(Answer.occurrence_id == occ.id))] == ["email"]
