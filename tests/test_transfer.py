"""`duban export` then `duban import` into an empty database of the other kind (SQLite <-> PostgreSQL)
gives the same state: the same export again, the same feeds, the same occurrences; a database
that holds data, a file that is not an export, or another schema is refused with a message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from db import migrate
from db.engine import make_engine
from scheduler.settings import Settings
from tests.conftest import postgresql_schema
from web.app import create_app

KEY = "transfer-test-secret-key-0123456789abcdef"


@contextmanager
def other_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A new, upgraded, empty database of the other kind than the source's."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'moved.db'}"
        migrate.upgrade(url)
        yield url
        return
    with postgresql_schema() as url:
        yield url


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def populate(cli) -> str:
    """A deployment in use: a plan, contacts with addresses, a robot, answers, a feed, a user."""
    ok(cli("plan", "load", "plans/example.yaml"))
    ok(cli("contacts", "add", "--department", "epb", "--name", "赵六", "--email", "zhao@example.org",
           "--telegram", "123456789"))
    ok(cli("robots", "add", "--department", "epb", "--kind", "dingtalk", "--url",
           "https://oapi.dingtalk.com/robot/send?access_token=t0k3n", "--secret", "SECabc", "--keyword", "督办"))
    occurrence = json.loads(ok(cli("occurrences", "--json")))[0]["id"]
    ok(cli("answer", str(occurrence), "done", "--evidence", "https://epb.example.gov.cn/a.html"))
    return re.search(r"/feeds/([^\s.]+)\.ics", ok(cli("feed", "url", "epb")))[1]


def feed(url: str, token: str) -> str:
    engine = make_engine(url)
    try:
        with TestClient(create_app(engine, Settings(database_url=url, secret_key=KEY))) as web:
            answer = web.get(f"/feeds/{token}.ics")
    finally:
        engine.dispose()
    assert answer.status_code == 200
    return re.sub(r"DTSTAMP:\S+", "", answer.text)  # the moment it was served


def test_an_export_imported_into_the_other_database_kind_gives_the_same_state_and_feeds(
        cli, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_SECRET_KEY", KEY)
    token = populate(cli)
    dump = tmp_path / "duban.json"
    ok(cli("export", "-o", str(dump)))
    before = json.loads(dump.read_text(encoding="utf-8"))
    occurrences = ok(cli("occurrences", "--json"))
    assert all(before["tables"][t] for t in ("robot", "answer", "feedtoken", "contactaddress", "occurrence"))

    with other_database("postgresql" if db_url.startswith("sqlite") else "sqlite", tmp_path) as moved:
        monkeypatch.setenv("DATABASE_URL", moved)
        assert "imported" in ok(cli("import", str(dump)))
        assert json.loads(ok(cli("export"))) == before
        assert ok(cli("occurrences", "--json")) == occurrences
        assert feed(moved, token) == feed(db_url, token)
        again = cli("import", str(dump))  # not into a database that holds data
        assert again.exit_code == 1 and "not empty" in again.stderr
        ok(cli("contacts", "add", "--department", "epb", "--name", "新人"))  # ids continue past the imported


def test_what_is_not_an_export_is_refused_with_a_message(cli, tmp_path):
    for content, says in [("not json", "cannot read"), ('{"format": "x"}', "not a Duban export"),
                          ('{"format": "duban-export", "version": 9, "tables": {}}', "unsupported export version"),
                          ('{"format": "duban-export", "version": 1, "schema": "0001", "tables": {}}', "schema")]:
        path = tmp_path / "bad.json"
        path.write_text(content, encoding="utf-8")
        result = cli("import", str(path))
        assert result.exit_code == 1 and says in result.stderr and "Traceback" not in result.output
