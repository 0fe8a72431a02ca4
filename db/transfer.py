"""Export and import: the whole state a deployment needs as one JSON document, for backups and for
moves between SQLite and PostgreSQL (`duban export`, `duban import`).

What travels: departments, contacts and their addresses, group robots (URL and secret still
sealed: the receiving deployment needs the same DUBAN_SECRET_KEY to post with them), plans,
duties, events, occurrences, the answer log, feed tokens (their hashes: the feed URLs stay valid
under the same secret key), invite codes and board users. What does not: the outbox (deliveries,
attempts), which the planner rebuilds from the open occurrences, and the instance's bookkeeping
(sessions, login failures, send windows, heartbeats). Rows keep their ids, so links and feed
tokens signed with ids keep working; on PostgreSQL the id sequences are moved past them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Date, DateTime, Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

FORMAT = "duban-export"
VERSION = 1
# In the order they can be inserted (each table's foreign keys point to tables before it).
TABLES = ("department", "contact", "contactaddress", "robot", "plan", "duty", "event", "occurrence",
          "answer", "feedtoken", "invitecode", "user")
CHUNK = 1000


class TransferError(ValueError):
    """The document cannot be imported here; the message says why and what to do."""


def export(engine: Engine) -> dict[str, Any]:
    """Every travelling table's rows, in id order, as JSON-ready values."""
    with engine.connect() as conn:
        return {"format": FORMAT, "version": VERSION, "schema": _revision(conn),
                "tables": {name: list(_rows(conn, _table(name))) for name in TABLES}}


def import_into(engine: Engine, document: dict[str, Any]) -> dict[str, int]:
    """Insert a document's rows into an empty database at the same schema; how many per table."""
    _check(document)
    with engine.begin() as conn:
        if document["schema"] != (here := _revision(conn)):
            raise TransferError(f"导出文件的数据库版本 {document['schema']} 与本库 {here} 不同，请先升级两边 / the "
                                f"export is at schema {document['schema']}, this database at {here}: run "
                                "`duban db upgrade` on both sides first")
        if busy := [n for n in TABLES if conn.execute(select(func.count()).select_from(_table(n))).scalar()]:
            raise TransferError(f"目标数据库不是空的（{', '.join(busy)}）/ the database is not empty "
                                f"({', '.join(busy)}): import into a new, upgraded database")
        counts = {name: _insert(conn, _table(name), document["tables"].get(name, [])) for name in TABLES}
        if conn.dialect.name == "postgresql":
            _move_sequences(conn)
    return counts


def _check(document: object) -> None:
    if not (isinstance(document, dict) and document.get("format") == FORMAT):
        raise TransferError("不是督办导出文件 / not a Duban export (no \"format\": \"duban-export\")")
    if document.get("version") != VERSION:
        raise TransferError(f"不支持的导出格式版本 / unsupported export version {document.get('version')!r} "
                            f"(this Duban reads version {VERSION})")
    tables = document.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(v, list) for v in tables.values()):
        raise TransferError("导出文件缺少 tables / the export has no \"tables\" object of lists")
    if unknown := sorted(set(tables) - set(TABLES)):
        raise TransferError(f"未知的表 / unknown tables in the export: {', '.join(unknown)}")


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns)
    for row in conn.execute(select(table).order_by(*order)).mappings():
        yield {key: _out(value) for key, value in row.items()}


def _out(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    readers = {c.name: _reader(c.type) for c in table.columns}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        try:
            conn.execute(insert(table), [{k: readers[k](v) for k, v in row.items()} for row in chunk])
        except KeyError as exc:
            raise TransferError(f"表 {table.name} 没有列 {exc} / table {table.name} has no column {exc}") from None
    return len(rows)


def _reader(kind: Any):
    """How to read a column's JSON value back: ISO dates and times as such, the rest as they are."""
    impl = getattr(kind, "impl", kind)
    if isinstance(impl, DateTime):
        return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
    if isinstance(impl, Date):
        return lambda v: date.fromisoformat(v) if isinstance(v, str) else v
    return lambda v: v


def _move_sequences(conn: Connection) -> None:
    """PostgreSQL hands out ids from sequences: move each past the ids just inserted."""
    for name in TABLES:
        table = _table(name)
        if "id" in table.columns and table.c.id.autoincrement in (True, "auto"):
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"))
