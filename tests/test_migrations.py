"""Migrations: the newest schema is exactly the models, and data migrations carry old rows over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from db import addresses
from db.engine import make_engine
from db.migrate import alembic_config, pending, upgrade
from db.models import AddressState, ContactAddress, KeyValue
from tests.conftest import postgresql_schema


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []


def test_0003_moves_parked_unsubscribed_addresses_back_as_an_opt_out(db_url, engine):
    command.downgrade(alembic_config(db_url), "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO department (id, key, name, aliases, tags) VALUES (1, 'epb', '市环保局', '[]', '[]')"))
        for cid, name, email in ((1, "张三", None), (2, "李四", "li@example.org")):
            conn.execute(text("INSERT INTO contact (id, department_id, name, email, language, role, active, created_at)"
                              " VALUES (:i, 1, :n, :e, 'zh', 'primary', true, :t)"),
                         {"i": cid, "n": name, "e": email, "t": datetime(2016, 9, 1, tzinfo=UTC)})
        conn.execute(text("INSERT INTO keyvalue (key, value, updated_at) VALUES (:k, :v, :t)"),
                     {"k": "email-unsubscribed:1", "t": datetime(2016, 9, 2, tzinfo=UTC),
                      "v": json.dumps({"email": "zhang@example.org", "at": "2016-09-02T08:00:00+00:00"})})
    upgrade(db_url)
    with Session(engine) as session:
        zhang, li = addresses.address(session, 1, "email"), addresses.address(session, 2, "email")
        assert (zhang.address, addresses.opted_out_at(zhang)) == ("zhang@example.org", datetime(2016, 9, 2, 8, tzinfo=UTC))
        assert not zhang.usable and li.usable and addresses.opted_out_at(li) is None
        assert session.get(KeyValue, "email-unsubscribed:1") is None
    command.downgrade(alembic_config(db_url), "0002")  # and back, for an operator who must
    upgrade(db_url)


CONTACTS = [  # id, name, email, opted out at, chat id
    (1, "张三", "zhang@example.org", None, 5001),
    (2, "李四", "li@example.org", datetime(2016, 9, 2, 8, tzinfo=UTC), None),
    (3, "王五", None, None, -1001234567890123),  # a supergroup: more than 32 bits
    (4, "赵六", None, None, None),
    (5, "Li Si", "si@example.org", datetime(2016, 9, 3, 9, 30, tzinfo=UTC), -5001),
]


OLD_CONTACT = sa.table("contact", sa.column("id", sa.Integer), sa.column("department_id", sa.Integer),
                       sa.column("name", sa.String), sa.column("email", sa.String),
                       sa.column("email_opt_out_at", UTCDateTime), sa.column("telegram_chat_id", sa.BigInteger),
                       sa.column("language", sa.String), sa.column("role", sa.String),
                       sa.column("active", sa.Boolean), sa.column("created_at", UTCDateTime))


def populate_0005(engine) -> None:
    """Contacts as the schema before 0006 held them: every combination of email, opt-out and chat."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO department (id, key, name, aliases, tags) VALUES (1, 'epb', '市环保局', '[]', '[]')"))
        conn.execute(OLD_CONTACT.insert(), [
            {"id": i, "department_id": 1, "name": n, "email": e, "email_opt_out_at": o, "telegram_chat_id": c,
             "language": "zh", "role": "primary", "active": True, "created_at": datetime(2016, 9, 1, tzinfo=UTC)}
            for i, n, e, o, c in CONTACTS])


def old_columns(engine) -> list[tuple]:
    c = OLD_CONTACT.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(c.id, c.name, c.email, c.email_opt_out_at,
                                                         c.telegram_chat_id).order_by(c.id))]


def test_0006_carries_every_address_into_the_addresses_table_and_back(db_url, engine):
    command.downgrade(alembic_config(db_url), "0005")
    populate_0005(engine)
    before = old_columns(engine)
    assert before == CONTACTS
    upgrade(db_url)
    with Session(engine) as session:
        rows = {(a.contact_id, a.channel): a for a in session.exec(select(ContactAddress))}
    assert {k: (a.address, a.state) for k, a in rows.items()} == {
        (1, "email"): ("zhang@example.org", AddressState.verified), (1, "telegram"): ("5001", AddressState.verified),
        (2, "email"): ("li@example.org", AddressState.opted_out),
        (3, "telegram"): ("-1001234567890123", AddressState.verified),
        (5, "email"): ("si@example.org", AddressState.opted_out), (5, "telegram"): ("-5001", AddressState.verified)}
    assert addresses.opted_out_at(rows[2, "email"]) == datetime(2016, 9, 2, 8, tzinfo=UTC)
    assert addresses.opted_out_at(rows[5, "email"]) == datetime(2016, 9, 3, 9, 30, tzinfo=UTC)
    command.downgrade(alembic_config(db_url), "0005")
    assert old_columns(engine) == before  # nothing lost either way
    upgrade(db_url)


def test_0006_downgrade_keeps_a_disabled_chat_unbound_and_an_opt_out_made_after_the_upgrade(db_url, engine):
    command.downgrade(alembic_config(db_url), "0005")
    populate_0005(engine)
    upgrade(db_url)
    moment = datetime(2016, 10, 1, 7, tzinfo=UTC)
    with Session(engine) as session:
        addresses.disable(session, "telegram", "5001", "Forbidden: bot was blocked by the user", moment)
        addresses.opt_out(session, 1, "email", moment, "unsubscribed by link")
        session.commit()
    command.downgrade(alembic_config(db_url), "0005")
    assert old_columns(engine)[0] == (1, "张三", "zhang@example.org", moment, None)
    upgrade(db_url)


def test_instances_upgrading_an_empty_database_at_once_take_turns(tmp_path):
    """Three `duban db upgrade` started together (compose, Kubernetes) on an empty PostgreSQL
    schema: one migrates, the others wait for it and find nothing left to do."""
    with postgresql_schema(migrated=False) as url:
        env = {**os.environ, "DATABASE_URL": url}
        runs = [subprocess.Popen([sys.executable, "-m", "duban", "db", "upgrade"], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
        assert [code for code, _ in results] == [0, 0, 0], results
        engine = make_engine(url)
        assert not pending(engine)
        engine.dispose()
