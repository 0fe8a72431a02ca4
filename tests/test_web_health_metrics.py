"""/healthz and /metrics tell the truth about a constructed database state, and 503 when it is down;
/metrics and the channel errors answer only this machine or the operator's token."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from db.engine import make_engine
from db.models import Answer, Attempt, Delivery
from scheduler.outbox import breaker, heartbeat
from tests.web_world import NOW, app_for, contact, load_demo, occurrence, settings

OPS_TOKEN = "ops-token-for-tests-0123456789"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


@pytest.fixture
def world(engine, tmp_path):
    load_demo(engine, tmp_path)
    return engine


def deliver(session: Session, engine, key: str, status: str, channel: str, send_at, tries=()) -> None:
    """A delivery with its attempts: `tries` = [(ok, seconds after send_at, error)]."""
    d = Delivery(occurrence_id=occurrence(engine).id, contact_id=contact(engine).id, channel=channel,
                 purpose="due", send_at=send_at, status=status, idempotency_key=key)
    session.add(d)
    session.flush()
    for ok, after, error in tries:
        session.add(Attempt(delivery_id=d.id, at=send_at + timedelta(seconds=after), channel=channel or "email",
                            ok=ok, error=error))


@pytest.fixture
def busy(world):
    """3 sent by email (2 s, 30 s, 2 h late; one after a failed try), 1 telegram failure,
    2 pending now due, 1 pending tomorrow, answers: 2 done by email, 1 snooze by telegram."""
    hour = timedelta(hours=1)
    with Session(world) as s:
        deliver(s, world, "a", "sent", "email", NOW - hour, [(True, 2, None)])
        deliver(s, world, "b", "sent", "email", NOW - hour, [(False, 1, "421 busy"), (True, 30, None)])
        deliver(s, world, "c", "sent", "email", NOW - 3 * hour, [(True, 7200, None)])
        deliver(s, world, "d", "failed", "telegram", NOW - hour, [(False, 5, "Forbidden: bot was blocked")])
        deliver(s, world, "e", "pending", "", NOW - hour)
        deliver(s, world, "f", "pending", "", NOW)
        deliver(s, world, "g", "pending", "", NOW + 24 * hour)
        occ = occurrence(world).id
        for action, channel in (("done", "email"), ("done", "email"), ("snooze", "telegram")):
            s.add(Answer(occurrence_id=occ, action=action, actor="张三", channel=channel, at=NOW))
        s.commit()
    return world


def samples(client: TestClient) -> dict[tuple, float]:
    page = client.get("/metrics", headers=OPS)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page.text) for s in family.samples}


def test_metrics_count_deliveries_queue_attempts_delay_and_answers(busy):
    got = samples(TestClient(app_for(busy, ops_token=OPS_TOKEN)))
    assert got[("duban_deliveries", (("channel", "email"), ("status", "sent")))] == 3
    assert got[("duban_deliveries", (("channel", "telegram"), ("status", "failed")))] == 1
    assert got[("duban_deliveries", (("channel", "auto"), ("status", "pending")))] == 3
    assert got[("duban_queue_depth", ())] == 2  # the one due tomorrow is not in the queue
    assert got[("duban_send_attempts_total", (("channel", "email"), ("result", "ok")))] == 3
    assert got[("duban_send_attempts_total", (("channel", "email"), ("result", "error")))] == 1
    assert got[("duban_send_attempts_total", (("channel", "telegram"), ("result", "error")))] == 1
    email = (("channel", "email"),)
    assert got[("duban_send_delay_seconds_bucket", (*email, ("le", "5.0")))] == 1
    assert got[("duban_send_delay_seconds_bucket", (*email, ("le", "60.0")))] == 2
    assert got[("duban_send_delay_seconds_bucket", (*email, ("le", "+Inf")))] == 3
    assert got[("duban_send_delay_seconds_gcount", email)] == 3
    assert got[("duban_send_delay_seconds_gsum", email)] == 2 + 30 + 7200
    assert got[("duban_answers_total", (("action", "done"), ("channel", "email")))] == 2
    assert got[("duban_answers_total", (("action", "snooze"), ("channel", "telegram")))] == 1


def test_each_app_has_its_own_registry(busy, tmp_path):
    a, b = TestClient(app_for(busy, ops_token=OPS_TOKEN)), TestClient(app_for(busy, ops_token=OPS_TOKEN))
    assert samples(a) == samples(b)  # two apps, no "duplicated timeseries" from a shared registry


def test_healthz_reports_the_clock_and_the_channels_last_errors(busy):
    heartbeat.beat(busy, heartbeat.PLANNED, NOW - timedelta(minutes=2))
    heartbeat.beat(busy, heartbeat.DISPATCHED, NOW - timedelta(seconds=20))
    page = TestClient(app_for(busy, ops_token=OPS_TOKEN)).get("/healthz", headers=OPS)
    assert page.status_code == 200
    body = page.json()
    assert body["status"] == "ok" and body["checks"]["database"] == "ok"
    assert body["checks"]["clock"]["status"] == "ok"
    assert body["checks"]["clock"]["last_dispatched"].startswith("2016-09-26T01:59:40")
    channels = body["checks"]["channels"]
    assert channels["telegram"]["last_error"] == "Forbidden: bot was blocked"
    assert channels["email"]["last_error"] == "421 busy"


def test_healthz_is_503_when_the_clock_stopped(world):
    heartbeat.beat(world, heartbeat.DISPATCHED, NOW - timedelta(hours=2))
    page = TestClient(app_for(world)).get("/healthz")
    assert page.status_code == 503
    assert "no dispatch for 7200s" in page.json()["checks"]["clock"]["status"]


def test_healthz_before_the_first_tick_is_ok_and_says_so(world):
    page = TestClient(app_for(world)).get("/healthz")
    assert page.status_code == 200 and "not started" in page.json()["checks"]["clock"]["status"]


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2",
                                 "sqlite:////nonexistent-dir/duban.db"])
def test_healthz_is_503_with_a_clear_message_when_the_database_is_down(url):
    down = make_engine(url)
    try:
        page = TestClient(app_for(down)).get("/healthz")
    finally:
        down.dispose()
    assert page.status_code == 503
    body = page.json()
    assert body["status"] == "failing" and body["checks"]["database"].startswith("down 数据库无法连接")
    assert "DATABASE_URL" in body["checks"]["database"]


def test_from_elsewhere_metrics_and_channel_errors_need_the_operators_token(busy):
    client = TestClient(app_for(busy, ops_token=OPS_TOKEN))  # the test client is not on loopback
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": OPS_TOKEN}):
        page = client.get("/metrics", headers=headers)
        assert page.status_code == 401 and "DUBAN_OPS_TOKEN" in page.text and "duban_" not in page.text
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["checks"]["database"] == "ok"
    assert "DUBAN_OPS_TOKEN" in health.json()["checks"]["channels"] and "blocked" not in health.text
    # no token configured (or an empty one): nobody elsewhere gets in, whatever they send
    assert TestClient(app_for(busy)).get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 401
    assert TestClient(app_for(busy, ops_token="")).get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_on_this_machine_metrics_and_channel_errors_need_no_token(busy, web_server):
    base = web_server(busy, settings(), lambda: NOW)  # a real server: the caller is 127.0.0.1
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.status_code == 200 and "duban_deliveries" in metrics.text
    channels = httpx.get(f"{base}/healthz").json()["checks"]["channels"]
    assert channels["telegram"]["last_error"] == "Forbidden: bot was blocked"


def test_a_paused_channel_shows_in_healthz_and_metrics(world):
    with Session(world) as s:  # the dispatcher found email down ten minutes ago, and again since
        breaker.trip(s, "email", "421 relay at 10.0.0.9 down", NOW - timedelta(minutes=10), breaker.Backoff())
        breaker.trip(s, "email", "421 relay at 10.0.0.9 down", NOW - timedelta(minutes=1), breaker.Backoff())
        s.commit()
    client = TestClient(app_for(world, ops_token=OPS_TOKEN))
    paused = client.get("/healthz", headers=OPS).json()["checks"]["paused_channels"]
    assert paused["email"]["failed_probes"] == 2 and paused["email"]["error"].startswith("421")
    assert paused["email"]["next_probe"].startswith("2016-09-26T01:59:30")  # 1 min ago + 30 s
    public = client.get("/healthz")
    assert "email" in public.json()["checks"]["paused_channels"] and "10.0.0.9" not in public.text
    assert samples(client)[("duban_channel_paused_seconds", (("channel", "email"),))] == 600
