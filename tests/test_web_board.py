"""The coordinator's board over HTTP (in-process), on SQLite and PostgreSQL: login and sessions
(ended on the server), CSRF, the login limits (per address, per username, trusted proxies),
escaping, the pages and the forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import Session, func, select

from db.models import Answer, BoardSession, Event, LoginFailure, Occurrence
from scheduler.access import users
from scheduler.reports.board import board
from tests.board_world import PASSWORD, USER, XSS, client, csrf_of, load, log_in, logged_in
from tests.web_world import NOW, occurrence
from web.auth import COOKIE, DEVICE_COOKIE
from web.board import recent_months

HTML = {"accept": "text/html"}


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
    assert "57 天" in page and f'href="/occurrences/{late.id}"' in page and "<svg" in page
    assert "自然日" in page  # says how days overdue are counted
    with Session(engine) as session:
        before = board(session, NOW)
    r = c.post(f"/occurrences/{late.id}/answer", data={"action": "done", "note": "电话确认 by phone",
                                                      "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/occurrences/{late.id}"
    detail = c.get(f"/occurrences/{late.id}").text
    assert "电话确认 by phone" in detail and "(web)" in detail and "逾期完成" in detail and "done late" not in detail
    with Session(engine) as session:
        entry = session.exec(select(Answer)).one()
        assert (entry.channel, entry.action) == ("web", "done") and "office" in entry.actor
        after = board(session, NOW)
    assert len(after.overdue) == len(before.overdue) - 1
    epb = next(d for d in after.departments if d.name == "市环保局")
    assert epb.counts["late"] == 1 and epb.completion_rate > 0 and epb.on_time_rate == 0
    assert f'href="/occurrences/{late.id}"' not in c.get("/board").text.split('id="upcoming"')[0]


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
    assert months == ["2016-09", "2016-08", "2016-07"]  # NOW is in September 2016
    report = c.get(f"/reports/{months[0]}.xlsx")
    assert report.status_code == 200 and report.content[:2] == b"PK"


def test_recent_months_cross_the_new_year():
    assert recent_months(date(2017, 2, 10), 4) == ["2017-02", "2017-01", "2016-12", "2016-11"]
