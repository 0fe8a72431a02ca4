"""The coordinator's board over HTTP (in-process), on SQLite and PostgreSQL: login and sessions
(ended on the server), CSRF, the login limits (per address, per username, trusted proxies),
escaping, the pages and the forms."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, func, select

from db.models import (
    Answer,
    BoardSession,
    Contact,
    Delivery,
    Department,
    Event,
    LoginFailure,
    Occurrence,
    Plan,
)
from scheduler.access import users
from scheduler.answers.record import Actor, answer
from scheduler.reports.board import Filter, board_page
from tests.board_world import PASSWORD, USER, XSS, city, client, csrf_of, load, log_in, logged_in
from tests.web_world import NOW, contact, occurrence
from web.auth import COOKIE, DEVICE_COOKIE
from web.board import recent_months

HTML = {"accept": "text/html"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _answers(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Answer)).one()


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_pages_need_login(engine, tmp_path):
    load(engine, tmp_path)
    c = client(engine)
    occ = occurrence(engine)
    assert c.get("/").headers["location"] == "/login"
    for path in ("/board", f"/occurrences/{occ.id}"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
    r = c.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "csrf": csrf_of(c.get("/login").text)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert _answers(engine) == 0


def test_login_sets_a_safe_cookie_and_logout_ends_it(engine, tmp_path):
    load(engine, tmp_path)
    c = client(engine)
    r = log_in(c)
    assert r.status_code == 303 and r.headers["location"] == "/board"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert c.get("/").headers["location"] == "/board"
    page = c.get("/board")
    assert page.status_code == 200 and "督办看板" in page.text and "督办科" in page.text
    assert c.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    assert c.get("/board").status_code == 303


def test_wrong_password_and_open_redirects(engine, tmp_path):
    load(engine, tmp_path)
    c = client(engine)
    r = log_in(c, password="wrong password")
    assert r.status_code == 401 and "用户名或密码错误" in r.text and COOKIE not in r.headers.get("set-cookie", "x")
    form = c.get("/login")
    r = c.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf_of(form.text),
                               "next": "//evil.example/"})
    assert r.headers["location"] == "/board"


def test_sessions_expire_after_12_hours(engine, tmp_path):
    load(engine, tmp_path)
    c, _ = logged_in(engine)
    later = client(engine, NOW + timedelta(hours=11, minutes=59))
    later.cookies = c.cookies
    assert later.get("/board").status_code == 200
    expired = client(engine, NOW + timedelta(hours=12, minutes=1))
    expired.cookies = c.cookies
    assert expired.get("/board").headers["location"] == "/login?next=/board"


def test_tampered_cookie_is_a_stranger(engine, tmp_path):
    load(engine, tmp_path)
    c, _ = logged_in(engine)
    value = c.cookies[COOKIE]
    c.cookies.set(COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert c.get("/board").status_code == 303


def test_disabled_user_and_new_password_end_sessions(engine, tmp_path):
    load(engine, tmp_path)
    c, _ = logged_in(engine)
    with Session(engine) as session:
        users.set_password(session, USER, "another password")
        session.commit()
    assert c.get("/board").status_code == 303 and _count(engine, BoardSession) == 0
    assert log_in(c, password="another password").status_code == 303
    with Session(engine) as session:
        users.disable(session, USER)
        session.commit()
    assert c.get("/board").status_code == 303 and _count(engine, BoardSession) == 0
    assert log_in(c, password="another password").status_code == 401


def test_a_cookie_saved_before_logout_opens_nothing_after_it(engine, tmp_path):
    """Given a session cookie and its CSRF token copied while logged in, when the coordinator logs
    out, then the copy neither opens the board nor answers, on this instance or another."""
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    saved = c.cookies[COOKIE]
    occ = occurrence(engine)
    assert c.post("/logout", data={"csrf": csrf}).status_code == 303
    assert _count(engine, BoardSession) == 0
    for thief in (client(engine), c):  # another instance (a new app), and the same one
        thief.cookies.set(COOKIE, saved)
        assert thief.get("/board").headers["location"] == "/login?next=/board"
        r = thief.post(f"/occurrences/{occ.id}/answer", data={"action": "waive", "csrf": csrf})
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert _answers(engine) == 0


def test_every_login_gets_a_new_session_id(engine, tmp_path):
    """A cookie planted or copied before a login is no session after it; logging in again ends the
    browser's previous session, and another browser's session of the same user lives on."""
    load(engine, tmp_path)
    c = client(engine)
    planted = c.get("/login").cookies[COOKIE]
    assert log_in(c).status_code == 303 and c.cookies[COOKIE] != planted
    first = c.cookies[COOKIE]
    other, _ = logged_in(engine)
    again = c.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf_of(c.get("/board").text)})
    assert again.status_code == 303 and c.cookies[COOKIE] not in (first, planted)
    for stale in (planted, first):
        probe = client(engine)
        probe.cookies.set(COOKIE, stale)
        assert probe.get("/board").status_code == 303
    assert c.get("/board").status_code == 200 and other.get("/board").status_code == 200
    assert _count(engine, BoardSession) == 2


def test_users_passwd_and_disable_end_sessions_on_every_instance(engine, tmp_path, cli):
    """`duban users passwd|disable` delete the user's sessions in the database: browsers on any
    instance are logged out, even where the password is set back to the same text."""
    load(engine, tmp_path)
    a, _ = logged_in(engine)
    b, _ = logged_in(engine)
    r = cli.runner.invoke(_cli_app(), ["users", "passwd", USER, "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert a.get("/board").status_code == 303 and b.get("/board").status_code == 303
    a, _ = logged_in(engine)
    assert cli("users", "disable", USER).exit_code == 0
    assert a.get("/board").status_code == 303 and _count(engine, BoardSession) == 0


def _cli_app():
    from duban.cli import app, common

    common.settings.cache_clear()
    return app


def test_login_is_rate_limited_across_restarts(engine, tmp_path):
    load(engine, tmp_path)
    for _ in range(5):
        assert log_in(client(engine), password="guess").status_code == 401
    r = log_in(client(engine))  # a new app: as after a restart or on another instance
    assert r.status_code == 429 and "登录失败次数过多" in r.text and "Too many" not in r.text
    assert "15 分钟" in r.text and r.headers["retry-after"] == "900"
    r = log_in(client(engine), headers={"accept-language": "en-GB,en;q=0.8"})  # an English reader
    assert r.status_code == 429 and "Too many failed logins: try again in 15 minutes." in r.text
    assert "登录失败次数过多" not in r.text
    assert _count(engine, LoginFailure) == 10  # each under username + address, and username alone
    later = client(engine, NOW + timedelta(minutes=16))
    assert log_in(later).status_code == 303
    with Session(engine) as session:  # a success clears this address's count, not the username's
        assert len(session.exec(select(LoginFailure)).all()) == 5


def test_behind_a_trusted_proxy_each_caller_is_counted_at_their_own_address(engine, tmp_path):
    """Given the reverse proxy in DUBAN_TRUSTED_PROXIES, an attacker's failures lock the username
    out at the attacker's address only, even when the attacker writes X-Forwarded-For themselves;
    the person at another address logs in."""
    load(engine, tmp_path)

    def via_proxy(forwarded_for: str):
        c = client(engine, address="172.31.89.2", trusted_proxies=["172.31.89.0/24"])
        return c, {"x-forwarded-for": forwarded_for}

    for i in range(5):
        c, hop = via_proxy(f"10.9.9.{i}, 203.0.113.7")  # the proxy appended the attacker's address
        assert log_in(c, password="guess", headers=hop).status_code == 401
    c, hop = via_proxy("10.9.9.99, 203.0.113.7")
    assert log_in(c, headers=hop).status_code == 429
    c, hop = via_proxy("198.51.100.9")
    assert log_in(c, headers=hop).status_code == 303


def test_an_untrusted_peer_cannot_choose_its_address(engine, tmp_path):
    """Without DUBAN_TRUSTED_PROXIES, X-Forwarded-For from the connection's peer (even loopback)
    is not believed: a new header per try does not escape the limit."""
    load(engine, tmp_path)
    for i in range(5):
        c = client(engine, address="127.0.0.1")
        assert log_in(c, password="guess", headers={"x-forwarded-for": f"192.0.2.{i}"}).status_code == 401
    c = client(engine, address="127.0.0.1")
    assert log_in(c, headers={"x-forwarded-for": "192.0.2.200"}).status_code == 429


def test_failures_from_many_addresses_slow_the_username_but_not_its_own_browser(engine, tmp_path):
    """Given a coordinator who logged in from their browser before, when 10 tries fail for that
    username from 10 addresses, then a new address must wait a short delay (and gets in after it),
    while the coordinator's own browser gets in at once."""
    load(engine, tmp_path)
    home = client(engine, address="198.51.100.9")
    assert log_in(home).status_code == 303 and home.cookies.get(DEVICE_COOKIE)
    home.post("/logout", data={"csrf": csrf_of(home.get("/board").text)})
    for i in range(10):
        assert log_in(client(engine, address=f"203.0.113.{i}"), password="guess").status_code == 401
    fresh = log_in(client(engine, address="192.0.2.1"))
    assert fresh.status_code == 429 and "2 秒" in fresh.text and fresh.headers["retry-after"] == "2"
    assert log_in(home).status_code == 303
    later = client(engine, NOW + timedelta(seconds=3), address="192.0.2.1")
    assert log_in(later).status_code == 303
    other_user = log_in(client(engine, address="203.0.113.50"), username="nobody", password="guess")
    assert other_user.status_code == 401  # another username is not slowed down


