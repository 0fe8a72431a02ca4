"""`duban plan import` as a person meets it when something is off. It needs no database (it writes
a file): with none set up it creates none; with one that is down it says so (where, why, without
the password) and still writes the plan. A file with no duties, or a place the plan cannot be
written, is said plainly and leaves no file behind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SEEDS

SEED_000 = next(SEEDS.glob("000_*.txt"))


def import_seed(monkeypatch: pytest.MonkeyPatch, database_url: str, out: Path, notice: Path = SEED_000):
    from duban.cli import app, common

    monkeypatch.setenv("DATABASE_URL", database_url)
    common.settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["plan", "import", str(notice), "-o", str(out)], catch_exceptions=False)
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


def test_a_letter_without_duties_is_refused_and_writes_no_plan(monkeypatch, tmp_path):
    letter = tmp_path / "便函.txt"
    letter.write_text("关于做好政务公开工作的函\n请各单位认真落实。\n", encoding="utf-8")
    result = import_seed(monkeypatch, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "plan.yaml", letter)
    assert result.exit_code == 1
    assert "便函.txt 中没有找到任务" in result.stderr and "no duties were found in 便函.txt" in result.stderr
    assert not (tmp_path / "plan.yaml").exists()


def test_a_plan_that_cannot_be_written_is_said_plainly(monkeypatch, tmp_path):
    database = f"sqlite:///{tmp_path / 'none.db'}"
    result = import_seed(monkeypatch, database, tmp_path / "missing" / "plan.yaml")
    assert result.exit_code == 1 and "找不到输出目录" in result.stderr and "missing" in result.stderr
    result = import_seed(monkeypatch, database, tmp_path)  # a folder, not a file
    assert result.exit_code == 1 and "无法写入 cannot write" in result.stderr
    assert "unexpected fault" not in result.stderr
