"""Group robots on the board (/robots) over HTTP, in-process, on SQLite and PostgreSQL, against the
local DingTalk fake (scheduler/channels/dingtalk/tests/fake.py): only a logged-in coordinator with
the session's CSRF token; a robot added on the form is listed with its URL and secret masked; a
problem is said on the form in the reader's language with what was typed kept (never the URL or
the secret in full); a test message reaches the platform, or its refusal is said; remove; enable.
And once in a real browser (Chromium, headless, a 390 px phone) against a real uvicorn."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, select

from db import addresses, robots
from db.models import Contact, Department, Robot
from scheduler.access.sealing import mask
from scheduler.channels.dingtalk.tests.fake import DingTalkFake
from tests.board_world import PASSWORD, USER, XSS, client, csrf_of, load, logged_in
from tests.test_web_board_browser import CHROMIUM
from tests.web_world import NOW, settings

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
MOBILE = "13800138000"
KEYWORD = "督办"


@pytest.fixture
def dingtalk():
    with DingTalkFake() as fake:
        yield fake


@pytest.fixture
def board(engine, tmp_path) -> tuple[TestClient, str]:
    """The demo plan, and a coordinator logged in: the client and its session's CSRF token."""
    load(engine, tmp_path)
    return logged_in(engine)


def department_id(engine, key: str = "epb") -> int:
    with Session(engine) as session:
        return session.exec(select(Department.id).where(Department.key == key)).one()


def form(engine, url: str, **extra: str) -> dict[str, str]:
    """The add form as a coordinator fills it for 市环保局's DingTalk robot."""
    return {"department": str(department_id(engine)), "kind": "dingtalk", "url": url, "secret": SECRET,
            "mentions": f"{MOBILE}, 13900139000", "keyword": KEYWORD, "name": "", "language": "zh", **extra}


def add(c: TestClient, csrf: str, engine, url: str, **extra: str) -> int:
    r = c.post("/robots", data={**form(engine, url, **extra), "csrf": csrf})
    assert r.status_code == 303, r.text
    return int(re.search(r"robot=(\d+)", r.headers["location"])[1])


def bound(engine) -> list[robots.Bound]:
    with Session(engine) as session:
        return robots.bound(session)


def test_the_page_and_its_forms_need_a_logged_in_coordinator_and_the_csrf_token(engine, tmp_path, dingtalk):
    load(engine, tmp_path)
    stranger = client(engine)
    r = stranger.get("/robots")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/robots"
    anonymous_csrf = csrf_of(stranger.get("/login").text)
    for path in ("/robots", "/robots/1/test", "/robots/1/remove", "/robots/1/enable"):
        r = stranger.post(path, data={**form(engine, "https://oapi.dingtalk.com/robot/send?access_token=x"),
                                      "csrf": anonymous_csrf})
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path

    c, csrf = logged_in(engine)
    robot_id = add(c, csrf, engine, dingtalk.url(dingtalk.add_robot(secret=SECRET, keyword=KEYWORD)))
    for path in ("/robots", f"/robots/{robot_id}/test", f"/robots/{robot_id}/remove"):
        assert c.post(path, data={**form(engine, "https://example.org/hook"), "csrf": "forged"}).status_code == 403
    assert len(bound(engine)) == 1 and dingtalk.posts == []


