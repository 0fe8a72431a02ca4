"""The coordinator's board over HTTP (in-process), on SQLite and PostgreSQL: login and sessions,
CSRF, the login rate limit, escaping, the pages and the forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import Session, func, select

from db.models import Answer, Event, KeyValue, Occurrence
from scheduler import users
from scheduler.board import board
from tests.board_world import PASSWORD, USER, XSS, client, csrf_of, load, log_in, logged_in
from tests.web_world import NOW, occurrence
from web.auth import COOKIE
from web.board import recent_months

HTML = {"accept": "text/html"}


def _answers(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Answer)).one()


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
    assert c.get("/board").status_code == 303
    assert log_in(c, password="another password").status_code == 303
    with Session(engine) as session:
        users.disable(session, USER)
        session.commit()
    assert c.get("/board").status_code == 303
    assert log_in(c, password="another password").status_code == 401


def test_login_is_rate_limited_across_restarts(engine, tmp_path):
    load(engine, tmp_path)
    for _ in range(5):
        assert log_in(client(engine), password="guess").status_code == 401
    r = log_in(client(engine))  # a new app: as after a restart or on another instance
    assert r.status_code == 429 and "登录失败次数过多" in r.text and "Too many" in r.text
    with Session(engine) as session:
        assert session.exec(select(KeyValue).where(KeyValue.key.startswith("login-failures:"))).first()
    later = client(engine, NOW + timedelta(minutes=16))
    assert log_in(later).status_code == 303
    with Session(engine) as session:  # a success clears the count
        assert session.exec(select(KeyValue).where(KeyValue.key.startswith("login-failures:"))).first() is None


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
    assert "电话确认 by phone" in detail and "(web)" in detail and "逾期完成 done late" in detail
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
    assert r.status_code == 400 and "无效操作" in r.text
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
