"""`duban users add|list|passwd|disable` end to end against the test database."""

from __future__ import annotations

from sqlmodel import Session, select

from db.engine import make_engine
from db.models import User
from scheduler.access.users import authenticate


def _check(cli, username: str, password: str) -> bool:
    engine = make_engine(cli.db_url)
    try:
        with Session(engine) as session:
            return authenticate(session, username, password) is not None
    finally:
        engine.dispose()


def test_add_list_passwd_disable(cli):
    r = cli.runner.invoke(_app(), ["users", "add", "office", "--name", "督办科", "--password-stdin"],
                          input="correct horse\n")
    assert r.exit_code == 0, r.output
    assert _check(cli, "office", "correct horse") and not _check(cli, "office", "wrong horse")
    engine = make_engine(cli.db_url)
    with Session(engine) as session:
        assert session.exec(select(User)).one().password_hash.startswith("$argon2id$")
    engine.dispose()
    assert cli.json("users", "list") == [{"username": "office", "name": "督办科", "active": True,
                                          "created_at": cli.json("users", "list")[0]["created_at"]}]
    r = cli.runner.invoke(_app(), ["users", "passwd", "office"], input="new password 1\nnew password 1\n")
    assert r.exit_code == 0 and _check(cli, "office", "new password 1")
    assert "new password 1" not in r.output  # the prompt hides it
    assert cli("users", "disable", "office").exit_code == 0
    assert not _check(cli, "office", "new password 1")
    assert cli.json("users", "list")[0]["active"] is False


def test_refusals_are_clear(cli):
    r = cli.runner.invoke(_app(), ["users", "add", "office"], input="password one\npassword two\n")
    assert r.exit_code == 1 and "两次输入的密码不一致" in r.stderr
    r = cli.runner.invoke(_app(), ["users", "add", "office", "--password-stdin"], input="short\n")
    assert r.exit_code == 1 and "at least 8" in r.stderr
    r = cli.runner.invoke(_app(), ["users", "add", "bad name!", "--password-stdin"], input="long enough\n")
    assert r.exit_code == 1 and "invalid username" in r.stderr
    assert cli.runner.invoke(_app(), ["users", "add", "office", "--password-stdin"],
                             input="long enough\n").exit_code == 0
    r = cli.runner.invoke(_app(), ["users", "add", "office", "--password-stdin"], input="long enough\n")
    assert r.exit_code == 1 and "already exists" in r.stderr
    r = cli("users", "disable", "nobody")
    assert r.exit_code == 1 and "没有这个用户" in r.stderr


def _app():
    from duban.cli import app, common

    common.settings.cache_clear()
    return app
