"""`duban plan import` needs no database: it writes a file. With none set up it creates none; with
one that is down it says so (where, why, without the password) and still writes the plan."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

SEED_000 = next((Path(__file__).resolve().parents[2] / "shared" / "seeds").glob("000_*.txt"))


def import_seed(monkeypatch: pytest.MonkeyPatch, database_url: str, out: Path):
    from duban.cli import app, common

    monkeypatch.setenv("DATABASE_URL", database_url)
    common.settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["plan", "import", str(SEED_000), "-o", str(out)], catch_exceptions=False)
    finally:
        common.settings.cache_clear()


def closed_port() -> int:
    """A local port nobody listens on (taken from the system, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_import_before_any_database_creates_no_sqlite_file(monkeypatch, tmp_path):
    database = tmp_path / "var" / "duban.db"
    result = import_seed(monkeypatch, f"sqlite:///{database}", tmp_path / "plan.yaml")
    assert result.exit_code == 0, result.output + result.stderr
    assert (tmp_path / "plan.yaml").is_file() and "40 项任务 duties" in result.stderr
    assert not database.exists() and not database.parent.exists()
    assert "数据库" not in result.stderr  # nothing to warn about: there is no database yet


def test_a_database_that_is_down_is_told_and_the_plan_still_written(monkeypatch, tmp_path):
    url = f"postgresql+psycopg://duban:hunter2-secret@127.0.0.1:{closed_port()}/duban"
    result = import_seed(monkeypatch, url, tmp_path / "plan.yaml")
    assert result.exit_code == 0, result.output + result.stderr
    assert (tmp_path / "plan.yaml").is_file() and "40 项任务 duties" in result.stderr
    assert "无法访问数据库" in result.stderr and "cannot use the database" in result.stderr
    assert "127.0.0.1" in result.stderr and "hunter2-secret" not in result.stderr
