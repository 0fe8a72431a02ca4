"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL (required in CI)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from db import migrate
from db.engine import make_engine

# `smtp_server`: a real aiosmtpd; `telegram_server`: a local Bot API; bot_world: the bot end to end;
# `web_server`: Duban's web app on a real uvicorn (tests/web_server.py)
pytest_plugins = ["tests.smtp_server", "tests.telegram_server", "tests.bot_world", "tests.web_server"]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "seeds"  # the seed notices, copied from ../shared/seeds unchanged


def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.fail("TEST_DATABASE_URL is not set: the PostgreSQL tests are required "
                    "(make test sets it to the local server)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a file on SQLite, a fresh schema on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'duban.db'}"
        migrate.upgrade(url)
        yield url
        return
    with postgresql_schema() as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated, empty PostgreSQL schema: for what only PostgreSQL has (advisory locks, a cluster)."""
    with postgresql_schema() as url:
        yield url


@contextmanager
def postgresql_schema(*, migrated: bool = True) -> Iterator[str]:
    """The URL of a new schema on the test server (migrated, or bare), dropped afterwards."""
    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    try:
        if migrated:
            migrate.upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


class Cli:
    """Runs `duban ...` in-process against one database, returning (exit code, stdout, stderr)."""

    def __init__(self, db_url: str, monkeypatch: pytest.MonkeyPatch):
        self.db_url = db_url
        monkeypatch.setenv("DATABASE_URL", db_url)
        monkeypatch.chdir(ROOT)
        self.runner = CliRunner()

    def __call__(self, *args: str):
        from duban.cli import app, common

        common.settings.cache_clear()
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        return result

    def json(self, *args: str):
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(db_url, monkeypatch)


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """`duban tick` and `run` in-process install the service's log handler on the root logger:
    take it away after each test, so later tests' libraries do not print through it."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A notice set's shared checks (tests/notice_sets.py ReadsItsNotices) run once per case of its set."""
    notice_set = getattr(metafunc.cls, "notice_set", None)
    if notice_set is not None and "case" in metafunc.fixturenames:
        from tests.notice_sets import case_ids
        metafunc.parametrize("case", notice_set.cases, ids=case_ids(notice_set.cases))