def test_a_device_cookie_stops_counting_after_its_own_failures(engine, tmp_path):
    """A copied device cookie buys no more guesses than one address: after 5 failures with it, it
    is slowed down with everyone else (here: once the username has its 10 free failures)."""
    load(engine, tmp_path)
    home = client(engine, address="198.51.100.9")
    assert log_in(home).status_code == 303
    device = home.cookies[DEVICE_COOKIE]
    for i in range(10):
        thief = client(engine, address=f"203.0.113.{i}")
        thief.cookies.set(DEVICE_COOKIE, device, path="/login")
        assert log_in(thief, password="guess").status_code == 401
    thief = client(engine, address="203.0.113.99")
    thief.cookies.set(DEVICE_COOKIE, device, path="/login")
    assert log_in(thief, password="guess").status_code == 429


def test_posts_without_csrf_are_refused(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    occ = occurrence(engine)
    posts = [(f"/occurrences/{occ.id}/answer", {"action": "done"}),
             ("/events", {"duty": "demo/3-1"}), ("/logout", {}),
             ("/login", {"username": USER, "password": PASSWORD})]
    for path, data in posts:
        for token in (None, "forged", csrf[:-1]):
            body = data if token is None else {**data, "csrf": token}
            r = c.post(path, data=body, headers=HTML)
            assert r.status_code == 403, path
            assert "请求被拒绝" in r.text and "CSRF" in r.text
    assert _answers(engine) == 0
    with Session(engine) as session:
        assert session.exec(select(Event)).first() is None
    assert c.get("/board").status_code == 200  # still logged in: the logout was refused too


def test_board_shows_overdue_and_changes_after_an_answer(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    page = c.get("/board").text
    late = occurrence(engine, "2-17")  # due 2016-07-31, open: 57 calendar days late on 2016-09-26
    assert "逾期 57 天" in page and f'href="/occurrences/{late.id}"' in page and "截止 2016年7月31日" in page
    assert "自然日" in page  # says how days overdue are counted
    with Session(engine) as session:
        before = board_page(session, NOW, Filter(view="rows"))
    r = c.post(f"/occurrences/{late.id}/answer", data={"action": "done", "note": "电话确认 by phone",
                                                      "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/occurrences/{late.id}"
    detail = c.get(f"/occurrences/{late.id}").text
    assert "电话确认 by phone" in detail and "(web)" in detail and "逾期完成" in detail and "done late" not in detail
    with Session(engine) as session:
        entry = session.exec(select(Answer)).one()
        assert (entry.channel, entry.action) == ("web", "done") and "office" in entry.actor
        after = board_page(session, NOW, Filter(view="rows"))
        epb = next(g for g in board_page(session, NOW).groups if g.name == "市环保局")
    assert after.page.total == before.page.total - 1
    assert epb.score.counts["late"] == 1 and epb.score.completion_rate > 0 and epb.score.on_time_rate == 0
    assert f'href="/occurrences/{late.id}"' not in c.get("/board").text.split('id="calendar"')[0]
    assert f'href="/occurrences/{late.id}"' in c.get("/board?status=done").text


def test_wrong_ids_and_actions_get_clear_pages(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    r = c.get("/occurrences/999999", headers=HTML)
    assert r.status_code == 404 and "事项不存在" in r.text and "Traceback" not in r.text
    r = c.post("/occurrences/999999/answer", data={"action": "done", "csrf": csrf}, headers=HTML)
    assert r.status_code == 404 and "事项不存在" in r.text
    r = c.get("/occurrences/abc", headers=HTML)
    assert r.status_code == 422 and "请求有误" in r.text
    occ = occurrence(engine)
    r = c.post(f"/occurrences/{occ.id}/answer", data={"action": "explode", "csrf": csrf}, headers=HTML)
    assert r.status_code == 400 and "无效操作" in r.text and "Invalid" not in r.text
    r = c.post(f"/occurrences/{occ.id}/answer?lang=en", data={"action": "explode", "csrf": csrf}, headers=HTML)
    assert r.status_code == 400 and "Invalid action" in r.text and "无效操作" not in r.text
    assert _answers(engine) == 0


def test_record_an_event_from_the_board(engine, tmp_path):
    load(engine, tmp_path)
    c, csrf = logged_in(engine)
    assert "demo/3-1" in c.get("/board").text
    r = c.post("/events", data={"duty": "demo/3-1", "happened_at": "2016-09-26T09:00", "note": "市政府文件",
                                "csrf": csrf})
    assert r.status_code == 303
    with Session(engine) as session:
        event = session.exec(select(Event)).one()
        occ = session.exec(select(Occurrence).where(Occurrence.event_id == event.id)).one()
    assert r.headers["location"] == f"/occurrences/{occ.id}"
    assert occ.due.isoformat() == "2016-09-29" and "督办科" in event.recorded_by  # 3 working days
    bad = c.post("/events", data={"duty": "demo/2-17", "csrf": csrf}, headers=HTML)
    assert bad.status_code == 400 and "不是事件触发的" in bad.text


def test_a_script_in_a_duty_title_is_escaped_everywhere(engine, tmp_path):
    load(engine, tmp_path, title=XSS)
    c, _ = logged_in(engine)
    occ = occurrence(engine, "2-17")
    pages = [c.get("/board").text, c.get(f"/occurrences/{occ.id}").text]
    for html in pages:
        assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_typed_text_is_escaped_too(engine, tmp_path):
    """What people type comes back escaped: the username on the login form, a note in the history."""
    load(engine, tmp_path)
    c = client(engine)
    r = log_in(c, username='"><script>alert(2)</script>', password="nope")
    assert "<script>alert(2)" not in r.text and "&lt;script&gt;alert(2)" in r.text
    c, csrf = logged_in(engine)
    occ = occurrence(engine)
    c.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "note": XSS, "csrf": csrf})
    detail = c.get(f"/occurrences/{occ.id}").text
    assert XSS not in detail and "&lt;script&gt;alert(1)&lt;/script&gt;" in detail


def test_the_board_links_the_recent_monthly_reports_and_they_download(engine, tmp_path):
    load(engine, tmp_path)
    c, _ = logged_in(engine)
    page = c.get("/board").text
    months = re.findall(r'href="/reports/(\d{4}-\d{2})\.xlsx"', page)
    assert re.findall(r'href="/reports/(\d{4}-\d{2})"', page) == months  # the printable page beside each
    assert months == ["2016-09", "2016-08", "2016-07"]  # NOW is in September 2016
    report = c.get(f"/reports/{months[0]}.xlsx")
    assert report.status_code == 200 and report.content[:2] == b"PK"


def test_recent_months_cross_the_new_year():
    assert recent_months(date(2017, 2, 10), 4) == ["2017-02", "2017-01", "2016-12", "2016-11"]


# --- the board at a city's scale: its view in the URL, paging, sorting, the help panel -------------------------

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")


def _list(html: str) -> str:
    """The list section of a board page (the tabs, form, help panel and calendar cut off)."""
    return html.split('id="list"', 1)[1].split('id="calendar"', 1)[0]


def _occurrences(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/occurrences/(\d+)"', _list(html))]


def _groups(html: str) -> list[str]:
    return re.findall(r'<h3 class="dept-name"><a href="[^"]*">([^<]+)</a>', html)


def _group_counts(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<p class="group-count[^"]*">(\d+) 项', html)]


def _dues(html: str) -> list[date]:
    return [date(int(y), int(m), int(d)) for y, m, d in re.findall(r"截止 (\d{4})年(\d{1,2})月(\d{1,2})日", _list(html))]


def _pages(html: str) -> tuple[int, int]:
    found = re.search(r"第 (\d+) / (\d+) 页", _list(html))
    return (int(found[1]), int(found[2])) if found else (1, 1)


@pytest.fixture
def town(engine):
    """60 departments x 6 duties, a year of occurrences, 8 requests for help; a logged-in coordinator."""
    world = city(engine, departments=60, duties=6, help_requests=8)
    c, csrf = logged_in(engine)
    return world, c, csrf


def test_a_shared_link_shows_the_same_view_after_logging_in(engine, town):
    _, c, _ = town
    link = "/board?status=upcoming&dept=%E5%B8%82%E4%BA%BA%E7%A4%BE%E5%B1%80&view=rows&sort=due"  # dept=市人社局
    mine = c.get(link)
    assert mine.status_code == 200 and 'aria-current="page">未来两周' in mine.text
    rows = _occurrences(mine.text)
    assert rows and set(re.findall(r'<span class="dept">([^<]+)</span>', _list(mine.text))) == {"市人力资源社会保障局"}
    assert _dues(mine.text) == sorted(_dues(mine.text))
    assert all(NOW.date() <= due <= NOW.date() + timedelta(days=14) for due in _dues(mine.text))
    assert 'name="dept" value="市人社局"' in mine.text  # the form shows the view's choices
    colleague = client(engine)
    r = colleague.get(link)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    form = colleague.get(r.headers["location"])
    nxt = re.search(r'name="next" value="([^"]+)"', form.text)[1].replace("&amp;", "&")
    login = colleague.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf_of(form.text),
                                           "next": nxt})
    assert login.status_code == 303 and login.headers["location"] == link
    assert _occurrences(colleague.get(link).text) == rows


def test_departments_are_paged_twenty_at_a_time_and_the_pages_keep_the_filters(town):
    _, c, _ = town
    first = c.get("/board?sort=department").text
    departments = int(re.search(r"(\d+) 个部门", first)[1])  # those with something overdue
    assert _pages(first) == (1, 3) and len(_groups(first)) == 20 and 40 < departments <= 60
    following = re.search(r"<a rel=\"next\" href=\"([^\"]+)\"", _list(first))[1].replace("&amp;", "&")
    assert following == "/board?sort=department&page=2#list"
    second = c.get(following.split("#")[0]).text
    assert _pages(second) == (2, 3) and not set(_groups(second)) & set(_groups(first))
    assert _groups(first) + _groups(second) == sorted(_groups(first) + _groups(second))
    last = c.get("/board?sort=department&page=99").text  # past the end: the last page
    assert _pages(last) == (3, 3) and len(_groups(last)) == departments - 40
    rows = c.get("/board?view=rows&page=2").text
    assert _pages(rows)[0] == 2 and len(_occurrences(rows)) == 50


def test_each_order_sorts_what_it_says(town):
    _, c, _ = town
    by_count = c.get("/board?sort=count").text
    assert _group_counts(by_count) == sorted(_group_counts(by_count), reverse=True)
    oldest = c.get("/board?sort=days").text
    days = [int(n) for n in re.findall(r"最久逾期 (\d+) 天", oldest)]
    assert len(days) == 20 and days == sorted(days, reverse=True)
    rows = c.get("/board?view=rows&sort=days").text
    overdue = [int(n) for n in re.findall(r"逾期 (\d+) 天</span>", _list(rows))]
    assert len(overdue) == 50 and overdue == sorted(overdue, reverse=True)
    by_name = c.get("/board?view=rows&sort=department").text
    names = re.findall(r'<span class="dept">([^<]+)</span>', _list(by_name))
    assert names == sorted(names) and len(names) == 50
    done = c.get("/board?status=done&view=rows&sort=due&page=2").text
    assert _dues(done) == sorted(_dues(done)) and "按时完成" in _list(done)


def test_filters_by_period_dates_search_plan_and_status(engine, town):
    _, c, _ = town
    march = c.get("/board?status=done&period=2016-03&view=rows").text
    assert _dues(march) and {(d.year, d.month) for d in _dues(march)} == {(2016, 3)}
    week = c.get("/board?status=upcoming&period=week&view=rows").text  # Monday 2016-09-26 to Sunday 10-02
    assert _dues(week) and all(date(2016, 9, 26) <= d <= date(2016, 10, 2) for d in _dues(week))
    month = c.get("/board?status=open&period=month&view=rows").text
    assert _dues(month) and all(date(2016, 9, 26) <= d <= date(2016, 9, 30) for d in _dues(month))
    ranged = c.get("/board?status=done&period=range&from=2016-05-01&to=2016-05-10&view=rows").text
    assert _dues(ranged) and all(date(2016, 5, 1) <= d <= date(2016, 5, 10) for d in _dues(ranged))
    water = c.get("/board?q=饮用水&view=rows").text
    titles = re.findall(r'<a class="duty" href="/occurrences/\d+">([^<]+)</a>', water)
    assert titles and set(titles) == {"饮用水水质信息公开"}
    alias = c.get("/board?q=人社").text  # 市人社局 is an alias of 市人力资源社会保障局
    assert _groups(alias) == ["市人力资源社会保障局"]
    with Session(engine) as session:
        plan = session.exec(select(Plan)).one()
    assert _groups(c.get(f"/board?plan={plan.key}&sort=department").text) == _groups(c.get("/board?sort=department").text)
    help_rows = c.get("/board?status=help&view=rows").text
    assert len(_occurrences(help_rows)) == 8


@pytest.mark.parametrize("query, said", [
    ("status=late", "无法识别的状态“late”"),
    ("sort=fastest", "无法识别的排序“fastest”"),
    ("view=table", "无法识别的显示方式“table”"),
    ("page=abc", "页码“abc”无效"),
    ("page=0", "页码“0”无效"),
    ("page=-2", "页码“-2”无效"),
    ("hpage=99999999999999999999", "页码“99999999999999999999”无效"),
    ("page=%EF%BC%92", "页码“２”无效"),  # a full-width digit is not a page number
    ("from=2016-13-01", "“2016-13-01”不是有效日期"),
    ("to=30/09/2016", "“30/09/2016”不是有效日期"),
    ("from=9999-01-01", "“9999-01-01”不是有效日期"),
    ("from=2016-09-30&to=2016-09-01", "开始（2016-09-30）晚于结束（2016-09-01）"),
    ("period=week&from=2016-09-01", "期限和日期只能选一种"),
    ("period=2016-13", "无法识别的期限“2016-13”"),
    ("period=quarter", "无法识别的期限“quarter”"),
    ("dept=%E5%B8%82%E4%BA%BA%E5%8A%9B%E5%B1%80", "没有名为“市人力局”的部门"),
    ("plan=nope", "没有编号为“nope”的方案"),
    ("q=" + "字" * 101, "搜索内容太长"),
    ("sort=count&view=rows", "“事项最多的部门优先”是给部门排序的"),
])
def test_a_query_the_board_cannot_read_is_told_not_a_500(town, query, said):
    _, c, _ = town
    r = c.get(f"/board?{query}", headers=HTML)
    assert r.status_code == 400 and said in r.text, r.text[-3000:]
    assert "无法显示这个看板视图" in r.text and 'id="filters"' in r.text and "Traceback" not in r.text
    assert 'id="list"' not in r.text


def test_a_bad_query_is_told_in_english_to_an_english_reader(town):
    _, c, _ = town
    r = c.get("/board?lang=en&status=late&dept=nowhere&page=x", headers=HTML)
    problems = r.text.split('id="problems"', 1)[1].split("</section>", 1)[0]
    assert r.status_code == 400 and "Unknown status “late”" in problems and "There is no department “nowhere”" in problems
    assert "Page “x” is not a page number" in problems and not CJK.search(re.sub(r"<[^>]+>", "", problems))


def test_a_near_miss_department_is_answered_with_suggestions(town):
    _, c, _ = town
    r = c.get("/board?dept=市人力资源保障局")
    assert r.status_code == 400 and "您要找的是不是：市人力资源社会保障局" in r.text


def _help_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="help-request" id="help-(\d+)"', html)]


def test_the_help_panel_shows_who_asked_what_and_when_the_longest_waiting_first(engine, town):
    _, c, _ = town
    page = c.get("/board").text
    assert "需要协助（8）" in page and 'aria-current="page">逾期未办' in page
    with Session(engine) as session:
        asked = session.exec(select(Answer).where(Answer.action == "help").order_by(Answer.at)).all()
        oldest = asked[0]
        occ = session.get(Occurrence, oldest.occurrence_id)
        department = session.get(Department, occ.department_id)
    shown = _help_ids(page)
    assert shown == [a.id for a in asked[:5]]  # five a page, the longest waiting first
    block = page.split(f'id="help-{oldest.id}"', 1)[1].split("</article>", 1)[0]
    local = oldest.at.replace(tzinfo=UTC).astimezone(SHANGHAI) if oldest.at.tzinfo is None else oldest.at.astimezone(SHANGHAI)
    assert oldest.note in block and f"提问人：{oldest.actor}，{department.name}，{local.month}月{local.day}日 {local:%H:%M}" in block
    assert f'href="/occurrences/{occ.id}"' in block
    second = c.get("/board?hpage=2").text
    assert _help_ids(second) == [a.id for a in asked[5:]]


def test_a_reply_is_sent_to_whoever_asked_and_resolving_takes_the_request_off(engine, town):
    _, c, csrf = town
    with Session(engine) as session:
        request = session.exec(select(Answer).where(Answer.action == "help").order_by(Answer.at)).first()
        asker = session.get(Contact, request.contact_id)
    back = "status=overdue&sort=count&page=2"
    r = c.post(f"/help/{request.id}/reply", data={"note": "请按去年口径填报", "back": back, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/board?status=overdue&sort=count&page=2#help"
    page = c.get(r.headers["location"].split("#")[0]).text
    assert f"回复已记录，并已发送给{asker.name}。" in page and "请按去年口径填报" in page
    assert "督办科" in page.split(f'id="help-{request.id}"', 1)[1].split("</article>", 1)[0]
    with Session(engine) as session:
        reply = session.exec(select(Answer).where(Answer.action == "reply")).one()
        sent = session.exec(select(Delivery).where(Delivery.idempotency_key == f"hr:{reply.id}:{asker.id}")).one()
    assert (sent.purpose, sent.contact_id, sent.occurrence_id) == ("notice", asker.id, request.occurrence_id)
    assert sent.body == "督办科回复了您的协助请求：请按去年口径填报"
    assert (reply.occurrence_id, reply.note) == (request.occurrence_id, "请按去年口径填报")
    r = c.post(f"/help/{request.id}/resolve", data={"back": "", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/board#help"
    page = c.get("/board").text
    assert "协助请求已标记为已解决。" in page and "需要协助（7）" in page and request.id not in _help_ids(page)
    again = c.post(f"/help/{request.id}/resolve", data={"csrf": csrf}, headers=HTML)
    assert again.status_code == 400 and "已经标记为已解决" in again.text


def test_a_reply_can_resolve_too_and_goes_out_in_the_askers_language(engine, town):
    _, c, csrf = town
    with Session(engine) as session:
        request = session.exec(select(Answer).where(Answer.action == "help").order_by(Answer.at.desc())).first()
        session.get(Contact, request.contact_id).language = "en"
        session.commit()
        session.refresh(request)
    r = c.post(f"/help/{request.id}/reply", data={"note": "Use last year's template", "resolve": "1",
                                                   "back": "x=<script>&status=help", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/board?status=help#help"  # known parameters only
    with Session(engine) as session:
        sent = session.exec(select(Delivery).where(Delivery.idempotency_key.startswith("hr:"))).one()
        actions = session.exec(select(Answer.action).where(Answer.occurrence_id == request.occurrence_id)
                               .order_by(Answer.id)).all()
    assert sent.body == "督办科 replied to your request for help: Use last year's template"
    assert actions == ["help", "reply", "resolve"] and request.id not in _help_ids(c.get("/board").text)


def test_help_forms_need_the_token_a_text_and_a_request_that_exists(engine, town):
    _, c, csrf = town
    with Session(engine) as session:
        request = session.exec(select(Answer).where(Answer.action == "help")).first()
        answered = session.exec(select(Answer).where(Answer.action != "help")).first()
    for path in (f"/help/{request.id}/reply", f"/help/{request.id}/resolve"):
        for token in (None, "forged"):
            body = {"note": "x"} | ({"csrf": token} if token else {})
            assert c.post(path, data=body, headers=HTML).status_code == 403
    empty = c.post(f"/help/{request.id}/reply", data={"note": "  ", "csrf": csrf}, headers=HTML)
    assert empty.status_code == 400 and "请先填写回复内容" in empty.text
    for missing in ("999999", "99999999999999999999999", str(answered.id) if answered else "888888"):
        r = c.post(f"/help/{missing}/resolve", data={"csrf": csrf}, headers=HTML)
        assert r.status_code == 404 and "没有这条协助请求" in r.text
    stranger = client(engine)
    r = stranger.post(f"/help/{request.id}/resolve", data={"csrf": csrf_of(stranger.get("/login").text)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Answer).where(
            Answer.action.in_(("reply", "resolve")))).one() == 0
        assert session.exec(select(func.count()).select_from(Delivery)).one() == 0


def test_a_reply_reaches_the_asker_through_the_outbox(engine, tmp_path, cli, monkeypatch):
    """From the board to the contact: `duban tick` sends the reply as a notice on the duty."""
    monkeypatch.setenv("DUBAN_SECRET_FILE", str(tmp_path / "secret.key"))
    load(engine, tmp_path)
    late = occurrence(engine, "2-17")
    with Session(engine) as session:
        asked = answer(session, late.id, "help", actor=Actor("张三", contact_id=contact(engine).id),
                       channel="email", now=NOW, note="模板在哪里").answer
        session.commit()
        asked_id = asked.id
    c, csrf = logged_in(engine)
    assert c.post(f"/help/{asked_id}/reply", data={"note": "模板已发到您的邮箱", "csrf": csrf}).status_code == 303
    sent = cli("tick", "--now", "2016-09-26 10:05", "--json")
    assert sent.exit_code == 0, sent.output
    assert "督办科回复了您的协助请求：模板已发到您的邮箱" in sent.stdout and "饮用水水质信息公开" in sent.stdout
    with Session(engine) as session:
        delivery = session.exec(select(Delivery).where(Delivery.idempotency_key.startswith("hr:"))).one()
        assert delivery.status == "sent"


def test_one_language_a_page_and_dates_as_the_reader_writes_them(town):
    _, c, _ = town
    zh = c.get("/board?sort=department").text
    words = re.sub(r"<style.*?</style>|<[^>]+>", " ", zh, flags=re.DOTALL)
    assert "2016年9月26日 周一" in zh and re.search(r"截止 2016年\d{1,2}月\d{1,2}日", zh)
    assert not re.search(r"\b(open|overdue|done|waived|upcoming|on_time)\b", words)
    assert '<option value="2016-09">2016年9月</option>' in zh and "国庆节" in zh and "调休上班日" in zh
    en = c.get("/board?sort=department&lang=en").text
    assert "26 Sep 2016 Mon" in en and re.search(r"due by \d{1,2} [A-Z][a-z]{2} 2016", en)
    assert '<option value="2016-09">Sep 2016</option>' in en and "National Day" in en
    assert 'lang="en"' in en and '>Chinese</a>' in en.split("<main>")[0]  # the switch, in the page's words
    assert '>英文</a>' in zh.split("<main>")[0] and ">Overdue <b>" in c.get("/board").text  # the cookie keeps English


def test_the_occurrence_page_writes_the_due_date_as_the_reader_does(engine, tmp_path):
    load(engine, tmp_path)
    c, _ = logged_in(engine)
    late = occurrence(engine, "2-17")
    assert "2016年7月31日" in c.get(f"/occurrences/{late.id}").text
    assert "31 Jul 2016" in c.get(f"/occurrences/{late.id}?lang=en").text


def test_a_board_with_nothing_loaded_yet(engine):
    with Session(engine) as session:
        users.add_user(session, USER, PASSWORD, "督办科")
        session.commit()
    c, _ = logged_in(engine)
    page = c.get("/board")
    assert page.status_code == 200 and "没有符合条件的事项。" in page.text and "没有待处理的协助请求。" in page.text


def test_a_department_of_two_thousand_characters_is_refused_at_once(town):
    _, c, _ = town
    r = c.get("/board", params={"dept": "局" * 2000})
    assert r.status_code == 400 and "没有名为“" in r.text
