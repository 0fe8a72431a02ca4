"""The JSON API: each endpoint against a loaded plan, with a coordinator's token, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from db.models import Answer, Occurrence
from tests.test_cli_reminders import EVENT_DUTY
from tests.test_planfile import VALID
from tests.web_world import NOW, api_client, occurrence


@pytest.fixture
def api(engine, tmp_path):
    return api_client(engine, tmp_path, VALID + EVENT_DUTY)


def test_every_route_needs_a_token(api):
    anonymous = TestClient(api.app)
    for method, path in (("get", "/api/departments"), ("get", "/api/occurrences"), ("get", "/api/occurrences/1"),
                         ("post", "/api/occurrences/1/answer"), ("post", "/api/events")):
        page = getattr(anonymous, method)(path)
        assert page.status_code == 401 and "duban api token" in page.json()["detail"]


def test_departments_are_listed_by_key(api):
    got = api.get("/api/departments").json()
    assert [d["key"] for d in got] == ["edu", "epb", "office"]
    assert next(d for d in got if d["key"] == "epb")["aliases"] == ["市环境保护局"]


def test_occurrences_filter_by_department_status_dates_and_overdue(api):
    epb = api.get("/api/occurrences", params={"department": "市环境保护局"}).json()
    assert epb and {o["department"] for o in epb} == {"市环保局"}
    window = api.get("/api/occurrences", params={"from": "2016-09-01", "to": "2016-09-30"}).json()
    assert sorted((o["duty_key"], o["department"], o["due"]) for o in window) == [
        ("1-1", "市教育局", "2016-09-28"), ("1-1", "市环保局", "2016-09-28"),
        ("2-17", "市环保局", "2016-09-30"), ("2-17", "市环保局", "2016-09-30")]
    overdue = api.get("/api/occurrences", params={"overdue": "true"}).json()
    assert overdue and all(o["overdue"] and date.fromisoformat(o["due"]) < date(2016, 9, 26) for o in overdue)
    assert api.get("/api/occurrences", params={"status": "done"}).json() == []
    unknown = api.get("/api/occurrences", params={"department": "市财政局"})
    assert unknown.status_code == 404 and "未知部门" in unknown.json()["detail"]


def test_answering_through_the_api_is_logged_and_shown_in_the_history(api, engine):
    occ = occurrence(engine, due=date(2016, 9, 30))
    done = api.post(f"/api/occurrences/{occ.id}/answer",
                    json={"action": "done", "evidence_url": "https://epb.example.gov.cn/x", "note": "已公开"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["changed"] is True and body["occurrence"]["status"] == "done"
    assert body["occurrence"]["done_by"] == "督办科"
    [entry] = body["occurrence"]["history"]
    assert (entry["action"], entry["channel"], entry["evidence_url"]) == ("done", "api", "https://epb.example.gov.cn/x")
    assert api.get(f"/api/occurrences/{occ.id}").json()["history"] == [entry]


def test_snooze_takes_a_duration_and_a_bad_one_is_a_clear_422(api, engine):
    occ = occurrence(engine, due=date(2016, 9, 30))
    ok = api.post(f"/api/occurrences/{occ.id}/answer", json={"action": "snooze", "snooze": "3d"})
    assert ok.status_code == 200 and ok.json()["occurrence"]["snoozed_until"].startswith("2016-09-29T01:30")
    bad = api.post(f"/api/occurrences/{occ.id}/answer", json={"action": "snooze", "snooze": "someday"})
    assert bad.status_code == 422 and "someday" in bad.json()["detail"]
    with Session(engine) as session:
        # the occurrence's own answer (its Q3 twin follows it: issue 17)
        assert [a.action for a in session.exec(select(Answer).where(Answer.occurrence_id == occ.id))] == ["snooze"]


def test_unknown_occurrences_and_bad_bodies_are_clear(api):
    missing = api.get("/api/occurrences/99999")
    assert missing.status_code == 404 and "99999" in missing.json()["detail"]
    assert api.post("/api/occurrences/99999/answer", json={"action": "done"}).status_code == 404
    assert api.post("/api/occurrences/1/answer", json={"action": "finish"}).status_code == 422
    assert api.post("/api/occurrences/1/answer", json={"action": "done", "note": "a\x00b"}).status_code == 422


def test_recording_an_event_creates_its_occurrence(api, engine):
    page = api.post("/api/events", json={"duty": "demo/1-6", "happened_at": "2016-09-26T10:00:00+08:00",
                                         "note": "市政府文件公开"})
    assert page.status_code == 201, page.text
    body = page.json()
    assert body["occurrence"]["kind"] == "event" and body["occurrence"]["due"] == "2016-09-29"
    with Session(engine) as session:
        assert session.get(Occurrence, body["occurrence"]["id"]).note == "市政府文件公开"
    wrong = api.post("/api/events", json={"duty": "demo/2-17"})
    assert wrong.status_code == 422 and "不是事件触发" in wrong.json()["detail"]
    assert api.post("/api/events", json={"duty": "nope/9-9"}).status_code == 404


def test_the_schema_names_the_models(api):
    schema = api.get("/api/openapi.json").json()
    assert {"OccurrenceOut", "OccurrenceDetail", "AnswerIn", "EventIn", "DepartmentOut"} <= set(
        schema["components"]["schemas"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert NOW.year == 2016  # the fixed clock the overdue assertions rely on


def test_duban_api_token_issues_a_working_token_and_revoke_ends_it(api, engine, cli):
    issued = cli("api", "token", "office")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    client = TestClient(api.app, headers={"authorization": f"Bearer {token}"})
    assert client.get("/api/departments").status_code == 200
    revoked = cli("api", "revoke", "office")
    assert revoked.exit_code == 0 and "revoked 2 token(s)" in revoked.stdout  # the fixture's and this one
    assert client.get("/api/departments").status_code == 401
    unknown = cli("api", "token", "nobody")
    assert unknown.exit_code != 0 and "nobody" in unknown.stderr