def test_a_robot_added_on_the_form_is_listed_with_its_url_and_secret_masked(engine, board, dingtalk):
    c, csrf = board
    robot = dingtalk.add_robot(secret=SECRET, keyword=KEYWORD)
    url = dingtalk.url(robot)
    assert '<a href="/robots">群机器人</a>' in c.get("/board").text  # in the board's navigation

    robot_id = add(c, csrf, engine, url, instead="yes", name=XSS)

    page = c.get(f"/robots?done=added&robot={robot_id}")
    card = re.search(rf'<article class="card" id="robot-{robot_id}">.*?</article>', page.text, re.DOTALL)[0]
    assert f"机器人 {robot_id} 已添加" in page.text
    for shown in ("市环保局", "钉钉群机器人", mask(url), f"…{SECRET[-4:]}", f"{MOBILE}, 13900139000", KEYWORD,
                  "是：机器人正常时，部门联系人不再收到提醒", "正常"):
        assert shown in card, shown
    assert "&lt;script&gt;" in card and XSS not in page.text  # the name as typed, escaped
    assert robot.token not in page.text and SECRET not in page.text
    english = c.get("/robots?lang=en").text
    assert "DingTalk group robot" in english and "working" in english and robot.token not in english
    with Session(engine) as session:  # stored sealed: a copy of the database posts into no group
        stored = str(session.exec(select(Robot)).one().model_dump())
    assert robot.token not in stored and SECRET not in stored


def test_a_bad_url_is_said_on_the_form_in_the_readers_language_with_what_was_typed_kept(engine, board):
    c, csrf = board
    typed = form(engine, "oapi.dingtalk.com/robot/send?access_token=0123456789abcdef", name="环保群",
                 instead="yes", language="en")

    r = c.post("/robots", data={**typed, "csrf": csrf})

    assert r.status_code == 422 and bound(engine) == []
    problem = re.search(r'<p class="late" role="alert" id="problem">(.*?)</p>', r.text)[1]
    assert problem.startswith("Webhook 地址须是平台显示的 https:// 网址")
    assert 'value="环保群"' in r.text and f'value="{MOBILE}, 13900139000"' in r.text
    assert f'value="{KEYWORD}"' in r.text and 'value="yes" checked' in r.text
    assert re.search(rf'<option value="{department_id(engine)}" selected>市环保局', r.text)
    assert '<option value="en" selected>' in r.text
    assert "0123456789abcdef" not in r.text and SECRET not in r.text  # neither given back in full
    c.cookies.set("lang", "en")
    r = c.post("/robots", data={**typed, "csrf": csrf})
    assert r.status_code == 422 and "The webhook address must be an https:// URL" in r.text


def test_a_test_message_reaches_the_platform_signed_and_the_page_says_accepted(engine, board, dingtalk):
    c, csrf = board
    robot = dingtalk.add_robot(secret=SECRET, keyword=KEYWORD)
    robot_id = add(c, csrf, engine, dingtalk.url(robot))

    r = c.post(f"/robots/{robot_id}/test", data={"csrf": csrf})

    assert r.status_code == 200 and "平台已接收测试消息" in r.text
    [post] = dingtalk.accepted(robot)
    assert dingtalk.rejected == [] and dingtalk.problems() == []  # signed, with the keyword, well formed
    assert "市环保局" in post.json["markdown"]["text"] and post.json["at"]["atMobiles"] == [MOBILE, "13900139000"]


def test_a_test_of_a_robot_taken_out_of_its_group_says_it_was_refused_for_good(engine, board, dingtalk):
    c, csrf = board
    robot = dingtalk.add_robot(secret=SECRET, keyword=KEYWORD)
    robot_id = add(c, csrf, engine, dingtalk.url(robot))
    dingtalk.remove_robot(robot)

    zh = c.post(f"/robots/{robot_id}/test", data={"csrf": csrf})
    c.cookies.set("lang", "en")
    en = c.post(f"/robots/{robot_id}/test", data={"csrf": csrf})

    said = re.search(r'id="tested">(.*?)</p>', zh.text, re.DOTALL)[1]
    assert "测试消息未送达" in said and "拒收" in said and "300005" in said and "永久性错误" in said
    said = re.search(r'id="tested">(.*?)</p>', en.text, re.DOTALL)[1]
    assert "not delivered" in said and "refused" in said and "Permanent" in said
    assert dingtalk.accepted() == [] and len(dingtalk.rejected) == 2
    assert robot.token not in zh.text + en.text


