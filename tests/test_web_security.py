"""Defences of the whole web app: security headers on every response (the 500 page too), and the
caller's address taken from X-Forwarded-For only when a trusted proxy sent it, in-process and on a
real uvicorn started as `duban run` starts it. The login limit and /metrics read that address."""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.board_world import PASSWORD, USER, csrf_of, load, logged_in
from tests.web_world import NOW, app_for, occurrence, settings
from web.proxies import caller

HTML = {"accept": "text/html"}


def assert_guarded(response: httpx.Response, *, docs: bool = False) -> None:
    h = response.headers
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert h.get("x-frame-options") == "DENY", where
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("referrer-policy") == "no-referrer", where  # answer links carry signed tokens
    policy = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy, where
    assert ("script-src" in policy) == docs, where  # the pages run no script at all


def test_every_response_carries_the_security_headers(engine, tmp_path):
    load(engine, tmp_path)
    app = app_for(engine)

    @app.get("/boom")
    def boom():  # a bug: the 500 page comes from outside the routes' error handlers
        raise RuntimeError("a bug")

    c = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    responses = [c.get("/"), c.get("/login"), c.get("/board"), c.get("/a/not-a-link", headers=HTML),
                 c.get("/u/not-a-link", headers=HTML), c.get("/feeds/nope.ics"), c.get("/api/occurrences"),
                 c.get("/api/openapi.json"), c.get("/healthz"), c.get("/metrics"), c.get("/nowhere", headers=HTML),
                 c.post("/logout", headers=HTML), c.get("/reports/2016-09.xlsx"), c.get("/boom")]
    assert responses[-1].status_code == 500
    board, csrf = logged_in(engine)
    occ = occurrence(engine)
    responses += [board.get("/board"), board.get(f"/occurrences/{occ.id}"), board.get("/occurrences/0", headers=HTML),
                  board.get("/reports/2016-09.xlsx"),
                  board.post(f"/occurrences/{occ.id}/answer", data={"action": "done", "csrf": csrf})]
    for response in responses:
        assert_guarded(response)
    assert_guarded(c.get("/api/docs"), docs=True)  # Swagger UI: its script, nothing else's


def test_the_pages_need_no_inline_script_nor_anything_from_elsewhere(engine, tmp_path):
    """The policy forbids scripts and outside resources: the pages must not need them."""
    load(engine, tmp_path)
    board, _ = logged_in(engine)
    for path in ("/board", f"/occurrences/{occurrence(engine).id}", "/login"):
        html = board.get(path).text
        assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html


@pytest.mark.parametrize(("peer", "hops", "expected"), [
    ("10.0.0.2", ["198.51.100.9"], "198.51.100.9"),  # through the proxy
    ("10.0.0.2", ["1.2.3.4", "198.51.100.9"], "198.51.100.9"),  # the caller's own header is ignored
    ("10.0.0.2", ["198.51.100.9", "10.0.0.3"], "198.51.100.9"),  # two trusted proxies in a row
    ("10.0.0.2", ["10.0.0.4", "10.0.0.3"], "10.0.0.4"),  # every hop trusted: the first one
    ("::ffff:10.0.0.2", ["2001:db8::1"], "2001:db8::1"),  # an IPv4 proxy seen over IPv6
    ("10.0.0.2", [], "10.0.0.2"),  # no header: the proxy itself
    ("127.0.0.1", ["198.51.100.9"], "127.0.0.1"),  # not a trusted proxy: its header means nothing
    ("testclient", ["198.51.100.9"], "testclient"),
])
def test_the_caller_is_the_rightmost_hop_a_trusted_proxy_wrote(peer, hops, expected):
    assert caller(peer, hops, [ip_network("10.0.0.0/24")]) == expected


def test_metrics_take_no_forwarded_request_for_a_local_one(engine, tmp_path):
    """/metrics answers callers on this machine; a request that came through a proxy we were not
    told about (it carries X-Forwarded-For or Forwarded) is not one, whatever the header says."""
    load(engine, tmp_path)
    local = TestClient(app_for(engine), client=("127.0.0.1", 50000))
    assert local.get("/metrics").status_code == 200
    for header in ({"x-forwarded-for": "127.0.0.1"}, {"x-forwarded-for": "203.0.113.5"},
                   {"forwarded": "for=127.0.0.1"}):
        assert local.get("/metrics", headers=header).status_code == 401, header
    proxied = TestClient(app_for(engine, trusted_proxies=["127.0.0.1"]), client=("127.0.0.1", 50000))
    assert proxied.get("/metrics", headers={"x-forwarded-for": "203.0.113.5"}).status_code == 401
    assert proxied.get("/metrics", headers={"x-forwarded-for": "::1"}).status_code == 200
    assert proxied.get("/metrics").status_code == 200  # the proxy's own address: this machine


def _log_in(base: str, password: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=base, follow_redirects=False, headers=headers) as browser:
        form = browser.get("/login")
        return browser.post("/login", data={"username": USER, "password": password, "csrf": csrf_of(form.text),
                                            "next": "/board"})


def test_a_real_server_believes_forwarded_for_only_from_trusted_proxies(engine, tmp_path, web_server):
    """uvicorn as `duban run` starts it: from loopback, a fresh X-Forwarded-For per try does not
    escape the login limit; with loopback listed as the proxy, each forwarded caller counts apart."""
    load(engine, tmp_path)
    plain = web_server(engine, settings(), lambda: NOW)
    for i in range(5):
        assert _log_in(plain, "guess", {"x-forwarded-for": f"192.0.2.{i}"}).status_code == 401
    refused = _log_in(plain, PASSWORD, {"x-forwarded-for": "192.0.2.200", "accept-language": "en"})
    assert refused.status_code == 429 and "Too many" in refused.text
    assert_guarded(refused)
    assert httpx.get(f"{plain}/metrics", headers={"x-forwarded-for": "127.0.0.1"}).status_code == 401

    proxied = web_server(engine, settings(trusted_proxies=["127.0.0.1"]), lambda: NOW)
    assert _log_in(proxied, PASSWORD, {"x-forwarded-for": "198.51.100.9"}).status_code == 303
