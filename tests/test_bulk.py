"""Bulk inserts (plan loads, the planner's outbox rows) on both databases: COPY on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from db.bulk import insert_rows
from db.models import Contact, Delivery, Department

AWKWARD = "制表\t换行\n反斜杠\\ \\N 引号\"' 逗号, 表情✅"


def _contact(session: Session) -> int:
    dept = Department(key="epb", name="市环保局")
    session.add(dept)
    session.flush()
    contact = Contact(department_id=dept.id, name="联络员")
    session.add(contact)
    session.flush()
    return contact.id


def test_rows_arrive_as_given_with_defaults_filled(engine) -> None:
    at = datetime(2026, 9, 14, 1, 30, tzinfo=UTC)
    with Session(engine) as s:
        contact = _contact(s)
        rows = [{"idempotency_key": f"k{i}", "contact_id": contact, "channel": "", "purpose": "due",
                 "send_at": at, "body": AWKWARD if i == 0 else None} | ({"informational": True} if i == 1 else {}) for i in range(3)]
        assert insert_rows(s, Delivery.__table__, rows, unique="idempotency_key") == 3
        s.commit()
        got = {d.idempotency_key: d for d in s.exec(select(Delivery))}
    assert got["k0"].body == AWKWARD and got["k1"].body is None
    assert [got[k].informational for k in ("k0", "k1", "k2")] == [False, True, False]
    assert {(d.status, d.attempts) for d in got.values()} == {("pending", 0)}  # column defaults
    assert all(d.created_at is not None for d in got.values())
    assert {d.send_at.replace(tzinfo=None) for d in got.values()} == {at.replace(tzinfo=None)}


def test_existing_keys_are_skipped_and_counted_out(engine) -> None:
    at = datetime(2026, 9, 14, 1, tzinfo=UTC)
    with Session(engine) as s:
        contact = _contact(s)

        def rows(*keys: str) -> list[dict]:
            return [{"idempotency_key": k, "contact_id": contact, "channel": "", "purpose": "due", "send_at": at}
                    for k in keys]

        assert insert_rows(s, Delivery.__table__, rows("a", "b"), unique="idempotency_key") == 2
        # a second bulk insert in the same transaction: only the new key goes in
        assert insert_rows(s, Delivery.__table__, rows("a", "b", "c"), unique="idempotency_key") == 1
        s.rollback()  # and the rows go with the transaction
        assert s.exec(select(Delivery)).all() == []


def test_json_columns_are_written_as_json(engine) -> None:
    with Session(engine) as s:
        rows = [{"key": f"d{i}", "name": f"部门{i}", "aliases": ["别名", AWKWARD], "tags": []} for i in range(2)]
        assert insert_rows(s, Department.__table__, rows) == 2
        s.commit()
        assert [d.aliases for d in s.exec(select(Department).order_by(Department.key))] == [["别名", AWKWARD]] * 2


def test_a_time_without_zone_is_refused_as_the_orm_refuses_it(engine) -> None:
    with Session(engine) as s:
        contact = _contact(s)
        naive = [{"idempotency_key": "n", "contact_id": contact, "channel": "", "purpose": "due",
                  "send_at": datetime(2026, 9, 14, 9)}]
        with pytest.raises((ValueError, StatementError), match="timezone"):
            insert_rows(s, Delivery.__table__, naive, unique="idempotency_key")