def test_remove_asks_first_then_the_robot_is_unbound(engine, board, dingtalk):
    c, csrf = board
    robot_id = add(c, csrf, engine, dingtalk.url(dingtalk.add_robot()))
    listing = c.get("/robots").text
    confirm = re.search(r"<details>.*?</details>", listing, re.DOTALL)[0]  # opened before the button shows
    assert "移除这个机器人？" in confirm and f'action="/robots/{robot_id}/remove"' in confirm

    r = c.post(f"/robots/{robot_id}/remove", data={"csrf": csrf})

    assert r.status_code == 303 and bound(engine) == []
    page = c.get(r.headers["location"]).text
    assert f"机器人 {robot_id} 已移除" in page and f'id="robot-{robot_id}"' not in page
    with Session(engine) as session:  # its contact is kept for the history, and posts nothing
        assert session.exec(select(Contact).where(Contact.role == robots.ROLE)).one().active is False
    assert c.post(f"/robots/{robot_id}/test", data={"csrf": csrf}).status_code == 404
    assert c.post("/robots/99999999999999999999/remove", data={"csrf": csrf}).status_code == 404


def test_a_robot_the_platform_refused_shows_why_and_can_be_enabled_again(engine, board, dingtalk):
    c, csrf = board
    robot_id = add(c, csrf, engine, dingtalk.url(dingtalk.add_robot()))
    with Session(engine) as session:  # as the dispatcher disables it when the platform refuses it for good
        addresses.disable(session, "dingtalk", str(robot_id), "dingtalk 拒收了这条消息（300005：token is not exist）",
                          NOW)
        session.commit()
    card = c.get("/robots").text
    assert "已停用" in card and "300005：token is not exist" in card and "重新启用" in card

    r = c.post(f"/robots/{robot_id}/enable", data={"csrf": csrf})

    assert r.status_code == 303 and [b.working for b in bound(engine)] == [True]
    page = c.get(r.headers["location"]).text
    assert f"机器人 {robot_id} 已恢复推送" in page and "重新启用" not in page and "已停用" not in page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_a_phone_a_coordinator_adds_a_robot_sees_it_listed_and_tests_it(engine, tmp_path, web_server, dingtalk):
    load(engine, tmp_path)
    base = web_server(engine, settings(), lambda: NOW)
    robot = dingtalk.add_robot(secret=SECRET, keyword=KEYWORD)
    url = dingtalk.url(robot)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a Chinese phone
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(base + "/board")
        page.get_by_label("用户名").fill(USER)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="群机器人").click()
        expect(page.locator("#no-robots")).to_be_visible()

        add_form = page.locator("#add")
        add_form.get_by_label(re.compile("^部门")).select_option(label="市环保局")
        add_form.get_by_label("类型").select_option(label="钉钉群机器人")
        add_form.get_by_label("Webhook 地址").fill(url)
        add_form.get_by_label("加签密钥").fill(SECRET)
        add_form.get_by_label("@ 提醒").fill(f"{MOBILE} 13900139000")
        add_form.get_by_label("关键词").fill(KEYWORD)
        add_form.get_by_label("代替联系人").check()
        add_form.get_by_role("button", name="添加机器人").click()

        expect(page.locator("#notice")).to_contain_text("已添加")
        card = page.locator("article.card")
        expect(card.get_by_role("heading")).to_contain_text("市环保局钉钉群机器人")
        expect(card.locator(".url")).to_have_text(mask(url))
        expect(card.locator(".state")).to_have_text("正常")
        card.get_by_role("button", name="发送测试消息").click()
        expect(page.locator("#tested")).to_contain_text("平台已接收测试消息")
        page.screenshot(path=str(tmp_path / "robots.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        html = page.content()
        browser.close()
    assert wide <= 390  # nothing to scroll sideways on the phone
    assert (tmp_path / "robots.png").stat().st_size > 0
    assert robot.token not in html and SECRET not in html
    assert len(dingtalk.accepted(robot)) == 1 and dingtalk.rejected == []
    assert not [line for line in console if "Content Security Policy" in line], console
