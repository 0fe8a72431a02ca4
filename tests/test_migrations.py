"""Migrations: the newest schema is exactly the models, and data migrations carry old rows over."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from db.migrate import alembic_config, upgrade
from db.models import Contact, KeyValue


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
        zhang, li = session.get(Contact, 1), session.get(Contact, 2)
        assert (zhang.email, zhang.email_opt_out_at) == ("zhang@example.org", datetime(2016, 9, 2, 8, tzinfo=UTC))
        assert not zhang.mailable and li.mailable and li.email_opt_out_at is None
        assert session.get(KeyValue, "email-unsubscribed:1") is None
    command.downgrade(alembic_config(db_url), "0002")  # and back, for an operator who must
    upgrade(db_url)
